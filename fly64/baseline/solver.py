"""Iterative reconstruction of one cell's patterns with pty-chi (LSQML, ePIE or rPIE).

pty-chi sets process-wide state when a task is built: torch's default device and dtype,
and (with a seed) the global torch / numpy / random generators. The study therefore runs
:func:`reconstruct` only inside a job process; when it is called directly (tests,
notebooks, benchmarks) :func:`~fly64.baseline.ptychi_task.preserved_process_state` restores
all of that afterwards. The task is built by :mod:`fly64.baseline.ptychi_task` (the
conventions handed to pty-chi are there); here it runs epoch by epoch, each epoch's object
scored on the held-out pixels (:mod:`fly64.baseline.holdout`) until the stop rule ends it.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from fly64.baseline.canvas import SolverCanvas
from fly64.baseline.holdout import HeldOutPixels, OneStandardErrorRule
from fly64.baseline.ptychi_task import build_task, preserved_process_state
from fly64.baseline.settings import SolverSettings
from fly64.overlap.metrics import coverage_map
from fly64.reporting import Reporter


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
