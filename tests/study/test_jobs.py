"""One job's life: its directory, failure, kill -9, cancel, hard kill,
half-written results, readers.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from fly64.data.store import Store
from fly64.study.execution import job_process
from fly64.study.execution.executors.base import Supervised
from fly64.study.execution.job_process import JobReporter, launch
from fly64.study.records.cell_result import DamagedResultError, load_result
from fly64.study.records.jobs import JobSpec, JobState, prepare_job, request_cancel
from fly64.study.records.liveness import process_identity
from fly64.study.records.registry import health_text, load_snapshot, read_events, read_job
from fly64.study.settings.model import Study

STUDY = Study.preset("quick")
ORDER = {"queued": 0, "running": 1, "done": 2, "failed": 2, "cancelled": 2}


def sleep_spec(job_id: str, entry: str = "sleep_job", **params) -> JobSpec:
    return JobSpec(job_id, "sleep", f"tests.study.jobkinds:{entry}", params, "abc123")


@pytest.fixture
def store(tmp_path):
    return Store.create(tmp_path / "store")


def submit(store, spec) -> Supervised:
    prepare_job(store, spec, STUDY, process_identity())
    return Supervised(store, spec.job_id)


def finish(job: Supervised, kill_after: float = 10.0, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not job.poll(kill_after):
        assert time.monotonic() < deadline, "job did not end"
        time.sleep(0.05)
    return read_job(job.job_dir)


def wait_running(store, job_id, timeout=20.0):
    deadline = time.monotonic() + timeout
    while (status := read_job(store.job_dir(job_id))).state != "running":
        assert time.monotonic() < deadline, f"never running: {status}"
        time.sleep(0.05)
    return status


def test_done_job_writes_manifest_status_events_snapshot_and_result(store):
    status = finish(submit(store, sleep_spec("a", seconds=0.2, result=2.0)))
    assert status.state == "done" and status.progress == 1.0 and status.finished >= status.started
    job_dir = store.job_dir("a")
    manifest = json.loads((job_dir / "job.json").read_text())
    assert manifest["study"] == STUDY.to_dict() and manifest["study_hash"] == STUDY.settings_hash()
    assert manifest["settings_hash"] == "abc123" and manifest["kind"] == "sleep"
    assert {"code_version", "packages", "host", "device", "inputs", "environment"} <= set(manifest)
    assert manifest["packages"]["numpy"] == np.__version__
    raw = json.loads((job_dir / "status.json").read_text())
    assert raw["pid"] != os.getpid() and raw["health"] == {"collapsed": False}
    rows, offset = read_events(job_dir)
    assert [r["step"] for r in rows if r["kind"] == "loss"] == [0, 1, 2, 3, 4]
    assert offset == (job_dir / "events.jsonl").stat().st_size
    assert load_snapshot(job_dir)["step"] == 4
    assert load_result(job_dir).info == {"value": 2.0}


def test_raising_job_fails_with_traceback_and_no_result(store):
    status = finish(submit(store, sleep_spec("nan", fail=True, seconds=0.1)))
    assert status.state == "failed"
    assert status.message == "FloatingPointError: loss is NaN at step 2"
    assert "FloatingPointError" in status.traceback and status.health == {"non_finite_loss": True}
    assert not (store.job_dir("nan") / "result.json").exists()


def test_kill_9_reads_failed_and_a_rerun_completes(store):
    prepare_job(store, sleep_spec("k", seconds=30, steps=300), STUDY, process_identity())
    process = launch(store, "k")
    pid = wait_running(store, "k").pid
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)  # not reaped yet: a zombie must read as dead too
    status = read_job(store.job_dir("k"))
    assert status.state == "failed" and f"process {pid} died" in status.message
    process.wait()
    rerun = finish(submit(store, sleep_spec("k", seconds=0.1)))
    assert rerun.state == "done" and rerun.attempt == 2
    old = json.loads((store.job_dir("k") / "attempts" / "1" / "status.json").read_text())
    assert old["state"] == "running" and old["pid"] == pid


def test_cancel_stops_the_job_at_its_next_cancel_point(store):
    job = submit(store, sleep_spec("c", seconds=30, steps=300))
    wait_running(store, "c")
    request_cancel(store.job_dir("c"))
    status = finish(job, timeout=10)
    assert status.state == "cancelled" and status.message == "cancelled on request"
    assert status.run_seconds < 10


def test_a_cancel_landing_just_before_the_launch_runs_nothing(store):
    prepare_job(store, sleep_spec("late", result=1.0), STUDY, process_identity())
    request_cancel(store.job_dir("late"))  # after the scheduler's check, before the process starts
    status = finish(Supervised(store, "late"))
    assert status.state == "cancelled" and status.message == "cancelled before it started"
    assert read_events(store.job_dir("late"))[0] == []
    assert not (store.job_dir("late") / "result.json").exists()


def test_a_job_that_ignores_cancel_is_killed_after_the_timeout(store):
    job = submit(store, sleep_spec("h", seconds=30, steps=300, ignore_cancel=True))
    wait_running(store, "h")
    request_cancel(store.job_dir("h"))
    started = time.monotonic()
    status = finish(job, kill_after=0.5)
    assert time.monotonic() - started < 5
    assert (
        status.state == "cancelled"
        and status.message == "ended (exit code -9) after the cancel request"
    )


def test_a_half_written_result_is_never_read_as_finished(store):
    job = submit(store, sleep_spec("half", entry="die_mid_save_job"))
    status = finish(job)
    assert status.state == "failed" and "code -9" in status.message
    assert json.loads((store.job_dir("half") / "status.json").read_text())["state"] == "failed"
    with pytest.raises(DamagedResultError, match="result.json is unreadable"):
        load_result(store.job_dir("half"))


def test_done_without_result_file_reads_damaged(store):
    finish(
        submit(
            store,
            JobSpec(
                "cell",
                "train",
                "tests.study.jobkinds:sleep_job",
                {"cell": {"dose": 1e3, "view": "dense"}, "seconds": 0.05, "result": 1.0},
            ),
        )
    )
    assert read_job(store.job_dir("cell")).state == "done"
    (store.job_dir("cell") / "result.json").unlink()
    status = read_job(store.job_dir("cell"))
    assert status.state == "damaged" and "result.json is missing" in status.message


def test_queued_job_reads_cancelled_once_its_submitter_is_gone(store):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = process_identity(gone.pid)
    gone.wait()
    prepare_job(store, sleep_spec("orphan"), STUDY, identity)
    status = read_job(store.job_dir("orphan"))
    assert status.state == "cancelled" and f"submitter (pid {gone.pid}) ended" in status.message
    prepare_job(store, sleep_spec("mine"), STUDY, process_identity())
    assert read_job(store.job_dir("mine")).state == "queued"
    request_cancel(store.job_dir("mine"))
    assert read_job(store.job_dir("mine")).message == "cancelled before it started"


def test_two_concurrent_readers_see_consistent_states(store):
    job = submit(store, sleep_spec("r", seconds=1.5, steps=150))
    seen: dict[int, list] = {0: [], 1: []}

    def read(k):
        while True:
            status = read_job(store.job_dir("r"))
            seen[k].append((ORDER[status.state], status.progress))
            if status.terminal:
                return

    readers = [threading.Thread(target=read, args=(k,)) for k in seen]
    for reader in readers:
        reader.start()
    assert finish(job).state == "done"
    for reader in readers:
        reader.join(10)
    for rows in seen.values():
        assert len(rows) > 20 and rows == sorted(rows)  # state and progress never go back
        assert rows[-1] == (2, 1.0)


def test_events_reader_leaves_a_partial_last_line_for_later(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"kind": "loss", "epoch": 0}\n{"kind": "lo')
    rows, offset = read_events(tmp_path)
    assert rows == [{"kind": "loss", "epoch": 0}]
    with open(path, "a") as fh:
        fh.write('ss", "epoch": 1}\n')
    rows, _ = read_events(tmp_path, offset)
    assert rows == [{"kind": "loss", "epoch": 1}]


def test_reporter_throttles_status_writes(tmp_path, monkeypatch):
    writes = []
    monkeypatch.setattr(
        job_process, "write_json_atomic", lambda path, obj: writes.append(dict(obj))
    )
    reporter = JobReporter(tmp_path, min_interval=0.25)
    reporter.start()
    for k in range(1, 2001):
        reporter.progress(k / 2000)
    reporter.finish("done", "done")
    assert 3 <= len(writes) <= 6  # start, a few progress writes, the final 100 %, finish
    assert writes[-1]["state"] == "done" and writes[-2]["progress"] == 1.0


def test_a_status_naming_an_unknown_state_reads_damaged(store):
    prepare_job(store, sleep_spec("odd"), STUDY, process_identity())
    (store.job_dir("odd") / "status.json").write_text('{"state": "paused"}')
    status = read_job(store.job_dir("odd"))
    assert status.state == JobState.DAMAGED and "unknown state" in status.message


def test_health_text_names_the_raised_flags():
    assert (
        health_text({"collapsed": True, "flat_loss": True, "drift": False})
        == "collapsed, flat_loss"
    )
    assert health_text({"collapsed": False}) == "ok" and health_text({}) == ""
    assert health_text({"collapsed": False}, healthy="") == ""
