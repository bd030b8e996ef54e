"""The Study page's run actions go through the runner and its guards (no browser needed)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from app.pages.study_page import StudyPage
from fly64.study.execution.workspace import prepare_store
from fly64.study.records.jobs import JobSpec, prepare_job
from fly64.study.records.liveness import process_identity
from fly64.study.records.registry import Registry
from fly64.study.settings.model import Study
from tests.app.served import stop_jobs
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
