"""Masked SSIM, MS-SSIM and Pearson correlation of real images.

SSIM follows Wang et al. 2004 with the settings of that paper: Gaussian window σ = 1.5 px
(11 taps), population covariance, K1 = 0.01, K2 = 0.03, and an explicit data range (the
caller passes the ground truth's). Scores are averaged over a mask rather than the whole
image.
"""

import numpy as np
from scipy import ndimage
from skimage.metrics import structural_similarity

from fly64.metrics.flat import is_flat

SSIM_SIGMA = 1.5
#: ndimage truncation giving skimage's 11-tap window for σ = 1.5
SSIM_TRUNCATE = 3.5
SSIM_WINDOW = 2 * int(SSIM_TRUNCATE * SSIM_SIGMA + 0.5) + 1
SSIM_K1, SSIM_K2 = 0.01, 0.03
#: Wang, Simoncelli & Bovik 2003, finest scale first
MS_SSIM_WEIGHTS = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333])


def ssim(truth: np.ndarray, rec: np.ndarray, mask: np.ndarray, data_range: float) -> float:
    """Mean of scikit-image's SSIM map over ``mask``.

    Parameters
    ----------
    truth, rec : (H, W) float, H and W ≥ ``SSIM_WINDOW``.
    mask : (H, W) bool, non-empty.
    data_range : float > 0, the ground truth's max − min.

    Returns
    -------
    float in [-1, 1]; 1 for identical images, ≈ 0 for a constant ``rec``.
    """
    _, ssim_map = structural_similarity(
        truth,
        rec,
        data_range=data_range,
        gaussian_weights=True,
        sigma=SSIM_SIGMA,
        use_sample_covariance=False,
        K1=SSIM_K1,
        K2=SSIM_K2,
        full=True,
    )
    return float(ssim_map[mask].mean())


def ms_ssim_scales(mask: np.ndarray) -> int:
    """Number of MS-SSIM scales (1 … 5) an image with this mask allows.

    A coarser scale is added while its image is at least ``SSIM_WINDOW`` px on each side
    and its block-averaged mask (kept where ≥ 0.5) is not empty.

    Parameters
    ----------
    mask : (H, W) bool, non-empty, H and W ≥ ``SSIM_WINDOW``.
    """
    mask = np.asarray(mask, bool)
    n_scales = 1
    while n_scales < len(MS_SSIM_WEIGHTS):
        mask = _halve(mask) >= 0.5
        if min(mask.shape) < SSIM_WINDOW or not mask.any():
            break
        n_scales += 1
    return n_scales


def ms_ssim(truth: np.ndarray, rec: np.ndarray, mask: np.ndarray, data_range: float) -> float:
    """Multi-scale SSIM (Wang, Simoncelli & Bovik 2003), averaged over ``mask``.

    ``MS-SSIM = SSIM_M^{w_M} · Π_{j<M} CS_j^{w_j}``, where ``CS_j`` is the mean over the
    mask of the contrast-structure map at scale ``j`` and ``SSIM_M`` the mean SSIM map at
    the coarsest scale. Each coarser scale is a 2×2 block average (a 2-tap averaging
    filter, then every other pixel; an odd last row/column is dropped); the mask is
    block-averaged too and kept where ≥ 0.5. Data range and constants stay those of the
    finest scale.

    Scales: five when the image allows, fewer (:func:`ms_ssim_scales`) when the coarsest
    image would be smaller than the 11-px window or its mask empty; the first M standard
    weights are then renormalised to sum to 1. Negative per-scale means are clipped to 0
    before the powers (as in pytorch-msssim), so the score lies in [0, 1] and a constant
    ``rec`` scores ≈ 0.

    Parameters
    ----------
    truth, rec : (H, W) float, H and W ≥ ``SSIM_WINDOW``.
    mask : (H, W) bool, non-empty.
    data_range : float > 0, the ground truth's max − min.

    Returns
    -------
    float in [0, 1]; 1 for identical images.
    """
    n_scales = ms_ssim_scales(mask)
    x, y, m = np.asarray(truth, float), np.asarray(rec, float), np.asarray(mask, bool)
    means = []
    for j in range(n_scales):
        if j > 0:
            x, y, m = _halve(x), _halve(y), _halve(m) >= 0.5
        luminance, contrast_structure = _ssim_terms(x, y, data_range)
        term = luminance * contrast_structure if j == n_scales - 1 else contrast_structure
        means.append(term[m].mean())
    weights = MS_SSIM_WEIGHTS[:n_scales] / MS_SSIM_WEIGHTS[:n_scales].sum()
    return float(np.prod(np.clip(means, 0, None) ** weights))


def _ssim_terms(x: np.ndarray, y: np.ndarray, data_range: float) -> tuple[np.ndarray, np.ndarray]:
    """Luminance and contrast-structure maps, with scikit-image's SSIM conventions.

    Their product equals ``structural_similarity(..., gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, full=True)``'s map (checked in the tests).
    """

    def blur(image):
        return ndimage.gaussian_filter(image, SSIM_SIGMA, truncate=SSIM_TRUNCATE, mode="reflect")

    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    luminance = (2 * mu_x * mu_y + c1) / (mu_x**2 + mu_y**2 + c1)
    contrast_structure = (2 * cov + c2) / (var_x + var_y + c2)
    return luminance, contrast_structure


def _halve(image: np.ndarray) -> np.ndarray:
    """2×2 block mean (float64), dropping an odd last row/column."""
    h, w = image.shape[0] // 2, image.shape[1] // 2
    return image[: 2 * h, : 2 * w].reshape(h, 2, w, 2).mean(axis=(1, 3), dtype=float)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally shaped value arrays (e.g. ``image[mask]``).

    Returns 0.0, not NaN, when either is flat (zero variance up to rounding): a constant
    image carries no information about the other.
    """
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    scale = max(np.abs(a).max(), np.abs(b).max())
    if is_flat(a, scale) or is_flat(b, scale):
        return 0.0
    a = a - a.mean()
    b = b - b.mean()
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))
