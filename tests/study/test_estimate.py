"""The "Run all" estimate: the fallback model against the quick grid's measured wall time, and the
scaling by finished jobs of the store."""

import time

from fly64.data.store import Store
from fly64.study import Study
from fly64.study.execution.estimate import estimate_run
from fly64.study.execution.runner import simulate_spec
from fly64.study.records.jobs import JobState, prepare_job, write_final_status
from fly64.study.records.liveness import process_identity

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
