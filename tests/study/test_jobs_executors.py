"""Executors: dependencies, worker limits, failures and cancels that stay local,
Dask on loopback.
"""

import time

import pytest

from fly64.data.store import Store
from fly64.study.execution.executors import LocalExecutor
from fly64.study.execution.executors.dask_cluster import DaskExecutor
from fly64.study.records.jobs import JobSpec, prepare_job
from fly64.study.records.liveness import process_identity
from fly64.study.settings.model import Study

STUDY = Study.preset("quick")


def spec(job_id, needs=(), after=(), entry="sleep_job", **params) -> JobSpec:
    return JobSpec(
        job_id, "sleep", f"tests.study.jobkinds:{entry}", params, "h", tuple(needs), tuple(after)
    )


@pytest.fixture
def store(tmp_path):
    return Store.create(tmp_path / "store")


def submit_all(executor, specs):
    for s in specs:
        prepare_job(executor.store, s, STUDY, process_identity())
        executor.submit(s)
    return [s.job_id for s in specs]


def wait_for(executor, job_id, state, timeout=20.0):
    deadline = time.monotonic() + timeout
    while (status := executor.status(job_id)).state != state:
        assert time.monotonic() < deadline, f"{job_id} never {state}: {status}"
        time.sleep(0.05)
    return status


def test_local_respects_dependencies_and_the_worker_limit(store):
    with LocalExecutor(store, workers=2, gpus=0) as executor:
        ids = submit_all(
            executor,
            [
                spec("a", seconds=0.6),
                spec("b", seconds=0.6),
                spec("c", seconds=0.3),
                spec("d", needs=["a", "b"], seconds=0.2),
                spec("e", after=["d"], seconds=0.1),
            ],
        )
        jobs = {s.job_id: s for s in executor.wait(ids, timeout=60)}
    assert all(s.state == "done" for s in jobs.values())
    assert jobs["d"].started >= max(jobs["a"].finished, jobs["b"].finished)
    assert jobs["e"].started >= jobs["d"].finished
    for t in [s.started + 1e-3 for s in jobs.values()]:  # never more than 2 at once
        assert sum(s.started <= t < s.finished for s in jobs.values()) <= 2


def test_a_failing_job_fails_alone_and_blocks_only_its_dependents(store):
    with LocalExecutor(store, workers=2, gpus=0) as executor:
        ids = submit_all(
            executor,
            [
                spec("bad", fail=True, seconds=0.1),
                spec("good", seconds=0.2),
                spec("after-bad", needs=["bad"]),
                spec("after-good", needs=["good"], seconds=0.1),
                spec("compare", after=["after-bad", "after-good"], seconds=0.1),
            ],
        )
        states = {s.job_id: s for s in executor.wait(ids, timeout=60)}
    assert states["bad"].state == "failed" and "NaN" in states["bad"].message
    assert states["after-bad"].state == "failed"
    assert states["after-bad"].message.startswith("not run: upstream bad failed")
    assert states["after-bad"].started is None  # it never ran
    assert [states[j].state for j in ("good", "after-good", "compare")] == ["done"] * 3


def test_cancelling_one_job_leaves_the_others_running(store):
    with LocalExecutor(store, workers=2, gpus=0) as executor:
        ids = submit_all(
            executor,
            [
                spec("x", seconds=30, steps=300),
                spec("y", seconds=3, steps=30),
                spec("waiting", seconds=0.1),
            ],
        )
        wait_for(executor, "x", "running")
        wait_for(executor, "y", "running")
        executor.cancel("x")
        executor.cancel("waiting")
        assert wait_for(executor, "x", "cancelled").message == "cancelled on request"
        assert executor.status("y").state == "running"
        states = {s.job_id: s for s in executor.wait(ids, timeout=60)}
    assert states["y"].state == "done"
    assert states["waiting"].state == "cancelled" and states["waiting"].started is None


def test_closing_the_executor_cancels_jobs_that_did_not_start(store):
    executor = LocalExecutor(store, workers=1, gpus=0)
    submit_all(executor, [spec("first", seconds=1.0), spec("second", needs=["first"])])
    wait_for(executor, "first", "running")
    executor.close()
    assert executor.status("second").message == "executor closed before it started"
    assert executor.wait(["first"], timeout=30)[0].state == "done"  # running jobs go on


@pytest.mark.slow
def test_dask_local_cluster_runs_cancels_and_orders_jobs(store):
    with DaskExecutor(store, workers=2, kill_after=2.0) as executor:
        assert executor.address.startswith("tcp://127.0.0.1:")
        ids = submit_all(
            executor,
            [
                spec("a", seconds=0.3),
                spec("b", needs=["a"], seconds=0.1),
                spec("bad", fail=True),
                spec("long", seconds=30, steps=300),
            ],
        )
        wait_for(executor, "long", "running", timeout=60)
        executor.cancel("long")
        states = {s.job_id: s for s in executor.wait(ids, timeout=60)}
    assert [states[j].state for j in ("a", "b", "bad", "long")] == [
        "done",
        "done",
        "failed",
        "cancelled",
    ]
    assert states["b"].started >= states["a"].finished
    assert states["a"].pid != states["b"].pid  # each job its own process
