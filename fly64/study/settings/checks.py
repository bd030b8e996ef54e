"""Cross-field checks of a study: conflicts that stop it, and warnings about set-ups that run
but break an assumption of a method (each message ``"field: message"``)."""

import math
from typing import TYPE_CHECKING

from fly64.data.npz import load_npz
from fly64.data.views import SPLIT_LABEL
from fly64.physics import footprint_diameter, support_fraction
from fly64.study.settings.methods import REFINEMENT_PREFIX, Method
from fly64.study.settings.scan import accept_split, base_scan, load_object
from fly64.study.settings.types import StudyError

if TYPE_CHECKING:
    from fly64.study.settings.model import Study

#: least fraction of |P|² the central disc of diameter N/2 must hold for the PINN's support
SUPPORT_FRACTION = 0.99
#: least linear overlap 1 − S/D of a view with ptychographic overlap (below it a view is expected
#: to be a sparse contrast, and is warned about only when no view of the study reaches it)
PTYCHOGRAPHIC_OVERLAP = 0.6
#: finest pitch of the base raster, pixels (an empty ``scan_step`` takes half the densest
#: view's spacing, never finer)
MIN_SCAN_STEP = 0.5


def check_settings(study: "Study") -> None:
    """Raise :class:`StudyError` naming the first setting that conflicts with others."""
    group = max(study.gridsizes) ** 2 if Method.PINN in study.methods else 1
    if study.neighbor_count < group:
        raise StudyError(
            f"neighbor_count: K = {study.neighbor_count} is below C = gridsize² = {group}; "
            f"allowed K ≥ {group}"
        )
    if study.min_positions <= study.neighbor_count and Method.PINN in study.methods:
        raise StudyError(
            f"min_positions: {study.min_positions} must exceed neighbor_count "
            f"({study.neighbor_count}) so every position has K neighbours in its view"
        )
    if Method.PINN in study.methods and study.patch_size % 2 ** (study.model_depth + 1):
        raise StudyError(
            f"model_depth: the PINN's U-Net halves the N/2 = {study.patch_size // 2} px support "
            f"{study.model_depth} times; "
            f"patch_size must be a multiple of {2 ** (study.model_depth + 1)}"
        )
    builtin_probe = not (study.object_npz or study.probe_file)
    if builtin_probe and not (study.probe_pupil_radius or 0) < study.patch_size / 2:
        raise StudyError(
            f"probe_pupil_radius: {study.probe_pupil_radius} Fourier px must be below "
            f"patch_size / 2 = {study.patch_size / 2}"
        )
    if not (study.object_npz or study.object_file) and study.patch_size * 2 > study.object_size:
        raise StudyError(
            f"object_size: {study.object_size} px must be at least 2 × patch_size "
            f"({2 * study.patch_size} px) to hold a train and a test split"
        )
    for view in study.views:
        if study.spacing(view) <= 0:
            raise StudyError(f"views: spacing of {view!r} is {study.spacing(view)} px; need S > 0")
    densest = min(study.views, key=study.spacing)
    if study.scan_step is None and study.spacing(densest) < MIN_SCAN_STEP:
        overlap = study.views[densest]
        most = 1 - MIN_SCAN_STEP * (1 - overlap) / study.spacing(densest)
        raise StudyError(
            f"views: {densest!r} at overlap {overlap:g} leaves a spacing of "
            f"{study.spacing(densest):.2f} px, below the finest scan raster "
            f"({MIN_SCAN_STEP} px); allowed overlap ≤ {math.floor(most * 1000) / 1000:g}"
        )
    if study.base_step > min(study.spacings.values()):
        raise StudyError(
            f"scan_step: {study.base_step} px is coarser than the densest view's spacing "
            f"{min(study.spacings.values()):.1f} px; allowed scan_step ≤ that spacing"
        )
    refinements = [m for m in study.methods if m.startswith(REFINEMENT_PREFIX)]
    if refinements and Method.PINN not in study.methods:
        raise StudyError(
            f"methods: {refinements} start from the PINN's reconstruction; add 'pinn' to methods"
        )
    if not study.repeats:
        raise StudyError("repeats: needs at least one repeat seed, e.g. [0]")
    if len(set(study.repeats)) != len(study.repeats) or min(study.repeats) < 0:
        raise StudyError(f"repeats: {study.repeats} must be distinct seeds ≥ 0, e.g. [0, 1, 2]")


def setting_warnings(study: "Study") -> list[str]:
    """Set-ups that run but break an assumption of a method, each ``"field: message"``."""
    out = []
    probe = study.make_probe()
    inside = support_fraction(probe)
    if Method.PINN in study.methods and inside < SUPPORT_FRACTION:
        field = "probe_file" if study.probe_file else "object_npz" if study.object_npz else "probe"
        out.append(
            f"{field}: only {inside:.1%} of |P|² lies inside the central disc of diameter N/2 = "
            f"{study.patch_size / 2:g} px (D₉₉ = {footprint_diameter(probe, 0.99):.1f} px); "
            f"the PINN assumes the illuminated object fits there, so its cells will under-sample "
            f"the exit wave — use the 'defocused' probe or less defocus"
        )
    return out + _overlap_warnings(study) + _scan_warnings(study)


def _overlap_warnings(study: "Study") -> list[str]:
    """Every view, when none has ptychographic overlap (a sparse view alone is a contrast)."""
    overlaps = {view: study.linear_overlap(view) for view in study.views}
    if max(overlaps.values()) >= PTYCHOGRAPHIC_OVERLAP:
        return []
    listed = ", ".join(f"{view!r} {f:.0%}" for view, f in overlaps.items())
    return [
        f"views: no ptychographic overlap in any view (linear overlap 1 − S/D: {listed}, below "
        f"{PTYCHOGRAPHIC_OVERLAP:.0%}); expected of a sparse view, but a dense view needs f ≥ "
        f"{PTYCHOGRAPHIC_OVERLAP:g}, e.g. dense=0.7"
    ]


def _scan_warnings(study: "Study") -> list[str]:
    """An object too small for both splits, or a view that keeps fewer than ``min_positions``."""
    if study.object_file:
        shape = load_object(study).shape
    elif study.object_npz:
        shape = load_npz(study.object_npz)["object"].shape
    else:
        shape = (study.object_size,) * 2
    try:
        positions, split = base_scan(study, shape)
    except StudyError as exc:
        return [str(exc)]
    out = []
    for view in study.views:
        for name, label in SPLIT_LABEL.items():
            accepted, bound = accept_split(study, positions[split == label], study.spacing(view))
            if accepted.sum() < study.min_positions:
                out.append(
                    f"views: view {view!r} (S = {study.spacing(view):.1f} px) "
                    f"keeps {accepted.sum()} {name} positions (geometric bound {bound}) "
                    f"but methods need min_positions = "
                    f"{study.min_positions}; use a larger object_size or a higher overlap fraction"
                )
    return out
