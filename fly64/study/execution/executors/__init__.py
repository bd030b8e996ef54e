"""Executors: where prepared jobs run, behind one interface (submit, status, cancel, wait).

``local`` (default) launches each job as a detached process of this machine from a
background thread, at most ``workers`` at a time and at most one GPU job per GPU.
``dask`` (:mod:`fly64.study.execution.executors.dask_cluster`) hands each job to a ``distributed``
cluster (a scheduler address, or a ``LocalCluster`` of processes on loopback); the dask task
launches the same job process and supervises it, so cancel and hard kill work the same
way. A remote cluster must see the store at the same path.

Both start a job only when the jobs it ``needs`` are done and those it runs ``after``
have ended; a job whose upstream failed is marked failed ("not run: …") without
starting. Cancelling writes the job's cancel request: a queued job is marked cancelled
when its turn comes, a running one stops at its next cancel point and is killed when it
has not stopped ``kill_after`` seconds later.
"""

import contextlib
import os
import signal
import threading
import time
from collections import deque
from pathlib import Path

from fly64.data.store import Store
from fly64.study.execution.job_process import launch
from fly64.study.records.jobs import (
    LOG,
    STATUS,
    TERMINAL,
    JobSpec,
    JobState,
    cancel_requested,
    read_json,
    request_cancel,
    write_final_status,
)
from fly64.study.records.registry import JobStatus, Registry

EXECUTORS = ("local", "dask")
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


def _gpu_count() -> int:
    import torch

    return torch.cuda.device_count()


class LocalExecutor(Executor):
    """Detached job processes on this machine, scheduled by a background thread.

    workers : jobs at once (default: the CPU count); each gets ``cpus // workers`` threads.
    gpus : GPUs to share out, one GPU job each (default: those torch sees). On a machine
        with GPUs, jobs without a GPU see none (simulation stays bit-identical to CPU runs).
    """

    name = "local"

    def __init__(
        self,
        store: Store,
        workers: int | None = None,
        gpus: int | None = None,
        kill_after: float = 10.0,
        poll: float = 0.25,
    ):
        super().__init__(store, kill_after)
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers or os.cpu_count() or 1
        self.gpus = _gpu_count() if gpus is None else gpus
        self.poll = poll
        self._pending: deque[JobSpec] = deque()
        self._running: dict[str, tuple[Supervised, int | None]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fly64-local-executor", daemon=True)
        self._thread.start()

    def submit(self, spec: JobSpec) -> None:
        with self._lock:
            self._pending.append(spec)
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        super().cancel(job_id)
        self._wake.set()

    def close(self) -> None:
        self._closed.set()
        self._wake.set()
        self._thread.join()
        for spec in self._pending:
            write_final_status(
                self.store.job_dir(spec.job_id),
                JobState.CANCELLED,
                "executor closed before it started",
            )
        self._pending.clear()

    def _loop(self) -> None:
        while not self._closed.is_set():
            with self._lock:
                self._step()
            self._wake.wait(self.poll)
            self._wake.clear()

    def _env(self, gpu: int | None) -> dict:
        threads = str(max(1, (os.cpu_count() or 1) // self.workers))
        env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
        if self.gpus:
            env["CUDA_VISIBLE_DEVICES"] = "" if gpu is None else str(gpu)
        return env

    def _step(self) -> None:
        """Reap ended jobs, then start the waiting jobs that may start, in submission order."""
        for job_id, (job, _) in list(self._running.items()):
            if job.poll(self.kill_after):
                del self._running[job_id]
        for spec in list(self._pending):
            try:
                started = self._try_start(spec)
            except Exception as exc:  # noqa: BLE001 - one bad job must not stop the scheduler
                write_final_status(
                    self.store.job_dir(spec.job_id),
                    JobState.FAILED,
                    f"could not start: {type(exc).__name__}: {exc}",
                )
                started = True
            if started:
                self._pending.remove(spec)

    def _try_start(self, spec: JobSpec) -> bool:
        """Start (or settle) one waiting job; False while it has to wait."""
        if settle_unstarted(self.registry, spec):
            return True
        if len(self._running) >= self.workers or gate(self.registry, spec)[0] != READY:
            return False
        gpu = None
        if spec.gpu and self.gpus:
            free = sorted(set(range(self.gpus)) - {g for _, g in self._running.values()})
            if not free:
                return False
            gpu = free[0]
        self._running[spec.job_id] = (Supervised(self.store, spec.job_id, self._env(gpu)), gpu)
        return True


def make_executor(
    name: str,
    store: Store,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    kill_after: float = 10.0,
) -> Executor:
    """An executor by name: ``local`` (default) or ``dask``."""
    if name == "local":
        if scheduler:
            raise ValueError("--scheduler applies to the dask executor only")
        return LocalExecutor(store, workers=workers, kill_after=kill_after)
    if name == "dask":
        from fly64.study.execution.executors.dask_cluster import DaskExecutor  # imports distributed

        return DaskExecutor(store, address=scheduler, workers=workers, kill_after=kill_after)
    raise ValueError(f"unknown executor {name!r}; choose from {list(EXECUTORS)}")
