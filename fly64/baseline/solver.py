"""Iterative reconstruction of one cell's patterns with pty-chi (LSQML, ePIE or rPIE).

pty-chi sets process-wide state when a task is built: torch's default device and dtype,
and (with a seed) the global torch / numpy / random generators. The study therefore runs
:func:`reconstruct` only inside a job process; when it is called directly (tests,
notebooks, benchmarks) :func:`preserved_process_state` restores all of that afterwards.

Conventions handed to pty-chi (the sanity test in ``tests/baseline`` proves them):

* patterns: our counts have DC at pixel (N//2, N//2); pty-chi's far field is an
  unshifted ``fft2``, so we pass ``ifftshift(counts)`` with ``fft_shift=False`` (right for
  odd N too, where pty-chi's own ``fftshift`` would be off by one pixel);
* intensity scale: pty-chi's ``fft2`` is unnormalised, ours is orthonormal, so the
  photon-scaled probe is passed divided by N (and multiplied back on the way out);
* units: counts and |probe|² are both divided by ``c`` = the mean count per detector
  pixel, so pty-chi sees a mean of :data:`PIXEL_MEAN` whatever the dose. The Poisson
  likelihood then only scales by ``c`` (same minimiser), but pty-chi's Poisson step
  ``1 − y/(ŷ + 1e-5)`` has an absolute epsilon: from a neutral start the predicted dark
  field is 0, and at high counts (1e7–1e9 photons per pattern) the first steps blow up;
  in these units every dose behaves as the noise allows;
* positions: see :class:`fly64.baseline.canvas.SolverCanvas` (y first, relative to the
  buffer's centre origin, integer windows, no interpolation).
"""

import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import ptychi.api as api  # imports in seconds; fly64.study imports this module lazily
import torch
from ptychi.api.task import PtychographyTask

from fly64.baseline.canvas import SolverCanvas
from fly64.baseline.holdout import HeldOutPixels, OneStandardErrorRule
from fly64.baseline.settings import SolverSettings
from fly64.overlap.metrics import coverage_map
from fly64.reporting import Reporter

OPTIONS = {"lsqml": api.LSQMLOptions, "epie": api.EPIEOptions, "rpie": api.RPIEOptions}
#: mean count per detector pixel in the units handed to pty-chi (see the module docstring)
PIXEL_MEAN = 1.0


@dataclass
class BaselineResult:
    """An iterative reconstruction on the ground-truth canvas.

    object : complex64 (H, W) at the stopping epoch, zero where no window reached.
    weights : float32 (H, W), Σ|P|² of the given probe over the positions (photons),
        :func:`fly64.overlap.metrics.coverage_map` as the PINN's stitching weights.
    probe : complex64 (N, N) final probe in the dataset's units (the input one unless freed).
    losses : one ``{"epoch", "cost", "seconds"[, "heldout", "heldout_se", "heldout_scale"]}``
        per epoch: pty-chi's displayed loss (mean squared error of
        √intensity, in pty-chi's units, see ``photons_per_unit``), the seconds since the
        first epoch began, and the held-out pixels' score
        (:class:`fly64.baseline.holdout.HeldOutScore`).
    epochs : epochs run; seconds : wall time of the iterations (setup excluded).
    stop_epoch : the epoch whose object is returned (the latest within one standard error
        of the lowest held-out NLL, :class:`fly64.baseline.holdout.OneStandardErrorRule`;
        the last epoch without a held-out set).
    selection_score : the held-out NLL at ``stop_epoch`` (NaN without a held-out set).
    noise_ratio : that NLL ÷ the held-out counts' noise floor (≈ 1: explained down to the
        shot noise; NaN without a held-out set).
    snapshots : ``(epoch, object)`` pairs, complex64 (H, W) like ``object``, at the epochs
        :func:`snapshot_epoch` keeps (the oracle's diagnostic, never the result), and at
        epoch 0 the given starting object (which the rule may keep: a refinement that never
        predicts the held-out pixels better returns its start).
    photons_per_unit : c, photons per unit of the intensities pty-chi worked with.
    """

    object: np.ndarray
    weights: np.ndarray
    probe: np.ndarray
    losses: list[dict] = field(default_factory=list)
    epochs: int = 0
    seconds: float = 0.0
    stop_epoch: int = 0
    selection_score: float = math.nan
    noise_ratio: float = math.nan
    snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)
    photons_per_unit: float = 1.0


def snapshot_epoch(epoch: int) -> bool:
    """Whether the object of ``epoch`` is kept for the oracle: every epoch up to 10 (low
    counts peak early), every 5th up to 50, then every 10th."""
    return epoch <= 10 or (epoch <= 50 and epoch % 5 == 0) or epoch % 10 == 0


@contextmanager
def preserved_process_state() -> Iterator[None]:
    """Restore torch's default dtype and device and the global RNGs pty-chi changes."""
    dtype, device = torch.get_default_dtype(), torch.get_default_device()
    torch_rng, numpy_rng, python_rng = (
        torch.get_rng_state(),
        np.random.get_state(),
        random.getstate(),
    )
    try:
        yield
    finally:
        torch.set_default_dtype(dtype)
        torch.set_default_device(device)
        torch.set_rng_state(torch_rng)
        np.random.set_state(numpy_rng)
        random.setstate(python_rng)


def build_options(settings: SolverSettings, canvas: SolverCanvas):
    """pty-chi options for ``settings`` (task data are passed to the task, not here)."""
    options = OPTIONS[settings.algorithm]()
    options.object_options.determine_position_origin_coords_by = (
        api.ObjectPosOriginCoordsMethods.SPECIFIED
    )
    options.object_options.position_origin_coords = canvas.origin
    options.data_options.fft_shift = False  # we hand over DC-at-corner patterns
    options.probe_options.optimizable = settings.free_probe
    # rescaling object to unit mean transmission would also rescale a fixed, known probe
    options.object_options.remove_object_probe_ambiguity.enabled = settings.free_probe
    options.probe_position_options.optimizable = False
    if settings.tv_weight > 0:
        options.object_options.total_variation.enabled = True
        options.object_options.total_variation.weight = settings.tv_weight
    recon = options.reconstructor_options
    recon.num_epochs = settings.epochs
    recon.batch_size = settings.batch_size
    recon.random_seed = settings.seed
    recon.default_device = api.Devices.GPU if settings.device == "cuda" else api.Devices.CPU
    if settings.algorithm == "lsqml":
        recon.noise_model = api.NoiseModels.POISSON
        recon.rescale_probe_intensity_in_first_epoch = False  # the probe is photon-scaled
        # PtychoShelves practice (and pty-chi's advice for compact batches): spatially compact
        # mini-batches with momentum 0.5. Quick scene, dose 1e9, 100 positions: phase
        # correlation 0.82 after 40 epochs, against 0.73 (and 0.87 after 150) with pty-chi's
        # default random batches without momentum
        recon.batching_mode = api.BatchingModes.COMPACT
        recon.momentum_acceleration_gain = 0.5
        recon.preconditioning_damping_factor = settings.damping
    return options


@dataclass
class SolverTask:
    """A built pty-chi task, its canvas, and the units it works in.

    ``probe_to_ours`` multiplies pty-chi's probe back into the dataset's units (N·√c).
    """

    task: PtychographyTask
    canvas: SolverCanvas
    photons_per_unit: float  # c: one unit of pty-chi's data is c photons
    probe_to_ours: float


def build_task(
    counts: np.ndarray,
    positions: np.ndarray,
    probe: np.ndarray,
    settings: SolverSettings,
    fit_mask: np.ndarray | None = None,
    initial_object: np.ndarray | None = None,
) -> SolverTask:
    """A ready pty-chi task (call inside :func:`preserved_process_state`).

    counts : (n, N, N) photons, DC at (N//2, N//2); positions : int (n, 2) (y, x) window
    centres, ground-truth object pixels; probe : complex (N, N) scaled to photons with our
    orthonormal far field; fit_mask : bool (N, N), DC at (N//2, N//2), the detector pixels
    fitted (default all); initial_object : complex (H, W) on the ground-truth canvas, the
    starting object (default ones; its zeros start at one too).
    """
    counts = np.asarray(counts)
    n_side = probe.shape[-1]
    if counts.ndim != 3 or counts.shape[1:] != probe.shape or len(counts) != len(positions):
        raise ValueError(
            f"counts {counts.shape}, probe {probe.shape} and positions {np.shape(positions)} "
            "disagree: need counts (n, N, N), probe (N, N), positions (n, 2)"
        )
    canvas = SolverCanvas.around(positions, n_side)
    solver_positions = canvas.solver_positions(positions)
    mean = float(counts.mean(dtype=np.float64))
    photons_per_unit = mean / PIXEL_MEAN if mean > 0 else 1.0
    probe_to_ours = n_side * np.sqrt(photons_per_unit)
    task = PtychographyTask(
        build_options(settings, canvas),
        diffraction_data=(np.fft.ifftshift(counts, axes=(-2, -1)) / photons_per_unit).astype(
            np.float32
        ),
        object_data=(
            np.ones(canvas.shape, np.complex64)
            if initial_object is None
            else canvas.from_ground_truth(initial_object)
        )[None],
        probe_data=(np.asarray(probe, np.complex128) / probe_to_ours).astype(np.complex64)[
            None, None
        ],
        probe_position_y_px=solver_positions[:, 0],
        probe_position_x_px=solver_positions[:, 1],
        valid_pixel_mask=None if fit_mask is None else np.fft.ifftshift(fit_mask),
    )
    return SolverTask(task, canvas, photons_per_unit, probe_to_ours)


def reconstruct(
    counts: np.ndarray,
    positions: np.ndarray,
    probe: np.ndarray,
    truth_shape: tuple[int, int],
    settings: SolverSettings | None = None,
    reporter: Reporter | None = None,
    initial_object: np.ndarray | None = None,
) -> BaselineResult:
    """Reconstruct an object from one set of patterns, stopped by the held-out rule.

    Each epoch the held-out pixels (``settings.holdout_fraction`` of the detector, seeded
    by ``settings.seed``; :mod:`fly64.baseline.holdout`) score the object; the solver
    returns the object of the latest epoch within one standard error of the lowest
    held-out NLL, and stops ``settings.stop_patience`` epochs after it (or at
    ``settings.epochs``).

    Parameters
    ----------
    counts : (n, N, N) measured photons, DC at (N//2, N//2).
    positions : int (n, 2) (y, x) window centres in ground-truth object pixels.
    probe : complex (N, N), scaled to photons (expected counts = |fftshift(fft2(P·O, ortho))|²).
    truth_shape : (H, W) of the ground-truth canvas the result is placed on.
    settings : :class:`SolverSettings` (default: its defaults).
    reporter : every ``settings.chunk`` epochs (and at the end) gets ``event("loss", epoch,
        cost, seconds[, heldout])``, ``progress`` and a cancel check (raises
        :class:`fly64.reporting.Cancelled`); every ``settings.snapshot_every`` chunks
        ``snapshot(object=, weights=)`` on the canvas.
    initial_object : complex (H, W) on the ground-truth canvas to start from (e.g. a
        network's estimate); default a flat object of ones.

    Returns
    -------
    :class:`BaselineResult`.
    """
    settings = settings or SolverSettings()
    reporter = reporter or Reporter()
    weights = coverage_map(positions, np.abs(probe) ** 2, truth_shape).astype(np.float32)
    holdout = (
        HeldOutPixels(counts, positions, probe, settings.holdout_fraction, settings.seed)
        if settings.holdout_fraction > 0
        else None
    )
    with preserved_process_state():
        built = build_task(
            counts,
            positions,
            probe,
            settings,
            fit_mask=None if holdout is None else holdout.fit_mask,
            initial_object=initial_object,
        )
        task = built.task
        losses: list[dict] = []
        snapshots: list[tuple[int, np.ndarray]] = []
        rule, kept = OneStandardErrorRule(), None
        start, epoch = time.perf_counter(), 0
        if initial_object is not None:  # epoch 0: refining may not beat the estimate it starts from
            kept = _object_on_truth(task, built.canvas, weights)
            snapshots.append((0, kept))
            if holdout is not None:
                rule.update(0, holdout.score(kept))
        while epoch < settings.epochs and rule.stale < settings.stop_patience:
            task.run(1)
            epoch = task.reconstructor.current_epoch
            obj = _object_on_truth(task, built.canvas, weights)
            cost = float(task.reconstructor.loss_tracker.table["loss"].iloc[-1])
            row = {"epoch": epoch, "cost": cost, "seconds": time.perf_counter() - start}
            if holdout is None:
                kept = obj
            else:
                score = holdout.score(obj)
                row |= {"heldout": score.nll, "heldout_se": score.se, "heldout_scale": score.scale}
                if rule.update(epoch, score):
                    kept = obj
            losses.append(row)
            if snapshot_epoch(epoch):
                snapshots.append((epoch, obj))
            ended = epoch >= settings.epochs or rule.stale >= settings.stop_patience
            if epoch % settings.chunk == 0 or ended:
                _report(reporter, settings, row, rule.kept_epoch)
                if (epoch // settings.chunk) % settings.snapshot_every == 0 and not ended:
                    reporter.snapshot(object=obj, weights=weights)
        seconds = time.perf_counter() - start
        final_probe = task.get_data_to_cpu("probe", as_numpy=True)[0, 0] * built.probe_to_ours
        return BaselineResult(
            kept,
            weights,
            final_probe.astype(np.complex64),
            losses,
            epoch,
            seconds,
            epoch if holdout is None else rule.kept_epoch,
            math.nan if holdout is None else rule.kept_nll,
            math.nan if holdout is None else holdout.noise_ratio(kept),
            snapshots,
            built.photons_per_unit,
        )


def _report(reporter: Reporter, settings: SolverSettings, row: dict, best: int):
    """A chunk's loss event, progress line and cancel check."""
    reporter.event("loss", **row)
    held = f", held-out NLL {row['heldout']:.4g} (best epoch {best})" if "heldout" in row else ""
    reporter.progress(
        row["epoch"] / settings.epochs,
        f"{settings.algorithm} epoch {row['epoch']}/{settings.epochs} cost {row['cost']:.4g}"
        + held,
    )
    reporter.check_cancel()


def _object_on_truth(task, canvas: SolverCanvas, weights: np.ndarray) -> np.ndarray:
    buffer = task.get_data_to_cpu("object", as_numpy=True)[0]
    obj = canvas.to_ground_truth(buffer.astype(np.complex64), weights.shape)
    obj[weights <= 0] = 0
    return obj
