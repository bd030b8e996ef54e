"""The illumination: the built-in probes, their footprint and how much of them the window holds.

Two named probes, both the far-field image (inverse FFT) of a pupil in the N×N Fourier grid
carrying a quadratic defocus phase ``defocus·(ρ/r)²``:

``defocused`` (default)
    a soft-edged pupil (flat to r/2, then a raised cosine falling to zero at 3r/2, r = 0.325·N)
    with a strong defocus (0.18·N rad at ρ = r): a zone-plate-like beam out of focus. Its
    footprint is compact (D₉₀ ≈ 0.35·N, ≥ 99 % of |P|² inside the central disc of diameter
    N/2 for N ≥ 32) with soft edges and no rings, and its far field fills most of the detector.
    A single pattern is then oversampled, as PtychoPINN's network assumes.
``focused``
    a hard-edged pupil of radius 16/3 Fourier pixels with 4 rad of defocus: an Airy-like spot
    with rings whose footprint (D₉₀ ≈ 0.65·N) spills past N/2 — the seed study's probe,
    kept to reproduce its numbers.

Both scale with N (the same shape in units of N at every window size).
"""

import numpy as np

#: the named probes: pupil radius r (Fourier pixels) and rim defocus (radians) as functions
#: of N, and whether the pupil edge is soft (raised cosine of width r) or hard
PROBES = {
    "defocused": dict(pupil_radius=lambda n: 0.325 * n, defocus=lambda n: 0.18 * n, soft=True),
    "focused": dict(pupil_radius=lambda n: 16 / 3, defocus=lambda n: 4.0, soft=False),
}


def probe_design(kind: str, size: int) -> tuple[float, float]:
    """(pupil_radius, defocus) of the named probe ``kind`` at window side ``size``."""
    if kind not in PROBES:
        raise ValueError(f"probe: unknown probe {kind!r}; choose from {sorted(PROBES)}")
    design = PROBES[kind]
    return float(design["pupil_radius"](size)), float(design["defocus"](size))


def _pupil_amplitude(rho: np.ndarray, radius: float, soft: bool) -> np.ndarray:
    """Pupil transmission at Fourier radius ``rho``: a hard disc, or 1 → 0 over [r/2, 3r/2]."""
    if not soft:
        return (rho <= radius).astype(float)
    t = np.clip((rho - radius / 2) / radius, 0.0, 1.0)
    return 0.5 * (1 + np.cos(np.pi * t))


def make_probe(
    size: int = 64,
    kind: str = "defocused",
    *,
    pupil_radius: float | None = None,
    defocus: float | None = None,
) -> np.ndarray:
    """A named probe (see the module docstring), optionally with its pupil or defocus changed.

    Parameters
    ----------
    size : window side N in pixels.
    kind : ``"defocused"`` or ``"focused"``.
    pupil_radius : pupil radius r in Fourier pixels (None: the probe's design value); a
        smaller pupil gives a wider in-focus spot.
    defocus : quadratic pupil phase at ρ = r, radians (None: the design value; 0 = in focus);
        more defocus gives a wider beam.

    Returns
    -------
    probe : complex64 (N, N), centred on pixel (N//2, N//2), normalised so that Σ|P|² = 1.
    """
    if size < 8:
        raise ValueError(f"probe size must be at least 8 pixels, got {size}")
    design_radius, design_defocus = probe_design(kind, size)
    radius = design_radius if pupil_radius is None else float(pupil_radius)
    phase = design_defocus if defocus is None else float(defocus)
    if not 0 < radius < size / 2:
        raise ValueError(f"pupil_radius must lie in (0, {size / 2}), got {radius}")
    k = np.fft.fftfreq(size) * size
    ky, kx = np.meshgrid(k, k, indexing="ij")
    rho = np.hypot(ky, kx)
    pupil = _pupil_amplitude(rho, radius, PROBES[kind]["soft"]) * np.exp(
        1j * phase * (rho / radius) ** 2
    )
    probe = np.fft.fftshift(np.fft.ifft2(pupil))
    probe /= np.sqrt(np.sum(np.abs(probe) ** 2))
    return probe.astype(np.complex64)


def _radial_cumulative(probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre radii about (N//2, N//2), sorted, and the cumulative fraction of Σ|P|²."""
    if probe.ndim != 2 or probe.shape[0] != probe.shape[1]:
        raise ValueError(f"probe must be square (N, N), got shape {probe.shape}")
    n = probe.shape[0]
    yy, xx = np.indices(probe.shape)
    radius = np.hypot(yy - n // 2, xx - n // 2).ravel()
    intensity = (np.abs(probe) ** 2).ravel()
    order = np.argsort(radius, kind="stable")
    return radius[order], np.cumsum(intensity[order]) / intensity.sum()


def footprint_diameter(probe: np.ndarray, fraction: float = 0.9) -> float:
    """Diameter D (pixels) of the disc centred on (N//2, N//2) holding ``fraction`` of Σ|P|².

    Computed from the cumulative intensity over pixel-centre radii, interpolated linearly,
    so a flat disc probe of radius r gives D ≈ 2r·√fraction. D₉₀ (the default) is the
    study's footprint; D₉₉ tells whether the probe fits the network's N/2 support.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction}")
    radius, cumulative = _radial_cumulative(probe)
    return float(2 * np.interp(fraction, cumulative, radius))


def support_fraction(probe: np.ndarray, diameter: float | None = None) -> float:
    """Fraction of Σ|P|² inside the disc of ``diameter`` pixels (default N/2)
    centred on (N//2, N//2).
    """
    if diameter is not None and not diameter > 0:
        raise ValueError(f"diameter must be a positive number of pixels, got {diameter!r}")
    radius, cumulative = _radial_cumulative(probe)
    limit = probe.shape[0] / 4 if diameter is None else diameter / 2
    return float(cumulative[np.searchsorted(radius, limit, side="right") - 1])
