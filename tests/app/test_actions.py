"""The Study page's run actions go through the runner and its guards, and the server's executors
close when its process ends (no browser needed)."""

import asyncio
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from app.pages.study.page import StudyPage
from fly64.study.execution.workspace import prepare_store
from fly64.study.records.jobs import JobSpec, prepare_job
from fly64.study.records.liveness import process_identity
from fly64.study.records.registry import Registry
from fly64.study.settings.model import Study
from tests.app.served import ROOT, stop_jobs
from tests.study.jobkinds import tiny_study

STUDY = tiny_study()


def run(coroutine):
    """Await ``coroutine`` in a thread of its own (a browser test may hold this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_archiving_other_settings_is_refused_while_a_job_has_not_ended(tmp_path):
    root = tmp_path / "store"
    store = prepare_store(root, STUDY)
    live = JobSpec("live", "sleep", "tests.study.jobkinds:sleep_job")
    prepare_job(store, live, STUDY, process_identity())  # queued by this live process: not ended
    page = StudyPage(root, STUDY, Registry(store).all())
    page.form.load(Study.from_dict({**STUDY.to_dict(), "epochs": STUDY.epochs + 1}))  # training
    page.force.value = True  # "archive results of other settings (--force)"
    try:
        run(page._run_all(None))
    finally:
        stop_jobs(root)  # a run that got through must not outlive the test
    message = page.feedback.object
    assert message.startswith("not started: "), message
    assert "would archive jobs that have not ended (['live'])" in message, message
    assert not store.archive_dir.exists()  # nothing archived
    assert Study.load(store.study_path).epochs == STUDY.epochs  # the store keeps its settings
    assert [j.job_id for j in Registry(store).all()] == ["live"]  # nothing submitted


#: a server process's life in short: it submits a job and one waiting for it, then ends
SERVER = """
import sys, time
from app.pages.study.actions import shared_executor
from fly64.data import Store
from fly64.study.records.jobs import JobSpec, prepare_job
from fly64.study.records.liveness import process_identity
from tests.app.test_actions import STUDY

store = Store.open(sys.argv[1])
executor = shared_executor(store)
for spec in (
    JobSpec("first", "sleep", "tests.study.jobkinds:sleep_job", {"seconds": 3, "steps": 30}),
    JobSpec("second", "sleep", "tests.study.jobkinds:sleep_job", {}, "h", ("first",)),
):
    prepare_job(store, spec, STUDY, process_identity())
    executor.submit(spec)
while executor.status("first").state != "running":
    time.sleep(0.05)
"""


def test_the_server_s_executors_close_when_its_process_ends_and_running_jobs_go_on(tmp_path):
    root = tmp_path / "store"
    registry = Registry(prepare_store(root, STUDY))
    try:
        subprocess.run([sys.executable, "-c", SERVER, str(root)], cwd=ROOT, check=True, timeout=300)
        second = registry.get("second")  # closed at exit: settled, not left queued
        assert (second.state, second.message) == ("cancelled", "executor closed before it started")
        deadline = time.monotonic() + 60
        while not registry.get("first").terminal and time.monotonic() < deadline:
            time.sleep(0.2)
        assert registry.get("first").state == "done"  # its process outlived the server's
    finally:
        stop_jobs(root)
