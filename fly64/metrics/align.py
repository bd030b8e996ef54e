"""Bring a reconstruction into the ground truth's frame: sub-pixel shift, phase offset, scale.

Every method is aligned the same way before it is scored
(``docs/architecture.md#evaluation-frame``). Arrays are row-major (H, W); shifts are ``(y, x)``
in object pixels.
"""

import numpy as np
from scipy import ndimage
from skimage.registration import phase_cross_correlation

from fly64.metrics.flat import is_flat


def register(
    reference: np.ndarray,
    moving: np.ndarray,
    mask: np.ndarray | None = None,
    upsample: int = 100,
) -> tuple[tuple[float, float], np.ndarray]:
    """Register ``moving`` onto ``reference`` to sub-pixel precision and apply the shift.

    The shift is the peak of the cross-correlation (no spectral whitening, which is the
    robust choice for noisy, weak-phase objects), refined on a grid of ``1/upsample`` px
    by ``skimage.registration.phase_cross_correlation``. Complex objects are registered
    as complex fields, so a global phase factor or amplitude scale does not change the
    shift. Before correlating, both images have their mean over ``mask`` removed and
    ``moving`` is set to zero outside ``mask``, so its unilluminated region cannot pull the
    peak; ``reference`` (the ground truth, valid everywhere) is kept whole, so the mask's
    own outline, present in only one image, cannot bias the shift towards zero.
    The shift is applied to the whole of ``moving`` with a Fourier shift (circular:
    content leaving one edge re-enters at the opposite one).

    If either image is flat (constant up to rounding) on the mask there is nothing to
    register: the shift is (0, 0) and ``moving`` is returned unshifted.
    The search is not bounded: a reconstruction with no structure in common with the
    reference gets an arbitrary shift, so callers should look at the returned shift.

    Parameters
    ----------
    reference, moving : (H, W) complex or real arrays of the same shape.
    mask : (H, W) bool, optional
        Pixels to register on (default: all).
    upsample : int
        Sub-pixel precision is ``1/upsample`` px.

    Returns
    -------
    shift_yx : (float, float)
        Shift in pixels that was applied to ``moving``.
    aligned : (H, W) ndarray
        ``moving`` shifted; complex128 if ``moving`` is complex, else float64.
    """
    reference = np.asarray(reference)
    moving = np.asarray(moving)
    if reference.ndim != 2 or reference.shape != moving.shape:
        raise ValueError(
            f"reference and moving must be 2-D of the same shape, got {reference.shape} "
            f"and {moving.shape}"
        )
    mask = np.ones(reference.shape, bool) if mask is None else np.asarray(mask, bool)
    reference_anomaly = reference - reference[mask].mean()
    moving_anomaly = np.where(mask, moving - moving[mask].mean(), 0)
    scales = (np.abs(reference[mask]).max(), np.abs(moving[mask]).max())
    if is_flat(reference_anomaly[mask], scales[0]) or is_flat(moving_anomaly[mask], scales[1]):
        return (0.0, 0.0), moving.astype(complex if np.iscomplexobj(moving) else float)
    shift, _, _ = phase_cross_correlation(
        reference_anomaly, moving_anomaly, upsample_factor=upsample, normalization=None
    )
    shifted = np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(moving), shift))
    aligned = shifted if np.iscomplexobj(moving) else shifted.real
    return (float(shift[0]), float(shift[1])), aligned


def remove_phase_offset(
    truth_phase: np.ndarray,
    rec_phase: np.ndarray,
    mask: np.ndarray,
    ramp: bool = False,
) -> np.ndarray:
    """Remove the global phase offset (and optionally a linear ramp) of a reconstruction.

    The wrapped difference ``d = angle(exp(i·(rec − truth)))`` is first centred by its
    circular mean on ``mask`` (robust when the offset is near ±π), re-wrapped, and then a
    least-squares fit on ``mask`` of a constant (``ramp=False``) or of a plane
    ``a + b·y + c·x`` (``ramp=True``) is subtracted.

    Parameters
    ----------
    truth_phase, rec_phase : (H, W) float, radians.
    mask : (H, W) bool, the pixels the fit uses.
    ramp : bool
        Also remove a linear phase ramp (e.g. a residual sub-pixel shift or probe tilt).

    Returns
    -------
    (H, W) float64, radians
        ``truth + wrapped difference − fit``: the reconstruction's phase unwrapped
        relative to the truth, so it lies near it wherever the two agree.
    """
    mask = np.asarray(mask, bool)
    difference = np.angle(np.exp(1j * (rec_phase - truth_phase)))
    circular_mean = np.angle(np.exp(1j * difference[mask]).sum())
    residual = np.angle(np.exp(1j * (difference - circular_mean)))
    columns = [np.ones(mask.shape)]
    if ramp:
        yy, xx = np.indices(mask.shape, dtype=float)
        scale = max(mask.shape)
        columns += [(yy - yy[mask].mean()) / scale, (xx - xx[mask].mean()) / scale]
    design = np.stack(columns, axis=-1)
    coefficients, *_ = np.linalg.lstsq(design[mask], residual[mask], rcond=None)
    return truth_phase + residual - design @ coefficients


def scale_amplitude(truth_amp: np.ndarray, rec_amp: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Scale a reconstructed amplitude by the least-squares factor onto the truth.

    ``a = Σ truth·rec / Σ rec²`` over ``mask`` minimises ``‖a·rec − truth‖²`` on the mask.

    Parameters
    ----------
    truth_amp, rec_amp : (H, W) float, amplitude (dimensionless transmission).
    mask : (H, W) bool.

    Returns
    -------
    (H, W) float64
        ``a·rec``; ``rec`` unchanged when it is zero everywhere on the mask.
    """
    mask = np.asarray(mask, bool)
    rec_amp = np.asarray(rec_amp, dtype=float)
    power = np.sum(rec_amp[mask] ** 2)
    if power == 0:
        return rec_amp
    return rec_amp * (np.sum(truth_amp[mask] * rec_amp[mask]) / power)
