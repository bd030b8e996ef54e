"""Submitting and cancelling jobs from the app, through :class:`fly64.study.StudyRunner`.

One local executor per store is shared by every browser session of this server (the jobs
themselves are separate processes; the executor only launches and supervises them). The
executors live as long as the server's process, not its sessions (a run goes on while no
browser shows it): :func:`close_executors` closes them when the process ends. Closing stops
their scheduling threads; running jobs go on, and jobs that had not started are marked
cancelled instead of being left queued with no executor to start them.
Calls that touch the disk run in a worker thread so the server loop stays free.
"""

import asyncio
import atexit
import threading
from pathlib import Path

from fly64.data import Store
from fly64.study import LocalExecutor, Study, StudyRunner, load_store_study

_EXECUTORS: dict[str, LocalExecutor] = {}
_LOCK = threading.Lock()


def shared_executor(store) -> LocalExecutor:
    """The server-wide executor of ``store`` (made on first use)."""
    key = str(store.root)
    with _LOCK:
        if key not in _EXECUTORS:
            _EXECUTORS[key] = LocalExecutor(store)
        return _EXECUTORS[key]


def close_executors() -> None:
    """Close every executor made so far (at the process's end; a later request makes new ones):
    running jobs go on, jobs not yet started are marked cancelled ("executor closed before it
    started")."""
    with _LOCK:
        executors = list(_EXECUTORS.values())
        _EXECUTORS.clear()
    for executor in executors:
        executor.close()


atexit.register(close_executors)


def runner(root, study: Study, force: bool = False) -> StudyRunner:
    """A runner of ``study`` on the store at ``root``, with the runner's own checks: StudyError when
    the store holds other settings and not ``force``, or when ``force`` would archive jobs that have
    not ended."""
    return StudyRunner(root, study, executor=shared_executor(Store(Path(root))), force=force)


def cancel(root, job_ids=None) -> list[str]:
    """Cancel ``job_ids`` (None: every job that has not ended) through the store's own study."""
    store, study = load_store_study(root)
    study_runner = StudyRunner(store, study, executor=shared_executor(store))
    if job_ids is None:
        return study_runner.cancel_all()
    for job_id in job_ids:
        study_runner.cancel(job_id)
    return list(job_ids)


async def off_loop(function, *args, **kwargs):
    """Run a blocking call in a worker thread and await its result."""
    return await asyncio.to_thread(function, *args, **kwargs)
