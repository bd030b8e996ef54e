"""The ``local`` executor: each job a detached process of this machine, launched from a
background thread, at most ``workers`` at a time and at most one GPU job per GPU."""

import os
import threading
from collections import deque

import torch

from fly64.data.store import Store
from fly64.study.execution.executors.base import (
    READY,
    Executor,
    Supervised,
    gate,
    settle_unstarted,
)
from fly64.study.records.jobs import JobSpec, JobState, write_final_status


def _gpu_count() -> int:
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
