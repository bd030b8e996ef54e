"""The probe and object numbers of a scene as one Markdown table, shown by the Diffraction page
(the scene a dose was simulated with) and by the set-up preview (an unsaved study's scene)."""

from fly64.study import SceneSummary


def scene_table(scene: SceneSummary, heading: str = "", more: dict[str, str] | None = None) -> str:
    """The probe's footprints and support, the object's size, source and statistics of
    ``scene`` as a Markdown table headed ``heading``, followed by the rows ``more``
    (label: value)."""
    stats = scene.object_stats
    height, width = scene.object.shape
    rows = {
        "object": f"{height}×{width} px, `{scene.object_source}`",
        "D₉₀ (footprint D)": f"{scene.footprint_px:.1f} px",
        "D₉₉": f"{scene.footprint_99_px:.1f} px",
        f"\\|P\\|² inside N/2 = {scene.patch_size / 2:g} px": f"{scene.support_fraction:.1%}",
        "amplitude contrast (std / mean)": f"{stats['amplitude_contrast']:.3f}",
        "phase std": f"{stats['phase_std_rad']:.3f} rad",
        "amplitude–phase correlation": f"{stats['amplitude_phase_correlation']:+.3f}",
        "phase power at periods below 2·D": f"{stats['phase_power_below_2D']:.1%}",
        **(more or {}),
    }
    return f"| {heading} | |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows.items())
