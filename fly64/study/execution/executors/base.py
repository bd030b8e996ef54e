"""What every executor shares: the gate on a job's upstream, a supervised job process, and
the :class:`Executor` interface (submit, status, cancel, wait).

An executor starts a job only when the jobs it ``needs`` are done and those it runs ``after``
have ended; a job whose upstream failed is marked failed ("not run: …") without starting.
Cancelling writes the job's cancel request: a queued job is marked cancelled when its turn
comes, a running one stops at its next cancel point and is killed when it has not stopped
``kill_after`` seconds later.
"""

import contextlib
import os
import signal
import time
from pathlib import Path

from fly64.data.store import LOG, STATUS, Store
from fly64.study.execution.job_process import launch
from fly64.study.records.jobs import (
    TERMINAL,
    JobSpec,
    JobState,
    cancel_requested,
    read_json,
    request_cancel,
    write_final_status,
)
from fly64.study.records.registry import JobStatus, Registry

READY, WAIT, BLOCKED = "ready", "wait", "blocked"


def gate(registry: Registry, spec: JobSpec) -> tuple[str, str]:
    """Whether a job may start: READY, WAIT (upstream still running) or BLOCKED (with why)."""
    for dep in spec.needs:
        status = registry.get(dep)
        if status is None:
            return BLOCKED, f"upstream job {dep} does not exist"
        if not status.terminal:
            return WAIT, ""
        if status.state != JobState.DONE:
            return BLOCKED, f"upstream {dep} {status.state}: {status.message}"
    for dep in spec.after:
        status = registry.get(dep)
        if status is not None and not status.terminal:
            return WAIT, ""
    return READY, ""


def settle_unstarted(registry: Registry, spec: JobSpec) -> bool:
    """Give a job that must not start (cancel requested, upstream failed) its final status."""
    job_dir = registry.store.job_dir(spec.job_id)
    if cancel_requested(job_dir):
        write_final_status(job_dir, JobState.CANCELLED, "cancelled before it started")
        return True
    verdict, why = gate(registry, spec)
    if verdict == BLOCKED:
        write_final_status(job_dir, JobState.FAILED, f"not run: {why}")
        return True
    return False


def _log_tail(job_dir: Path, lines: int = 5) -> str:
    try:
        return " | ".join((job_dir / LOG).read_text(errors="replace").strip().splitlines()[-lines:])
    except FileNotFoundError:
        return ""


class Supervised:
    """A launched job process, its cancel deadline, and its final status once it ends."""

    def __init__(self, store: Store, job_id: str, env: dict | None = None):
        self.job_dir = store.job_dir(job_id)
        self.process = launch(store, job_id, env)
        self._cancel_seen: float | None = None

    def poll(self, kill_after: float) -> bool:
        """True once the process has ended (its status is then terminal)."""
        code = self.process.poll()
        if code is None:
            if cancel_requested(self.job_dir):
                now = time.monotonic()
                self._cancel_seen = self._cancel_seen or now
                if now - self._cancel_seen > kill_after:  # it did not stop by itself
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(self.process.pid, signal.SIGKILL)
            return False
        status = read_json(self.job_dir / STATUS) or {}
        if status.get("state") not in TERMINAL:
            if cancel_requested(self.job_dir):
                write_final_status(
                    self.job_dir,
                    JobState.CANCELLED,
                    f"ended (exit code {code}) after the cancel request",
                )
            else:
                write_final_status(
                    self.job_dir,
                    JobState.FAILED,
                    f"process exited with code {code} without a final status; "
                    f"log: {_log_tail(self.job_dir)}",
                )
        return True


class Executor:
    """The interface every executor implements; status and wait read the registry."""

    name = ""

    def __init__(self, store: Store, kill_after: float = 10.0):
        self.store, self.registry, self.kill_after = store, Registry(store), kill_after

    def submit(self, spec: JobSpec) -> None:
        """Run a job prepared with :func:`fly64.study.records.jobs.prepare_job` once its upstream
        allows."""
        raise NotImplementedError

    def status(self, job_id: str) -> JobStatus | None:
        return self.registry.get(job_id)

    def cancel(self, job_id: str) -> None:
        request_cancel(self.store.job_dir(job_id))

    def wait(self, job_ids, timeout: float | None = None, poll: float = 0.2) -> list[JobStatus]:
        """Block until every job has ended; TimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            statuses = [self.registry.get(j) for j in job_ids]
            if all(s is not None and s.terminal for s in statuses):
                return statuses
            if deadline is not None and time.monotonic() > deadline:
                pending = [
                    j for j, s in zip(job_ids, statuses, strict=True) if s is None or not s.terminal
                ]
                raise TimeoutError(f"jobs still running after {timeout} s: {pending}")
            time.sleep(poll)

    def close(self) -> None:
        """Stop scheduling; jobs not yet started are cancelled, running ones go on."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
