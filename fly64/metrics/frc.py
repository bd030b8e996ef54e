"""Fourier ring correlation (FRC) and the resolution it implies."""

import numpy as np
from scipy.signal.windows import tukey

from fly64.metrics.flat import is_flat

#: fixed FRC threshold
FRC_HALF = 0.5
#: period bands (pixels, full period) of :func:`frc_bands`: from the scan's scale down to Nyquist
PERIOD_BANDS = ((32.0, np.inf), (16.0, 32.0), (8.0, 16.0), (2.0, 8.0))


def frc(
    a: np.ndarray, b: np.ndarray, *, taper: float = 0.25
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fourier ring correlation of two real images.

    Each image has its mean removed and is apodised with a separable Tukey window
    (``taper`` = fraction of each side inside the cosine taper) before the FFT. Rings are
    ``1/min(H, W)`` cycles/pixel wide and run from the first ring above DC up to Nyquist
    (0.5 cycles/pixel); corners beyond Nyquist are left out. A ring where either image has
    no power, and every ring when either image is flat (constant), scores 0.

    Parameters
    ----------
    a, b : (H, W) real arrays of the same shape.
    taper : float in [0, 1], Tukey shape parameter (0: none, 1: Hann).

    Returns
    -------
    freq : (R,) float64, ring centre frequencies in cycles/pixel.
    values : (R,) float64, FRC in [-1, 1].
    n_per_ring : (R,) int64, pixels (Fourier samples) in each ring.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"FRC needs two 2-D images of the same shape, got {a.shape} and {b.shape}")
    h, w = a.shape
    step = 1.0 / min(h, w)
    n_rings = min(h, w) // 2
    radius = np.hypot(np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :])
    ring = np.rint(radius / step).astype(int)
    keep = (ring >= 1) & (ring <= n_rings)
    index = ring[keep] - 1
    n_per_ring = np.bincount(index, minlength=n_rings)
    freq = np.arange(1, n_rings + 1) * step
    scale = max(np.abs(a).max(), np.abs(b).max())
    if is_flat(a, scale) or is_flat(b, scale):
        return freq, np.zeros(n_rings), n_per_ring

    window = np.outer(tukey(h, taper), tukey(w, taper))
    fa = np.fft.fft2((a - a.mean()) * window)[keep]
    fb = np.fft.fft2((b - b.mean()) * window)[keep]
    cross = np.bincount(index, (fa * fb.conj()).real, minlength=n_rings)
    power_a = np.bincount(index, np.abs(fa) ** 2, minlength=n_rings)
    power_b = np.bincount(index, np.abs(fb) ** 2, minlength=n_rings)
    denominator = np.sqrt(power_a * power_b)
    values = np.divide(cross, denominator, out=np.zeros(n_rings), where=denominator > 0)
    return freq, values, n_per_ring


def half_bit_threshold(n_per_ring: np.ndarray) -> np.ndarray:
    """The ½-bit threshold curve (van Heel & Schatz 2005).

    ``T = (0.2071 + 1.9102/√n) / (1.2071 + 0.9102/√n)`` with ``n`` the pixels per ring.
    It was derived for two independent half-data-set reconstructions; against a ground
    truth it is used here as the customary, slightly conservative, criterion.

    Parameters
    ----------
    n_per_ring : (R,) int, pixels in each ring (≥ 1).

    Returns
    -------
    (R,) float64 threshold values.
    """
    root = np.sqrt(np.asarray(n_per_ring, dtype=float))
    return (0.2071 + 1.9102 / root) / (1.2071 + 0.9102 / root)


def frc_resolution(
    freq: np.ndarray, values: np.ndarray, threshold: float | np.ndarray
) -> tuple[float, float]:
    """Where an FRC curve, once at or above a threshold, first falls below it.

    Rings before the curve first reaches the threshold are skipped: an object with little
    power at the lowest frequencies (the default probe-scale object is high-passed at
    periods ≈ 2·D) gives a noisy FRC there that says nothing about resolution. The crossing
    frequency is interpolated linearly between the last ring at or above the threshold and
    the first ring below it. If the curve never reaches the threshold, the crossing is the
    first ring's frequency. If it never falls below after reaching it, the crossing is
    Nyquist: 0.5 cycles/pixel, i.e. a resolution of 2 px (the best the pixel grid can express).

    Parameters
    ----------
    freq : (R,) float, cycles/pixel, increasing.
    values : (R,) float, FRC values.
    threshold : float or (R,) float, e.g. ``FRC_HALF`` or ``half_bit_threshold(n)``.

    Returns
    -------
    freq_cross : float, cycles/pixel.
    resolution_px : float, ``1 / freq_cross`` in pixels (full period).
    """
    margin = np.asarray(values, dtype=float) - np.broadcast_to(threshold, np.shape(values))
    above = np.flatnonzero(margin >= 0)
    below = above[0] + np.flatnonzero(margin[above[0] :] < 0) if above.size else np.array([0])
    if below.size == 0:
        freq_cross = 0.5
    elif below[0] == 0:
        freq_cross = float(freq[0])
    else:
        i = below[0]
        t = margin[i - 1] / (margin[i - 1] - margin[i])
        freq_cross = float(freq[i - 1] + t * (freq[i] - freq[i - 1]))
    return freq_cross, 1.0 / freq_cross


def frc_bands(
    freq: np.ndarray, values: np.ndarray, bands: tuple = PERIOD_BANDS
) -> dict[str, float]:
    """Mean FRC over the rings whose period falls in each band: where a reconstruction's
    error lives, by spatial scale.

    Parameters
    ----------
    freq : (R,) float, ring frequencies in cycles/pixel.
    values : (R,) float, FRC values.
    bands : ((low, high), ...) periods in pixels, ``low ≤ 1/freq < high``.

    Returns
    -------
    ``{"32-inf px": mean, ...}`` in the order of ``bands``; NaN for a band without rings.
    """
    period = 1.0 / np.asarray(freq, dtype=float)
    values = np.asarray(values, dtype=float)
    out = {}
    for low, high in bands:
        inside = (period >= low) & (period < high)
        out[f"{low:g}-{high:g} px"] = float(values[inside].mean()) if inside.any() else np.nan
    return out
