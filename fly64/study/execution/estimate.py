"""How long "Run all" would take: the wall time of every job a study still needs, on this machine.

Each job the runner would submit (:func:`fly64.study.execution.planning.plan_jobs`) gets a modelled
cost, :func:`model_seconds`: a fixed part per job kind plus a rate × work, where work is
patterns × epochs (scaled by the pattern area; for PINN gridsize 2 by the group canvas).
The constants were measured on the 2-core development machine running 2 jobs at a time
(standard grid, N = 64): PINN gs1 131 s for 1,056 training groups × 50 epochs (dense),
21 s for 191 (sparse); gs2 435 s and 178 s; LSQML 93 s for 1,181 test positions × 100
epochs (dense), 18 s for 193 (sparse); simulate ≈ 6 s per dose; compare 11 s; quick grid
98 s wall.

When the store holds finished jobs of a kind made with the study's current settings, the
model of that kind is scaled by their measured / modelled seconds (``status.run_seconds``),
so the estimate follows this machine. Jobs share ``workers`` slots (the local executor's
default: the CPU count); each also pays :data:`LAUNCH_SECONDS` to start its process.
"""

import os
from dataclasses import dataclass

from fly64.data.store import Store
from fly64.study.display.preview import Preview, preview_study
from fly64.study.execution.planning import plan_jobs
from fly64.study.records.jobs import JobSpec, JobState
from fly64.study.records.registry import Registry
from fly64.study.settings.cells import Cell, iter_cells
from fly64.study.settings.model import Study
from fly64.study.settings.stages import stage_of_kind

#: seconds to start a job's process and import its stage, before its status says started
LAUNCH_SECONDS = 1.5
#: seconds every job of a kind costs whatever its size (set-up, imports, inference, writing)
FIXED_SECONDS = {
    "simulate": 0.5,
    "overlap": 0.7,
    "pinn_gs1": 3.0,
    "pinn_gs2": 3.0,
    "lsqml": 3.5,
    "lsqml_tv": 3.5,
    "epie": 3.5,
    "rpie": 3.5,
    "pinn+lsqml": 3.5,
    "pinn+epie": 3.5,
    "compare": 10.0,
}
#: seconds per unit of work at N = 64: simulate per base-scan pattern, PINN per training
#: group × epoch, an iterative solver per test position × baseline_epochs (the held-out rule's
#: early stops averaged in; standard grid of session 5, 70 jobs in 1,594 s)
RATES = {
    "simulate": 3.8e-4,
    "pinn_gs1": 1.6e-3,
    "pinn_gs2": 2.1e-3,
    "lsqml": 7.3e-4,
    "lsqml_tv": 8.8e-4,
    "epie": 5.2e-4,
    "rpie": 1.9e-4,
    "pinn+lsqml": 3.9e-4,
    "pinn+epie": 2.9e-4,
}
#: the gridsize-2 group canvas spans about N + 4·S pixels (S the view's spacing)
CANVAS_SPACINGS = 4
REFERENCE_N = 64


@dataclass(frozen=True)
class RunEstimate:
    """The estimated wall time of a set of jobs.

    seconds : wall time, s (the jobs' seconds shared among ``workers``, at least the longest job).
    jobs : number of jobs.
    workers : jobs run at once.
    measured : the cost keys (``simulate``, ``pinn_gs1`` …) scaled by finished jobs of the store.
    """

    seconds: float
    jobs: int
    workers: int
    measured: tuple[str, ...]


def cost_key(spec: JobSpec) -> str:
    """The cost model a job uses: its kind, or a cell's method label (``pinn_gs1``, ``lsqml`` …;
    a refinement's method, ``pinn+epie``, whatever its gridsize)."""
    if "cell" not in spec.params:
        return spec.kind
    cell = Cell(**spec.params["cell"])
    return cell.method if cell.parent is not None else cell.label


def _work(study: Study, spec: JobSpec, preview: Preview) -> float:
    """Units of work of a job for :data:`RATES` (0 for a job of fixed cost)."""
    area = (study.patch_size / REFERENCE_N) ** 2
    if spec.kind == "simulate":
        return len(preview.base_positions) * area
    if "cell" not in spec.params:
        return 0.0
    cell = Cell(**spec.params["cell"])
    kept = preview.views[cell.view].kept
    if cell.solver is not None:  # baselines and refinements: test positions × epochs
        return kept["test"] * study.baseline_epochs * area
    groups = kept["train"] * study.epochs
    if cell.gridsize == 1:
        return groups * area
    return (
        groups
        * ((study.patch_size + CANVAS_SPACINGS * study.spacing(cell.view)) / REFERENCE_N) ** 2
    )


def model_seconds(study: Study, spec: JobSpec, preview: Preview) -> float:
    """The modelled run time of one job, s (without :data:`LAUNCH_SECONDS`).

    preview : ``preview_study(study)``, for the positions each view keeps.
    """
    key = cost_key(spec)
    return FIXED_SECONDS.get(key, 0.0) + RATES.get(key, 0.0) * _work(study, spec, preview)


def _current_hash(study: Study, kind: str) -> str | None:
    """The settings hash a job of ``kind`` is made with under ``study`` (None: no stage's kind)."""
    stage = stage_of_kind(kind)
    return None if stage is None else study.settings_hash(stage.name)


def measured_scales(study: Study, store: Store, preview: Preview) -> dict[str, float]:
    """Per cost key, measured / modelled seconds of the store's finished jobs of current
    settings.
    """
    seconds, modelled = {}, {}
    for status in Registry(store).all():
        spec = JobSpec(status.job_id, status.kind, "", status.params)
        usable = (
            status.state == JobState.DONE
            and status.run_seconds is not None
            and status.settings_hash == _current_hash(study, status.kind)
            and (status.cell is None or status.cell.view in preview.views)
        )
        if not usable:
            continue
        key = cost_key(spec)
        seconds[key] = seconds.get(key, 0.0) + status.run_seconds
        modelled[key] = modelled.get(key, 0.0) + model_seconds(study, spec, preview)
    return {key: seconds[key] / modelled[key] for key in seconds if modelled[key] > 0}


def estimate_run(study: Study, store: Store, workers: int | None = None) -> RunEstimate:
    """The wall time of running every job of ``study`` not yet done in ``store`` ("Run all").

    workers : jobs at once (default: the CPU count, as the local executor).
    Raises :class:`fly64.study.StudyError` for settings the stages would refuse.
    """
    workers = workers or os.cpu_count() or 1
    preview = preview_study(study)
    specs = plan_jobs(study, store, list(iter_cells(study)), compare=True)
    scales = measured_scales(study, store, preview)
    costs = [
        LAUNCH_SECONDS + scales.get(cost_key(s), 1.0) * model_seconds(study, s, preview)
        for s in specs
    ]
    seconds = max(sum(costs) / workers, max(costs, default=0.0))
    return RunEstimate(seconds, len(specs), workers, tuple(sorted(scales)))
