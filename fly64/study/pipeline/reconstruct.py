"""The reconstruct and refine stages: an iterative solver on one cell's test-split patterns,
started from a flat object (a baseline) or from the cell's trained PINN (a refinement)."""

import time
from pathlib import Path

import numpy as np

from fly64.baseline import SolverSettings
from fly64.data.dataset import open_dose_dataset
from fly64.data.store import Store
from fly64.metrics.health import health_checks
from fly64.physics import default_device
from fly64.reporting import Reporter
from fly64.study.pipeline.overlap import load_current_view
from fly64.study.records.cell_result import CellResult, load_result, timing
from fly64.study.settings.cells import Cell
from fly64.study.settings.methods import Method
from fly64.study.settings.model import Study, StudyError
from fly64.study.settings.options import options_from


def solver_settings(study: Study, cell: Cell) -> SolverSettings:
    """The solver's settings: the study's settings of them, the cell's solver (``lsqml_tv``:
    LSQML with ``study.baseline_tv_weight``) and seed, this machine's device."""
    tv = cell.solver == Method.LSQML_TV
    return options_from(
        study,
        SolverSettings,
        algorithm="lsqml" if tv else cell.solver,
        tv_weight=study.baseline_tv_weight if tv else 0.0,
        seed=cell.seed,
        device=default_device().type,
    )


def stop_rule(settings: SolverSettings) -> str:
    """How a baseline cell chose its epoch, in words (its info's ``stop_rule``)."""
    if settings.holdout_fraction == 0:
        return f"none: the last of {settings.epochs} epochs"
    return (
        f"held-out pixels: the epoch of lowest Poisson NLL on {settings.holdout_fraction:.0%} "
        f"of the detector pixels left out of the fit, stopped after {settings.stop_patience} "
        f"epochs without improvement (at most {settings.epochs})"
    )


def solver_info(settings: SolverSettings, result, n_positions: int, seconds: float) -> dict:
    """A baseline cell's ``info``: what ran on how many positions, where, how long
    (``seconds`` in all; ``result`` a :class:`fly64.baseline.solver.BaselineResult`) and
    which epoch the truth-free rule kept (``stop_epoch``, ``stop_rule``,
    ``selection_score``: the held-out NLL that ranks a cell's baselines, lower is better;
    ``validation_curve``: the held-out NLL per epoch)."""
    return {
        "algorithm": settings.algorithm,
        "epochs": result.epochs,
        "epochs_run": result.epochs,
        "stop_epoch": result.stop_epoch,
        "stop_rule": stop_rule(settings),
        "selection_score": result.selection_score,
        "heldout_noise_ratio": result.noise_ratio,
        "validation_curve": [
            {k: row[k] for k in ("epoch", "heldout", "heldout_se") if k in row}
            for row in result.losses
        ],
        "tv_weight": settings.tv_weight,
        "seconds": seconds,
        "solver_seconds": result.seconds,
        **timing(0.0, result.seconds, n_positions),
        "n_positions": int(n_positions),
        "device": settings.device,
        "noise_model": "poisson" if settings.algorithm == "lsqml" else "amplitude projection",
        "initial": "flat (ones)",
        "probe": "refined" if settings.free_probe else "fixed (dataset, photon-scaled)",
        "batch_size": settings.batch_size,
        "photons_per_unit": result.photons_per_unit,
        "seed": settings.seed,
    }


def starting_point(store: Store, cell: Cell) -> CellResult | None:
    """A refinement's PINN result (its object is the start), None for a baseline.

    Raises StudyError when the PINN cell has not finished.
    """
    if cell.parent is None:
        return None
    try:
        return load_result(store.job_dir(cell.parent.job_id))
    except FileNotFoundError:
        raise StudyError(
            f"{cell.label} starts from {cell.parent.label}, which has not finished "
            f"({cell.parent.job_id}): `fly64 run` trains it first"
        ) from None


def reconstruct_cell(
    study: Study, store: Store, cell: Cell, reporter: Reporter | None, job_dir: Path
) -> CellResult:
    """Reconstruct one baseline or refinement cell from exactly the patterns its PINN is tested on.

    The positions are the test split of the cell's view (``view.indices["test"]`` into the
    dose dataset), as in the PINN's test-split reconstruction. A baseline's object starts
    from ones; a refinement's (``pinn+<solver>``) from its PINN cell's stitched test
    reconstruction. The probe is the dataset's photon-scaled probe (fixed unless
    ``study.baseline_free_probe``), positions stay fixed, LSQML uses the Poisson noise
    model; the held-out rule picks the epoch kept (:mod:`fly64.baseline.holdout`, no ground
    truth). Runs pty-chi (:func:`fly64.baseline.solver.reconstruct`), which changes torch's
    process-wide defaults: call it in a job process (it restores them when it returns).
    ``job_dir`` is not written to (the caller saves the result).

    Returns
    -------
    CellResult: object complex64 (H, W) and weights float32 (H, W) = Σ|P|² on the
    ground-truth canvas; losses one row per epoch; health (flat cost, collapsed object:
    :func:`fly64.metrics.health.health_checks`); info (:func:`solver_info`; a refinement's
    timing adds its PINN's training and inference); snapshots for the oracle.
    """
    from fly64.baseline.solver import reconstruct  # imports pty-chi: seconds

    if cell.solver is None:
        raise StudyError(
            f"reconstruct_cell runs iterative solvers; got method {cell.method!r} ({cell.job_id})"
        )
    reporter = reporter or Reporter()
    started = time.perf_counter()
    parent = starting_point(store, cell)
    ds = open_dose_dataset(store.dose_path(cell.dose, cell.seed))  # the repeat's own counts
    view = load_current_view(store, study, cell.dose, cell.view, before="reconstructing")
    indices = np.asarray(view.indices["test"])
    positions = ds["positions"].values[indices]
    probe = ds["probe"].values
    truth = ds["object"].values
    settings = solver_settings(study, cell)
    reporter.progress(0.0, f"{cell.label}: reading {len(indices)} test patterns")
    counts = ds["counts"][indices].values
    start = "a flat object" if parent is None else f"{cell.parent.label}'s reconstruction"
    reporter.progress(
        0.0, f"{cell.label}: {len(indices)} positions from {start} ({settings.device})"
    )
    result = reconstruct(
        counts,
        positions,
        probe,
        truth.shape,
        settings,
        reporter,
        initial_object=None if parent is None else parent.object,
    )
    health = health_checks(  # on the default lit region: the flags follow only this cell's settings
        [{"train": row["cost"]} for row in result.losses],
        result.object,
        result.weights,
        truth,
        mask_threshold=Study.param.mask_threshold.default,
        illumination_unit=float(np.abs(probe).max() ** 2),
    )
    info = solver_info(settings, result, len(indices), time.perf_counter() - started)
    if parent is not None:
        info |= {
            "initial": cell.parent.label,
            "parent_job": cell.parent.job_id,
            "refine_seconds": result.seconds,
            **timing(
                parent.info["training_seconds"],
                parent.info["inference_seconds"] + result.seconds,
                len(indices),
            ),
        }
    reporter.progress(
        1.0,
        f"{cell.label}: {result.epochs} epochs run, epoch {result.stop_epoch} kept, "
        f"cost {result.losses[-1]['cost']:.4g}",
    )
    return CellResult(result.object, result.weights, result.losses, health, info, result.snapshots)
