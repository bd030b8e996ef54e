"""Planning a study's jobs: the job spec of each stage's job and the ordered jobs that bring a
selection of cells (and the comparison) up to date.

Planning skips what is already there — a dose simulated and a view cut with the
same settings, a cell whose result exists with the same ``settings_hash(stage)`` — and
re-runs failed or cancelled jobs. Dependencies: simulate(dose, repeat) → train/reconstruct
(cell of that repeat); simulate(dose, repeat 0) → overlap(dose, view) → train/reconstruct
(cells of that view, every repeat: the scan is shared) → compare.
"""

from collections.abc import Sequence
from dataclasses import asdict

from fly64.data.store import Store, dose_tag, repeat_tag
from fly64.study.pipeline.entries import JOB_FUNCTIONS
from fly64.study.pipeline.overlap import is_cut
from fly64.study.pipeline.simulate import is_simulated
from fly64.study.records.jobs import JobSpec, JobState
from fly64.study.records.registry import Registry, cell_finish_times
from fly64.study.settings.cells import Cell
from fly64.study.settings.model import Study
from fly64.study.settings.stages import STAGES

#: the id of the evaluate stage's one job
COMPARE = "compare"
#: the function each job kind runs, as ``job.json`` names it (``"module:function"``, see
#: :class:`~fly64.study.records.jobs.JobSpec`)
ENTRIES = {kind: f"{fn.__module__}:{fn.__qualname__}" for kind, fn in JOB_FUNCTIONS.items()}


def _spec(study: Study, stage: str, job_id: str, params: dict, entries: dict, **deps) -> JobSpec:
    """The job ``job_id`` of ``stage``, with the kind, entry and settings hash of that stage."""
    kind = STAGES[stage].job_kind
    return JobSpec(job_id, kind, entries[kind], params, study.settings_hash(stage), **deps)


def simulate_spec(study: Study, dose: float, repeat: int = 0, entries=ENTRIES) -> JobSpec:
    """Simulate one dose for one repeat (job ``simulate-d1e3``,
    or ``simulate-d1e3-r2`` for repeat 2).
    """
    return _spec(
        study,
        "simulate",
        f"simulate-d{dose_tag(dose)}{repeat_tag(repeat)}",
        {"dose": dose, "repeat": repeat},
        entries,
    )


def overlap_spec(study: Study, dose: float, view: str, needs=(), entries=ENTRIES) -> JobSpec:
    return _spec(
        study,
        "overlap",
        f"overlap-d{dose_tag(dose)}-{view}",
        {"dose": dose, "view": view},
        entries,
        needs=tuple(needs),
    )


def cell_spec(study: Study, cell: Cell, needs=(), entries=ENTRIES) -> JobSpec:
    return _spec(
        study,
        cell.stage,
        cell.job_id,
        {"cell": asdict(cell)},
        entries,
        needs=tuple(needs),
        gpu=True,
    )


def compare_spec(study: Study, after=(), entries=ENTRIES) -> JobSpec:
    return _spec(study, "evaluate", COMPARE, {}, entries, after=tuple(after))


def cell_up_to_date(registry: Registry, study: Study, cell: Cell) -> bool:
    """The cell's result exists, made with the study's current settings for its stage."""
    status = registry.get(cell.job_id)
    return (
        status is not None
        and status.state == JobState.DONE
        and status.settings_hash == study.settings_hash(cell.stage)
    )


def compare_up_to_date(registry: Registry, study: Study) -> bool:
    """The comparison covers exactly the finished cells of the store, with current settings."""
    status = registry.get(COMPARE)
    return (
        status is not None
        and status.state == JobState.DONE
        and status.settings_hash == study.settings_hash("evaluate")
        and (status.summary or {}).get("cells") == cell_finish_times(registry, study)
    )


def plan_jobs(
    study: Study, store: Store, cells: Sequence[Cell], *, compare: bool, entries: dict = ENTRIES
) -> list[JobSpec]:
    """The jobs that bring ``cells`` (and, with ``compare``, the comparison) up to date, in order.

    ``entries`` maps job kinds to the functions they run (default :data:`ENTRIES`).
    """
    registry = Registry(store)
    stale = [
        c for c in cells if c.parent is not None and not cell_up_to_date(registry, study, c.parent)
    ]
    # a refinement starts from its PINN cell: a stale PINN runs first, its refinements again
    todo = [c.parent for c in stale] + [
        c for c in cells if c in stale or not cell_up_to_date(registry, study, c)
    ]
    todo = list(dict.fromkeys(todo))
    specs, upstream = [], {}
    # the inputs of every selected cell, done or not: one replaced by another dose's is rebuilt
    selected = todo + [c for c in cells if c not in todo]
    cuts = [
        (d, v)
        for d, v in dict.fromkeys((c.dose, c.view) for c in selected)
        if not is_cut(store, study, d, v)
    ]
    # each cell's repeat, and repeat 0 of every dose a view is cut from (the views read its scan);
    # the datasets that jobs will read are checksummed too
    read = {(c.dose, c.seed) for c in todo} | {(d, 0) for d, _ in cuts}
    datasets = dict.fromkeys([(c.dose, c.seed) for c in selected] + [(d, 0) for d, _ in cuts])
    for dose, repeat in datasets:
        if not is_simulated(store, study, dose, repeat, verify=(dose, repeat) in read):
            specs.append(simulate_spec(study, dose, repeat, entries))
            upstream["simulate", dose, repeat] = specs[-1].job_id
    for dose, view in cuts:
        needs = [upstream[k] for k in [("simulate", dose, 0)] if k in upstream]
        specs.append(overlap_spec(study, dose, view, needs, entries))
        upstream["overlap", dose, view] = specs[-1].job_id
    for cell in sorted(todo, key=lambda c: c.parent is not None):  # refinements last
        # its view (cut from repeat 0), its repeat's dataset, a refinement's PINN cell
        keys = [("overlap", cell.dose, cell.view), ("simulate", cell.dose, cell.seed)]
        keys += [("cell", cell.parent)] if cell.parent is not None else []
        needs = [upstream[k] for k in keys if k in upstream]
        specs.append(cell_spec(study, cell, needs, entries))
        upstream["cell", cell] = specs[-1].job_id
    if compare and (todo or not compare_up_to_date(registry, study)):
        specs.append(compare_spec(study, [c.job_id for c in todo], entries))
    return specs
