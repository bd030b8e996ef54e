"""Health checks of a finished training: a flat loss curve, a collapsed reconstruction."""

import numpy as np

from fly64.metrics.evaluate import evaluation_mask
from fly64.metrics.similarity import correlation

#: defaults of :func:`health_checks`
SETTLE_EPOCHS = 2
FLAT_TOLERANCE = 1e-3
MIN_PHASE_STD = 1e-3
MIN_CORRELATION = 0.1
#: a held-out Poisson NLL above this multiple of the data's noise floor flags ``underfit``
UNDERFIT_RATIO = 2.0


def centred_phase(obj: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Phase of ``obj`` on ``mask`` after removing its mean phase factor (no wrap at ±π)."""
    values = obj[mask]
    mean = values.sum()
    return np.angle(values * np.conj(mean / abs(mean))) if abs(mean) > 0 else np.angle(values)


def health_checks(
    losses: list[dict],
    obj: np.ndarray,
    weights: np.ndarray,
    truth: np.ndarray,
    *,
    settle_epochs: int = SETTLE_EPOCHS,
    flat_tolerance: float = FLAT_TOLERANCE,
    min_phase_std: float = MIN_PHASE_STD,
    min_correlation: float = MIN_CORRELATION,
    mask_threshold: float,
    illumination_unit: float | None = None,
    noise_floor: dict | None = None,
    underfit_ratio: float = UNDERFIT_RATIO,
) -> dict:
    """Flags and the numbers behind them, JSON-ready (for ``CellResult.health``).

    * ``flat_loss``: the training loss changed by less than ``flat_tolerance`` (relative)
      between epoch ``settle_epochs`` and the last epoch (not judged, False, with fewer epochs).
    * ``collapsed``: on the well-lit region (weights ≥ ``mask_threshold``·unit, the unit
      being ``illumination_unit``, e.g. the probe's peak max|P|², or max(weights)), the phase
      varies by less than ``min_phase_std`` rad, or its Pearson correlation with the ground
      truth phase (both with their mean phase removed; no registration) is below
      ``min_correlation`` in magnitude. Needs the ground truth (simulated data).
    * ``underfit`` (truth-free, judged when ``noise_floor`` is given, e.g. by
      :func:`fly64.models.train.noise_floor_ratio` on held-out groups): the held-out Poisson
      NLL exceeds ``underfit_ratio`` × the data's own noise floor, so the model does not
      explain the measurements — on imported data, the check that remains.

    Parameters
    ----------
    losses : per-epoch rows with a ``train`` key.
    obj, truth : complex (H, W) reconstruction and ground truth on the same canvas.
    weights : float (H, W) stitching weights.
    """
    train = [row["train"] for row in losses]
    change = None
    if len(train) > settle_epochs:
        reference = train[settle_epochs - 1]
        change = abs(train[-1] - reference) / max(abs(reference), 1e-12)
    unit = weights.max() if illumination_unit is None else illumination_unit
    mask = evaluation_mask(weights, mask_threshold, unit)
    phase_std = phase_corr = amplitude_corr = None  # correlation: 0 where either side is flat
    if mask.sum() > 1:
        phase = centred_phase(obj, mask)
        phase_std = float(phase.std())
        phase_corr = correlation(phase, centred_phase(truth, mask))
        amplitude_corr = correlation(np.abs(obj[mask]), np.abs(truth[mask]))
    collapsed = phase_std is None or phase_std < min_phase_std or abs(phase_corr) < min_correlation
    ratio = None if noise_floor is None else float(noise_floor["ratio"])
    return {
        "flat_loss": bool(change is not None and change < flat_tolerance),
        "collapsed": bool(collapsed),
        "underfit": bool(ratio is not None and ratio > underfit_ratio),
        "nll_to_noise_floor": ratio,
        "underfit_ratio": underfit_ratio,
        "loss_relative_change": change,
        "phase_std": phase_std,
        "phase_correlation": phase_corr,
        "amplitude_correlation": amplitude_corr,
        "mask_pixels": int(mask.sum()),
        "settle_epochs": settle_epochs,
        "flat_tolerance": flat_tolerance,
        "min_phase_std": min_phase_std,
        "min_correlation": min_correlation,
        "mask_threshold": mask_threshold,
        "illumination_unit": float(unit),
    }
