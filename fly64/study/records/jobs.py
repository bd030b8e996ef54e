"""Jobs: one stage of one dose, view or cell (or the comparison), run in its own process.

This module is the job directory's format and what submitters and supervisors write in it;
the job's own process (its reporter, running and launching it) is
:mod:`fly64.study.execution.job_process`, process liveness :mod:`fly64.study.records.liveness`, and
readers use :mod:`fly64.study.records.registry`.

A job directory (``store.job_dir(job_id)``) holds, all written atomically:

``job.json``
    what runs and what made it: kind, entry function, parameters, dependencies, every
    resolved study setting, the stage's settings hash, code and package versions; the job
    adds host, thread and GPU environment and input hashes when it starts, the torch device
    when it ends.
``status.json``
    state (a :class:`JobState`: queued, running, done, failed, cancelled), progress 0–1,
    ETA, message, traceback, health flags, pid, timestamps. The submitter writes
    ``queued``; from then on only the job's process writes it (or its supervisor, once the
    process is gone).
``events.jsonl``
    append-only JSON lines (``{"t": unix_time, "kind": "loss", …}``); a reader skips a last
    line without its newline.
``snapshot.npz``
    the latest intermediate arrays.
``log.txt``, ``cancel``, ``attempts/<n>/``
    the process's output; a cancel request; files of earlier attempts moved aside by a re-run.

Train and reconstruct jobs also leave the files of :mod:`fly64.study.records.cell_result`; ``done``
is written only after :func:`~fly64.study.records.cell_result.save_result` returned.
"""

import contextlib
import enum
import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fly64.data.atomic import write_json_atomic
from fly64.data.provenance import code_version, package_versions
from fly64.data.store import ATTEMPTS, CANCEL, JOB, STATUS, Store
from fly64.study.settings.model import Study


class JobState(enum.StrEnum):
    """A job's state; each member is the string status.json stores (``JobState.DONE == "done"``).

    ``DAMAGED`` is a reader's verdict, never written: a job file, or a finished cell's
    result, is unreadable (the message of a damaged job ends with :data:`RERUN`).
    """

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DAMAGED = "damaged"


#: the states a job never leaves (until a re-run)
TERMINAL = (JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.DAMAGED)

#: what to do about a damaged job
RERUN = "`fly64 run` archives the job and runs it again"


class JobFileError(ValueError):
    """A job file that exists but cannot be read (truncated or changed outside fly64)."""


@dataclass(frozen=True)
class JobSpec:
    """What a job runs.

    job_id : directory name under the store's ``jobs/`` (e.g. ``train-d1e3-dense-pinn_gs1-s0``).
    kind : simulate, overlap, train, reconstruct or compare (any word for test kinds).
    entry : ``"module:function"`` called in the job process as
        ``function(study, store, params, reporter, job_dir)``; it returns a
        :class:`~fly64.study.records.cell_result.CellResult` (saved as the job's result) or a
        JSON-ready summary dict (kept in status.json).
    params : JSON-ready parameters (``dose``, ``view``, ``cell`` …).
    settings_hash : ``study.settings_hash(stage)`` the job's output depends on.
    needs : jobs that must be done before this one starts (a failed one blocks it).
    after : jobs that must have ended, however, before this one starts.
    gpu : takes one GPU (when the machine has any) for its whole run.
    """

    job_id: str
    kind: str
    entry: str
    params: dict = field(default_factory=dict)
    settings_hash: str = ""
    needs: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    gpu: bool = False

    @classmethod
    def from_dict(cls, data: dict) -> "JobSpec":
        names = cls.__dataclass_fields__
        spec = {k: data[k] for k in names if k in data}
        spec["needs"], spec["after"] = tuple(data.get("needs", ())), tuple(data.get("after", ()))
        return cls(**spec)


def read_json(path: Path) -> dict | None:
    """A JSON object file's content, None when it does not exist (files are written atomically).

    Raises :class:`JobFileError` when the file holds no JSON object (damaged outside fly64).
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    try:
        content = json.loads(data)
    except ValueError as exc:
        raise JobFileError(f"{path} is damaged ({exc}); {RERUN}") from exc
    if not isinstance(content, dict):
        raise JobFileError(
            f"{path} is damaged (it holds a {type(content).__name__}, not an object); {RERUN}"
        )
    return content


def request_cancel(job_dir: Path) -> None:
    """Ask a job to stop at its next cancel point (its supervisor kills it after a timeout)."""
    if Path(job_dir).is_dir():
        write_json_atomic(Path(job_dir) / CANCEL, {"requested": time.time()})


def cancel_requested(job_dir: Path) -> bool:
    return (Path(job_dir) / CANCEL).exists()


def write_final_status(job_dir: Path, state: JobState, message: str, **extra) -> None:
    """Give a job that is not (or no longer) running its terminal status: for supervisors."""
    try:
        status = read_json(Path(job_dir) / STATUS) or {}
    except JobFileError:  # the terminal status replaces a damaged one
        status = {}
    now = time.time()
    status.update(state=state, message=message, updated=now, finished=now, eta_s=None, **extra)
    write_json_atomic(Path(job_dir) / STATUS, status)


@contextlib.contextmanager
def store_lock(store: Store):
    """Serialise job claims among submitters of one store (readers never take it)."""
    store.jobs_dir.mkdir(parents=True, exist_ok=True)
    with open(store.jobs_lock, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def prepare_job(store: Store, spec: JobSpec, study: Study, owner: dict) -> Path:
    """Write a fresh job directory (job.json, queued status); earlier files go to attempts/<n>/.

    Call under :func:`store_lock` after checking that no live process owns the job.
    """
    job_dir = store.job_dir(spec.job_id)
    job_dir.mkdir(parents=True, exist_ok=True)
    previous = [p for p in job_dir.iterdir() if p.name != ATTEMPTS and not p.name.startswith(".")]
    attempt = 1
    if previous:
        attempts = job_dir / ATTEMPTS
        attempt = 1 + sum(1 for _ in attempts.iterdir()) if attempts.exists() else 1
        target = attempts / str(attempt)
        target.mkdir(parents=True)
        for path in previous:
            os.replace(path, target / path.name)
        attempt += 1
    now = time.time()
    write_json_atomic(
        job_dir / JOB,
        {
            **asdict(spec),
            "study": study.to_dict(),
            "study_hash": study.settings_hash(),
            "code_version": code_version(),
            "packages": package_versions(),
            "submitted": now,
            "attempt": attempt,
        },
    )
    write_json_atomic(
        job_dir / STATUS,
        {
            "state": JobState.QUEUED,
            "progress": 0.0,
            "eta_s": None,
            "message": "queued",
            "traceback": None,
            "health": {},
            "owner": owner,
            "attempt": attempt,
            "submitted": now,
            "updated": now,
            "started": None,
            "finished": None,
        },
    )
    return job_dir
