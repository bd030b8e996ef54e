"""Local correlation: agreement inside each probe footprint, blind to each footprint's level."""

import numpy as np

#: spread below this fraction of an image's magnitude counts as flat (float rounding)
ROUNDING = 1e-9


def footprint_core(size: int, diameter: float) -> np.ndarray:
    """Bool (N, N): the disc of ``diameter`` px centred on (N//2, N//2) (e.g. the footprint D)."""
    yy, xx = np.indices((size, size))
    return np.hypot(yy - size // 2, xx - size // 2) <= diameter / 2


def local_correlation(
    truth: np.ndarray, image: np.ndarray, positions: np.ndarray, core: np.ndarray
) -> float:
    """Median over scan positions of the Pearson correlation inside one footprint's core.

    Each window's own mean is removed by the correlation, so an image whose footprints
    carry the truth's structure at wrong levels still scores 1, and one whose levels are
    right but flat inside each footprint scores 0. It separates what one diffraction
    pattern can tell (the structure under the probe) from what only overlap fixes (the
    levels from one footprint to the next, e.g. each patch's phase offset).

    Parameters
    ----------
    truth, image : float (H, W) on the same canvas (e.g. the phase as scored by
        :func:`~fly64.metrics.evaluate`: registered, offset removed, radians).
    positions : int (n, 2) (y, x) window centres, object pixels; windows lie inside.
    core : bool (N, N), the pixels of a window that count (:func:`footprint_core`).

    Returns
    -------
    float in [−1, 1]: windows where ``image`` is flat score 0, windows where the truth is
    flat are skipped; NaN when the truth is flat in every window.
    """
    positions = np.asarray(positions, np.int64)
    size = core.shape[0]
    top_left = positions - size // 2
    if len(positions) == 0 or top_left.min() < 0 or (top_left + size > np.array(truth.shape)).any():
        raise ValueError(
            f"local_correlation needs {size}-px windows inside the {truth.shape} canvas"
        )
    pixels = np.arange(size)
    rows = top_left[:, 0, None, None] + pixels[:, None]  # (n, N, 1)
    cols = top_left[:, 1, None, None] + pixels[None, :]  # (n, 1, N)
    a, b = (np.asarray(x, np.float64)[rows, cols][:, core] for x in (truth, image))  # (n, k)
    a, b = (x - x.mean(axis=1, keepdims=True) for x in (a, b))
    norm_a, norm_b = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    usable = norm_a > ROUNDING * np.abs(a).max() * np.sqrt(a.shape[1])
    if not usable.any():
        return float("nan")
    flat = norm_b <= ROUNDING * (np.abs(image).max() + np.abs(b).max()) * np.sqrt(b.shape[1])
    corr = np.where(flat, 0.0, (a * b).sum(axis=1) / np.where(flat, 1.0, norm_a * norm_b))
    return float(np.median(corr[usable]))
