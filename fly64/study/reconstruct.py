"""The reconstruct stage: the iterative baseline of one cell on its view's test-split positions."""

import time
from pathlib import Path

import numpy as np

from fly64.baseline import SolverSettings
from fly64.data.dataset import open_dose_dataset
from fly64.data.store import Store
from fly64.models.health import health_checks
from fly64.physics import default_device
from fly64.reporting import Reporter
from fly64.study.cells import Cell
from fly64.study.model import BASELINES, Study, StudyError
from fly64.study.options import options_from
from fly64.study.overlap import load_current_view
from fly64.study.results import CellResult, timing


def solver_settings(study: Study, cell: Cell) -> SolverSettings:
    """The solver's settings: the study's settings of them, the cell's method and seed, this
    machine's device."""
    return options_from(
        study, SolverSettings, algorithm=cell.method, seed=cell.seed, device=default_device().type
    )


def solver_info(settings: SolverSettings, result, n_positions: int, seconds: float) -> dict:
    """A baseline cell's ``info``: what ran on how many positions, where, and how long
    (``seconds`` in all; ``result`` a :class:`fly64.baseline.solver.BaselineResult`)."""
    return {
        "algorithm": settings.algorithm,
        "epochs": result.epochs,
        "seconds": seconds,
        "solver_seconds": result.seconds,
        **timing(0.0, result.seconds, n_positions),
        "n_positions": int(n_positions),
        "device": settings.device,
        "noise_model": "poisson" if settings.algorithm == "lsqml" else "amplitude projection",
        "probe": "refined" if settings.free_probe else "fixed (dataset, photon-scaled)",
        "batch_size": settings.batch_size,
        "photons_per_unit": result.photons_per_unit,
        "seed": settings.seed,
    }


def reconstruct_cell(
    study: Study, store: Store, cell: Cell, reporter: Reporter | None, job_dir: Path
) -> CellResult:
    """Reconstruct one baseline cell from exactly the patterns its PINN is tested on.

    The positions are the test split of the cell's view (``view.indices["test"]`` into the
    dose dataset), as in the PINN's test-split reconstruction; the object starts from ones,
    the probe is the dataset's photon-scaled probe (fixed unless
    ``study.baseline_free_probe``), positions stay fixed, LSQML uses the Poisson noise
    model. Runs pty-chi (:func:`fly64.baseline.solver.reconstruct`), which changes torch's
    process-wide defaults: call it in a job process (it restores them when it returns).
    ``job_dir`` is not written to (the caller saves the result).

    Returns
    -------
    CellResult: object complex64 (H, W) and weights float32 (H, W) = Σ|P|² on the
    ground-truth canvas; losses one ``{"epoch", "cost"}`` per epoch; health (flat cost,
    collapsed object: :func:`fly64.models.health.health_checks`); info (epochs, seconds,
    n_positions, algorithm, device, …).
    """
    from fly64.baseline.solver import reconstruct  # imports pty-chi: seconds

    if cell.method not in BASELINES:
        raise StudyError(
            f"reconstruct_cell runs the baselines {list(BASELINES)}; got method {cell.method!r} "
            f"({cell.job_id})"
        )
    reporter = reporter or Reporter()
    started = time.perf_counter()
    ds = open_dose_dataset(store.dose_path(cell.dose, cell.seed))  # the repeat's own counts
    view = load_current_view(store, study, cell.dose, cell.view, before="reconstructing")
    indices = np.asarray(view.indices["test"])
    positions = ds["positions"].values[indices]
    probe = ds["probe"].values
    truth = ds["object"].values
    settings = solver_settings(study, cell)
    reporter.progress(0.0, f"{cell.label}: reading {len(indices)} test patterns")
    counts = ds["counts"][indices].values
    reporter.progress(0.0, f"{cell.label}: {len(indices)} positions ({settings.device})")
    result = reconstruct(counts, positions, probe, truth.shape, settings, reporter)
    health = health_checks(  # on the default lit region: the flags follow only this cell's settings
        [{"train": row["cost"]} for row in result.losses],
        result.object,
        result.weights,
        truth,
        mask_threshold=Study.param.mask_threshold.default,
        illumination_unit=float(np.abs(probe).max() ** 2),
    )
    info = solver_info(settings, result, len(indices), time.perf_counter() - started)
    reporter.progress(
        1.0, f"{cell.label}: {result.epochs} epochs, cost {result.losses[-1]['cost']:.4g}"
    )
    return CellResult(result.object, result.weights, result.losses, health, info)
