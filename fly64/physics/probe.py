"""The illumination: a default focused probe and its footprint."""

import numpy as np


def make_probe(size: int = 64, *, pupil_radius: float | None = None, defocus: float = 4.0) -> np.ndarray:
    """A focused beam: the far-field image of a circular pupil with some defocus.

    The pupil (a disc of ``pupil_radius`` pixels in the N×N Fourier grid; the default
    16/3 makes the spot scale with N, footprint D ≈ 0.65·N) carries a quadratic phase of ``defocus`` radians at its rim; its inverse FFT is an
    Airy-like spot with rings (side lobes), centred on pixel (N//2, N//2).

    Parameters
    ----------
    size : window side N in pixels.
    pupil_radius : pupil radius in Fourier pixels; smaller means a wider spot.
    defocus : quadratic pupil phase at the rim, radians (0 = in focus).

    Returns
    -------
    probe : complex64 (N, N), normalised so that Σ|P|² = 1.
    """
    if size < 8:
        raise ValueError(f"probe size must be at least 8 pixels, got {size}")
    radius = 16 / 3 if pupil_radius is None else float(pupil_radius)
    if not 0 < radius < size / 2:
        raise ValueError(f"pupil_radius must lie in (0, {size / 2}), got {radius}")
    k = np.fft.fftfreq(size) * size
    ky, kx = np.meshgrid(k, k, indexing="ij")
    rho2 = (ky**2 + kx**2) / radius**2
    pupil = np.where(rho2 <= 1.0, np.exp(1j * defocus * rho2), 0.0)
    probe = np.fft.fftshift(np.fft.ifft2(pupil))
    probe /= np.sqrt(np.sum(np.abs(probe) ** 2))
    return probe.astype(np.complex64)


def footprint_diameter(probe: np.ndarray, fraction: float = 0.9) -> float:
    """Diameter D (pixels) of the disc centred on (N//2, N//2) holding ``fraction`` of Σ|P|².

    Computed from the cumulative intensity over pixel-centre radii, interpolated linearly,
    so a flat disc probe of radius r gives D ≈ 2r·√fraction.
    """
    if probe.ndim != 2 or probe.shape[0] != probe.shape[1]:
        raise ValueError(f"probe must be square (N, N), got shape {probe.shape}")
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie in (0, 1), got {fraction}")
    n = probe.shape[0]
    yy, xx = np.indices(probe.shape)
    radius = np.hypot(yy - n // 2, xx - n // 2).ravel()
    intensity = (np.abs(probe) ** 2).ravel()
    order = np.argsort(radius, kind="stable")
    cumulative = np.cumsum(intensity[order]) / intensity.sum()
    return float(2 * np.interp(fraction, cumulative, radius[order]))
