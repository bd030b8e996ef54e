"""Score a reconstructed object against the ground truth, amplitude and phase apart."""

from dataclasses import dataclass, field

import numpy as np

from fly64.metrics import align
from fly64.metrics.flat import ROUNDING_RTOL, is_flat
from fly64.metrics.frc import FRC_HALF, frc, frc_resolution, half_bit_threshold
from fly64.metrics.similarity import SSIM_WINDOW, correlation, ms_ssim, ms_ssim_scales, ssim

PARTS = ("amplitude", "phase")
#: scalar metrics per part, in the order of ``PartScores`` (units in its docstring)
METRICS = (
    "ssim",
    "ms_ssim",
    "psnr_db",
    "correlation",
    "mae",
    "rmse",
    "frc_resolution_px",
    "frc_halfbit_resolution_px",
)


@dataclass(frozen=True)
class PartScores:
    """Scores of one part (amplitude or phase) on the evaluation mask.

    ``ssim``, ``ms_ssim``, ``correlation`` are dimensionless; ``psnr_db`` in dB with
    peak = the truth's data range (``inf`` for a match up to rounding: RMSE ≤ 1e-9 of the
    data range, i.e. beyond 180 dB); ``mae``, ``rmse`` in the
    part's unit (amplitude: transmission, phase: radians); FRC resolutions are full
    periods in pixels at the 0.5 and ½-bit thresholds (2 px = Nyquist: never crossed).
    ``frc_freq`` (cycles/pixel), ``frc`` and ``frc_halfbit`` (the threshold curve) are
    (R,) float64 arrays.
    """

    ssim: float
    ms_ssim: float
    psnr_db: float
    correlation: float
    mae: float
    rmse: float
    frc_resolution_px: float
    frc_halfbit_resolution_px: float
    frc_freq: np.ndarray = field(repr=False)
    frc: np.ndarray = field(repr=False)
    frc_halfbit: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Evaluation:
    """Result of :func:`evaluate`.

    Attributes
    ----------
    shift_yx : (float, float), pixels applied to the reconstruction to register it.
    mask : (H, W) bool, the evaluation mask.
    ms_ssim_scales : int, scales MS-SSIM could use on the evaluation crop (1 … 5).
    amplitude, phase : PartScores.
    amplitude_aligned : (H, W) float64, the reconstruction's amplitude as scored
        (registered, least-squares scaled).
    phase_aligned : (H, W) float64, radians, its phase as scored (registered, offset and
        optional ramp removed, unwrapped relative to the truth).
    """

    shift_yx: tuple[float, float]
    mask: np.ndarray = field(repr=False)
    ms_ssim_scales: int
    amplitude: PartScores
    phase: PartScores
    amplitude_aligned: np.ndarray = field(repr=False)
    phase_aligned: np.ndarray = field(repr=False)

    def to_dict(self, curves: bool = False) -> dict:
        """Plain-Python summary for ``metrics.json``.

        Keys: ``shift_yx`` [dy, dx], ``mask_pixels``, ``ms_ssim_scales``, and per part
        (``"amplitude"``, ``"phase"``) a dict of the :data:`METRICS`; with ``curves`` also
        ``frc_freq``, ``frc`` and ``frc_halfbit`` lists. Non-finite values stay floats
        (``inf`` PSNR, ``nan``), which ``json.dumps`` writes as ``Infinity``/``NaN``.
        """
        out = {
            "shift_yx": list(self.shift_yx),
            "mask_pixels": int(self.mask.sum()),
            "ms_ssim_scales": self.ms_ssim_scales,
        }
        for part in PARTS:
            scores = getattr(self, part)
            out[part] = {name: float(getattr(scores, name)) for name in METRICS}
            if curves:
                for name in ("frc_freq", "frc", "frc_halfbit"):
                    out[part][name] = getattr(scores, name).tolist()
        return out


#: the well-lit region scored by default: weights Σ|P|² ≥ this fraction of one probe's peak
#: intensity max|P|² (the study's ``mask_threshold`` default)
MASK_THRESHOLD = 0.1


def evaluation_mask(
    weights: np.ndarray, threshold: float = MASK_THRESHOLD, unit: float | None = None
) -> np.ndarray:
    """The well-illuminated region: ``weights ≥ threshold·unit`` (and > 0).

    Parameters
    ----------
    weights : (H, W) float ≥ 0, illumination / stitching weight map on the truth's canvas.
    threshold : float in (0, 1], fraction of ``unit``.
    unit : the illumination level the threshold refers to; default ``max(weights)``.
        Pass the probe's peak intensity max|P|² (with weights = Σ|P|² over positions) to
        keep every pixel lit at ≥ ``threshold`` of one probe's peak — the same rule for a
        dense view (where probes pile up into hot spots) and a sparse one.

    Returns
    -------
    (H, W) bool; empty only when the weights are zero everywhere.
    """
    weights = np.asarray(weights, dtype=float)
    level = weights.max() if unit is None else float(unit)
    return (weights >= threshold * level) & (weights > 0)


def evaluate(
    truth: np.ndarray,
    reconstruction: np.ndarray,
    weights: np.ndarray,
    *,
    mask_threshold: float = MASK_THRESHOLD,
    illumination_unit: float | None = None,
    register: bool = True,
    ramp: bool = False,
    upsample: int = 100,
) -> Evaluation:
    """Align a reconstruction to the ground truth and score its amplitude and phase.

    Steps, the same for every method:

    1. mask = :func:`evaluation_mask` ``(weights, mask_threshold, illumination_unit)``;
    2. (``register``) sub-pixel registration of the complex reconstruction onto the
       truth on the mask, applied as a Fourier shift (:func:`~fly64.metrics.align.register`);
    3. phase: global offset (and, with ``ramp``, a linear ramp) removed by a fit on the
       wrapped difference (:func:`~fly64.metrics.align.remove_phase_offset`);
       amplitude: least-squares scale (:func:`~fly64.metrics.align.scale_amplitude`);
    4. each part is scored on the mask: PSNR (peak = truth's max − min on the mask),
       Pearson correlation, MAE, RMSE over the mask's pixels; SSIM and MS-SSIM maps
       computed on the mask's bounding box grown by the 5-px SSIM window radius (so edge
       windows see real neighbours) and averaged over the mask; the FRC on the same crop
       with pixels outside the mask set to the image's mean on the mask (so only the
       mask's content is correlated), with its 0.5 and ½-bit resolutions.

    A part whose truth is constant on the mask up to rounding (e.g. the amplitude of a
    pure-phase object) has no data range: its SSIM, MS-SSIM, PSNR, correlation and FRC
    resolutions are NaN.

    Parameters
    ----------
    truth : (H, W) complex, the ground-truth object.
    reconstruction : (H, W) complex, the reconstruction on the same canvas (absolute
        object pixels), all values finite.
    weights : (H, W) float ≥ 0, illumination / stitching weights.
    mask_threshold : float in (0, 1], see :func:`evaluation_mask`.
    illumination_unit : float > 0, optional; the level ``mask_threshold`` refers to
        (default: the maximum weight), see :func:`evaluation_mask`.
    register : bool, register before scoring (shift reported as (0, 0) when off).
    ramp : bool, also remove a linear phase ramp.
    upsample : int, registration precision is ``1/upsample`` px.

    Returns
    -------
    Evaluation

    Raises
    ------
    ValueError
        Non-complex truth or reconstruction, arrays not 2-D or of different shapes,
        non-finite values, negative or non-finite weights, a threshold outside (0, 1],
        an empty mask, or a mask whose bounding box is smaller than the 11×11 SSIM window.
    """
    truth, reconstruction, weights = _validated(truth, reconstruction, weights, mask_threshold)
    if illumination_unit is not None and not illumination_unit > 0:
        raise ValueError(f"illumination_unit must be positive, got {illumination_unit}")
    mask = evaluation_mask(weights, mask_threshold, illumination_unit)
    if not mask.any():
        raise ValueError("evaluation mask is empty: the weights are zero everywhere")
    extent = mask[mask_box(mask)].shape
    if min(extent) < SSIM_WINDOW:
        raise ValueError(
            f"evaluation mask spans only {extent[0]}×{extent[1]} px; "
            f"SSIM needs at least {SSIM_WINDOW}×{SSIM_WINDOW}"
        )
    box = mask_box(mask, SSIM_WINDOW // 2)

    shift_yx = (0.0, 0.0)
    if register:
        shift_yx, reconstruction = align.register(truth, reconstruction, mask, upsample)
    truth_parts = {"amplitude": np.abs(truth), "phase": np.angle(truth)}
    aligned = {
        "amplitude": align.scale_amplitude(truth_parts["amplitude"], np.abs(reconstruction), mask),
        "phase": align.remove_phase_offset(
            truth_parts["phase"], np.angle(reconstruction), mask, ramp
        ),
    }
    scores = {
        part: _score_part(truth_parts[part][box], aligned[part][box], mask[box]) for part in PARTS
    }
    return Evaluation(
        shift_yx=shift_yx,
        mask=mask,
        ms_ssim_scales=ms_ssim_scales(mask[box]),
        amplitude=scores["amplitude"],
        phase=scores["phase"],
        amplitude_aligned=aligned["amplitude"],
        phase_aligned=aligned["phase"],
    )


def _validated(truth, reconstruction, weights, mask_threshold):
    """The three arrays as complex128, complex128, float64, or a ValueError naming the fault."""
    truth, reconstruction, weights = (np.asarray(a) for a in (truth, reconstruction, weights))
    for name, array in (("truth", truth), ("reconstruction", reconstruction)):
        if not np.iscomplexobj(array):
            raise ValueError(f"{name} must be a complex object array, got dtype {array.dtype}")
    if truth.ndim != 2 or truth.shape != reconstruction.shape or truth.shape != weights.shape:
        raise ValueError(
            "truth, reconstruction and weights must be 2-D arrays of one shape, got "
            f"{truth.shape}, {reconstruction.shape} and {weights.shape}"
        )
    for name, array in (("truth", truth), ("reconstruction", reconstruction), ("weights", weights)):
        n_bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        if n_bad:
            raise ValueError(f"{name} has {n_bad} non-finite values (NaN or inf)")
    if np.any(weights < 0):
        raise ValueError("weights must be ≥ 0")
    if not 0 < mask_threshold <= 1:
        raise ValueError(f"mask_threshold must be in (0, 1], got {mask_threshold}")
    return truth.astype(complex), reconstruction.astype(complex), weights.astype(float)


def mask_box(mask: np.ndarray, margin: int = 0) -> tuple[slice, slice]:
    """Rows and columns of the bounding box of ``mask`` (H, W) bool, not empty, grown by
    ``margin`` px on each side and clipped to the canvas."""
    rows, cols = (np.flatnonzero(mask.any(axis=axis)) for axis in (1, 0))
    return (
        slice(max(int(rows[0]) - margin, 0), min(int(rows[-1]) + 1 + margin, mask.shape[0])),
        slice(max(int(cols[0]) - margin, 0), min(int(cols[-1]) + 1 + margin, mask.shape[1])),
    )


def _score_part(truth: np.ndarray, rec: np.ndarray, mask: np.ndarray) -> PartScores:
    """Scores of one real part on the evaluation crop (see :func:`evaluate`, step 4)."""
    error = rec[mask] - truth[mask]
    mae = float(np.abs(error).mean())
    rmse = float(np.sqrt(np.mean(error**2)))
    freq, values, n_per_ring = frc(
        np.where(mask, truth, truth[mask].mean()), np.where(mask, rec, rec[mask].mean())
    )
    halfbit = half_bit_threshold(n_per_ring)
    data_range = float(np.ptp(truth[mask]))
    if is_flat(truth[mask], np.abs(truth[mask]).max()):
        nan = float("nan")
        return PartScores(nan, nan, nan, nan, mae, rmse, nan, nan, freq, values, halfbit)
    exact = rmse <= ROUNDING_RTOL * data_range
    return PartScores(
        ssim=ssim(truth, rec, mask, data_range),
        ms_ssim=ms_ssim(truth, rec, mask, data_range),
        psnr_db=float("inf") if exact else float(20 * np.log10(data_range / rmse)),
        correlation=correlation(truth[mask], rec[mask]),
        mae=mae,
        rmse=rmse,
        frc_resolution_px=frc_resolution(freq, values, FRC_HALF)[1],
        frc_halfbit_resolution_px=frc_resolution(freq, values, halfbit)[1],
        frc_freq=freq,
        frc=values,
        frc_halfbit=halfbit,
    )
