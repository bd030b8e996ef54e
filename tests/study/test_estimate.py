"""The "Run all" estimate: the fallback model against the quick grid's measured wall time, and the
scaling by finished jobs of the store."""

import time

from fly64.data.store import Store
from fly64.study import Study, iter_cells, preview_study
from fly64.study.execution.estimate import (
    FIXED_SECONDS,
    RATES,
    cost_key,
    estimate_run,
    model_seconds,
)
from fly64.study.execution.planning import cell_spec, simulate_spec
from fly64.study.records.jobs import JobState, prepare_job, write_final_status
from fly64.study.records.liveness import process_identity
from fly64.study.settings.methods import METHODS

QUICK_WALL_SECONDS = 98  # the quick grid, 2 jobs at a time on the 2-core development machine


def test_quick_grid_on_an_empty_store_is_within_a_factor_2_of_its_measured_wall_time(tmp_path):
    estimate = estimate_run(Study.preset("quick"), Store(tmp_path), workers=2)
    assert estimate.jobs == 46 and estimate.measured == ()
    assert QUICK_WALL_SECONDS / 2 < estimate.seconds < QUICK_WALL_SECONDS * 2


def test_finished_jobs_of_current_settings_scale_their_kind(tmp_path):
    study, store = Study.preset("quick"), Store(tmp_path)
    modelled = estimate_run(study, store, workers=2)
    job_dir = prepare_job(store, simulate_spec(study, 1e3), study, process_identity())
    write_final_status(
        job_dir, JobState.DONE, "done", started=time.time() - 100
    )  # a simulation of 100 s
    measured = estimate_run(study, store, workers=2)
    assert measured.measured == ("simulate",)
    assert measured.jobs == modelled.jobs  # the dose's data is not in the store: it still runs
    assert (
        measured.seconds > modelled.seconds + 3 * 90 / 2
    )  # three doses, ≈ 100 s each, on 2 workers


def test_every_iterative_method_is_costed_by_its_own_rate_and_its_epochs():
    """ePIE and rPIE (and every baseline and refinement) scale with test positions × epochs
    at their own rate; none falls through to the PINN's training cost or to a fixed cost."""
    study = Study.preset("quick", methods=list(METHODS))
    preview = preview_study(study)
    longer = Study.preset("quick", methods=list(METHODS), baseline_epochs=2 * study.baseline_epochs)
    seen = set()
    for cell in iter_cells(study):
        spec = cell_spec(study, cell)
        key = cost_key(spec)
        seen.add(key)
        if cell.solver is None:
            continue
        assert key in RATES, key
        work = model_seconds(study, spec, preview) - FIXED_SECONDS[key]
        assert work > 0, key
        doubled = model_seconds(longer, cell_spec(longer, cell), preview) - FIXED_SECONDS[key]
        assert abs(doubled / work - 2) < 1e-9, key
    assert {"epie", "rpie", "lsqml", "lsqml_tv", "pinn+epie", "pinn+lsqml"} <= seen
