"""The shot-noise limit of a phase reconstruction: photons per object pixel and the
Cramér–Rao bound on each pixel's phase error.

For a weak-phase object, a known probe and an unbiased estimator, Poisson noise bounds the
phase error of an object pixel that ``n`` photons passed through (over the whole scan) by
``σ_φ ≥ 1/(2√n)`` radians. The scores implied for a reconstruction that is the truth plus
independent noise of that variance per pixel are :class:`ShotNoiseLimit`'s. A regularised or
learned method is biased (it uses prior knowledge of the object), so it may beat the RMSE
bound; the bound says what the data alone support.
"""

from dataclasses import dataclass

import numpy as np

from fly64.metrics.flat import is_flat


def photons_per_pixel(illumination: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Photons that passed through each object pixel over the scan, ``n = Σ_p |P(r − p)|²·|O|²``.

    Parameters
    ----------
    illumination : float (H, W) ≥ 0, Σ|P|² over the scan positions, in photons (the probe
        scaled to photons: e.g. :func:`fly64.overlap.metrics.coverage_map` of the dataset's
        probe over a view's positions).
    truth : complex (H, W), the ground-truth object O.

    Returns
    -------
    float64 (H, W), photons.
    """
    illumination, truth = np.asarray(illumination, float), np.asarray(truth)
    if illumination.shape != truth.shape or illumination.ndim != 2:
        raise ValueError(
            "illumination and truth must be 2-D arrays of one shape, got "
            f"{illumination.shape} and {truth.shape}"
        )
    if not np.all(np.isfinite(illumination)) or np.any(illumination < 0):
        raise ValueError("illumination must be finite and ≥ 0 (photons)")
    return illumination * np.abs(truth) ** 2


def phase_bound(photons: np.ndarray) -> np.ndarray:
    """The Cramér–Rao bound on each pixel's phase error, ``σ_φ = 1/(2√n)``.

    Parameters
    ----------
    photons : float (H, W) ≥ 0, photons per object pixel (:func:`photons_per_pixel`).

    Returns
    -------
    float64 (H, W), radians; ``inf`` where no photon passed.
    """
    photons = np.asarray(photons, float)
    with np.errstate(divide="ignore"):
        return 0.5 / np.sqrt(photons)


@dataclass(frozen=True)
class ShotNoiseLimit:
    """What the shot noise allows on an evaluation mask (see :func:`shot_noise_limit`).

    fluence : median photons per object pixel incident on the mask, Σ|P|² over the scan
        (before the object's transmission |O|², which the bounds include).
    rmse_bound : ``sqrt(mean σ_φ²)`` on the mask, radians: the least phase RMSE of an
        unbiased estimator (a regularised or learned one may go below it).
    correlation_bound : ``sqrt(var φ / (var φ + mean σ_φ²))`` on the mask: the phase
        correlation of the truth plus independent noise at the bound; NaN when the truth's
        phase is constant on the mask (up to rounding, as :func:`evaluate` scores it).
    """

    fluence: float
    rmse_bound: float
    correlation_bound: float


def shot_noise_limit(
    truth: np.ndarray, illumination: np.ndarray, mask: np.ndarray
) -> ShotNoiseLimit:
    """Fluence and the phase RMSE and correlation bounds of one scan on an evaluation mask.

    Assumes a weak-phase object, a known probe and an unbiased estimator (module docstring).

    Parameters
    ----------
    truth : complex (H, W), the ground-truth object.
    illumination : float (H, W), Σ|P|² over the scan positions in photons
        (:func:`photons_per_pixel`).
    mask : bool (H, W), non-empty, the pixels scored (e.g. :func:`evaluation_mask`).

    Returns
    -------
    ShotNoiseLimit
    """
    mask = np.asarray(mask, bool)
    if mask.shape != np.shape(truth):
        raise ValueError(f"mask has shape {mask.shape}, the truth {np.shape(truth)}")
    if not mask.any():
        raise ValueError("the mask is empty: there is no pixel to bound")
    photons = photons_per_pixel(illumination, truth)[mask]
    incident = float(np.median(np.asarray(illumination, float)[mask]))
    variance = float(np.mean(phase_bound(photons) ** 2))
    phase = np.angle(np.asarray(truth)[mask])
    phase_variance = float(np.var(phase))
    correlation = (
        float("nan")
        if is_flat(phase, np.abs(phase).max())
        else float(np.sqrt(phase_variance / (phase_variance + variance)))
    )
    return ShotNoiseLimit(incident, float(np.sqrt(variance)), correlation)
