"""Overlap measured with the probe footprint D, and the illumination coverage of a scan.

D is the diameter, in pixels, of the centred disc holding 90 % of |P|²
(``docs/architecture.md#conventions``).
"""

import numpy as np

from fly64.overlap._positions import checked_positions


def _checked_distances(d, footprint: float) -> np.ndarray:
    if not (np.isfinite(footprint) and footprint > 0):
        raise ValueError(
            f"footprint D must be a finite positive number of pixels, got {footprint!r}"
        )
    d = np.asarray(d, dtype=np.float64)
    if not (np.isfinite(d).all() and (d >= 0).all()):
        raise ValueError("centre distances must be finite and ≥ 0")
    return d


def disc_overlap_fraction(d, footprint: float):
    """Fraction of a disc of diameter D covered by the same disc moved by d.

    f(d) = A(d) / (πR²), A(d) = 2R²·acos(d/2R) − (d/2)·√(4R² − d²), R = D/2; f = 0 for d ≥ D.
    f(0) = 1, f(R) = 2/3 − √3/(2π) ≈ 0.391, decreasing in d.

    Parameters
    ----------
    d : float or array, centre distance(s) in pixels (≥ 0).
    footprint : probe footprint D in pixels (> 0).

    Returns
    -------
    f : float64, same shape as ``d`` (a float for a scalar ``d``), in [0, 1].
    """
    d = _checked_distances(d, footprint)
    radius = footprint / 2
    x = np.minimum(d, footprint)
    area = 2 * radius**2 * np.arccos(x / footprint) - (x / 2) * np.sqrt(footprint**2 - x**2)
    return (np.clip(area / (np.pi * radius**2), 0.0, 1.0))[()]


def linear_overlap(d, footprint: float):
    """Linear overlap 1 − d/D, clipped at 0 (no overlap for d ≥ D).

    Parameters
    ----------
    d : float or array, centre distance(s) in pixels (≥ 0).
    footprint : probe footprint D in pixels (> 0).

    Returns
    -------
    overlap : float64, same shape as ``d`` (a float for a scalar ``d``), in [0, 1].
    """
    d = _checked_distances(d, footprint)
    return np.maximum(1.0 - d / footprint, 0.0)[()]


def coverage_map(positions, probe_intensity, object_shape: tuple[int, int]) -> np.ndarray:
    """Summed probe intensity |P|² over all scan windows, on the object canvas.

    The window of a centre (y, x) covers rows ``y − Ny//2 … y − Ny//2 + Ny − 1`` and columns
    ``x − Nx//2 … x − Nx//2 + Nx − 1`` (Ny × Nx = probe shape). Parts of a window outside the
    object are dropped.

    Parameters
    ----------
    positions : (n, 2), (y, x) window centres in object pixels; float centres are rounded to
        the nearest integer (``np.rint``, halves to even).
    probe_intensity : float (Ny, Nx), |P|².
    object_shape : (H, W) of the object canvas in pixels.

    Returns
    -------
    coverage : float64 (H, W), same units as ``probe_intensity``; its sum is n·Σ|P|² when
        every window lies inside the object.
    """
    pts = np.rint(checked_positions(positions)).astype(np.int64)
    intensity = np.asarray(probe_intensity, dtype=np.float64)
    if intensity.ndim != 2 or intensity.size == 0:
        raise ValueError(f"probe_intensity must be a 2-D (N, N) array, got shape {intensity.shape}")
    height, width = (int(s) for s in object_shape)
    if height <= 0 or width <= 0:
        raise ValueError(f"object_shape must be positive, got {tuple(object_shape)}")
    ny, nx = intensity.shape
    coverage = np.zeros((height, width), dtype=np.float64)
    for y, x in pts.tolist():
        top, left = y - ny // 2, x - nx // 2
        r0, r1 = max(top, 0), min(top + ny, height)
        c0, c1 = max(left, 0), min(left + nx, width)
        if r0 < r1 and c0 < c1:
            coverage[r0:r1, c0:c1] += intensity[r0 - top : r1 - top, c0 - left : c1 - left]
    return coverage


def covered_fraction(coverage, threshold_rel: float = 0.1) -> float:
    """Fraction of object pixels whose coverage is ≥ ``threshold_rel`` × the maximum coverage.

    Parameters
    ----------
    coverage : float (H, W), e.g. from :func:`coverage_map`.
    threshold_rel : relative threshold in (0, 1].

    Returns
    -------
    fraction : float in [0, 1]; 0 when nothing is illuminated (maximum ≤ 0).
    """
    cov = np.asarray(coverage, dtype=np.float64)
    if cov.size == 0:
        raise ValueError("coverage is empty")
    if not 0 < threshold_rel <= 1:
        raise ValueError(f"threshold_rel must lie in (0, 1], got {threshold_rel!r}")
    peak = cov.max()
    if peak <= 0:
        return 0.0
    return float(np.mean(cov >= threshold_rel * peak))
