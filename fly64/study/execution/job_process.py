"""One job's process: the reporter that writes its directory, running the job, launching it.

:func:`launch` starts ``python -m fly64.study.execution.job_process <store> <job-id>`` (what
executors do), which runs :func:`run_job`: it marks the job running, calls its entry function with a
:class:`JobReporter`, and writes the terminal status (see :mod:`fly64.study.records.jobs` for the
files of a job directory).
"""

import contextlib
import importlib
import io
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import numpy as np

from fly64.data.atomic import write_bytes_atomic, write_json_atomic
from fly64.data.dataset import open_dose_dataset
from fly64.data.store import EVENTS, JOB, LOG, SNAPSHOT, STATUS, Store
from fly64.data.views import load_view
from fly64.physics.device import default_device
from fly64.reporting import Cancelled, Reporter
from fly64.study.records.cell_result import save_result
from fly64.study.records.jobs import JobSpec, JobState, cancel_requested, read_json
from fly64.study.records.liveness import process_identity
from fly64.study.settings.model import Study


class JobReporter(Reporter):
    """A :class:`~fly64.reporting.Reporter` that writes a job directory.

    Status writes are throttled to one per ``min_interval`` seconds (progress events go
    with them); a heartbeat thread rewrites the status every ``heartbeat`` seconds so a
    reader on another host can tell a live job from a lost one.
    """

    def __init__(self, job_dir: Path, min_interval: float = 0.25, heartbeat: float = 5.0):
        self.job_dir = Path(job_dir)
        self.min_interval, self.heartbeat = min_interval, heartbeat
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._stop_requested = False
        self._last_write = 0.0
        self._status: dict = {}

    # -- lifecycle (called by the job process)
    def start(self) -> None:
        """Mark the job running in this process and start the heartbeat."""
        now = time.time()
        previous = read_json(self.job_dir / STATUS) or {}
        self._status = {
            **previous,
            "state": JobState.RUNNING,
            "progress": 0.0,
            "eta_s": None,
            "message": "started",
            "traceback": None,
            "health": {},
            **process_identity(),
            "started": now,
            "updated": now,
            "finished": None,
        }
        self._write()
        threading.Thread(target=self._beat, name="heartbeat", daemon=True).start()

    def finish(self, state: JobState, message: str, **extra) -> None:
        """Write the terminal status (always, unthrottled) and stop the heartbeat."""
        self._stop.set()
        with self._lock:
            now = time.time()
            self._status.update(state=state, message=message, eta_s=None, finished=now, **extra)
            if state == JobState.DONE:
                self._status["progress"] = 1.0
            self._write()

    def request_stop(self, *_) -> None:
        """Signal handler: make :meth:`cancelled` true (cooperative stop)."""
        self._stop_requested = True

    @property
    def state(self) -> JobState:
        return self._status.get("state", JobState.QUEUED)

    @property
    def health(self) -> dict:
        """Flags raised while running, e.g. ``non_finite_loss`` after a NaN in a loss event."""
        return dict(self._status.get("health", {}))

    # -- Reporter interface
    def progress(self, fraction: float, message: str = "") -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        with self._lock:
            now = time.time()
            elapsed = now - self._status["started"]
            self._status.update(
                progress=fraction,
                message=message or self._status["message"],
                eta_s=elapsed * (1 - fraction) / fraction if fraction > 0 else None,
            )
            if now - self._last_write >= self.min_interval or fraction >= 1.0:
                self._append(
                    {"t": now, "kind": "progress", "progress": fraction, "message": message}
                )
                self._write()

    def event(self, kind: str, **row) -> None:
        with self._lock:
            if any(isinstance(v, float) and not math.isfinite(v) for v in row.values()):
                self._status["health"]["non_finite_" + kind] = True
            self._append({"t": time.time(), "kind": kind, **row})

    def snapshot(self, **arrays) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_bytes_atomic(self.job_dir / SNAPSHOT, buffer.getvalue())

    def cancelled(self) -> bool:
        return self._stop_requested or cancel_requested(self.job_dir)

    # -- internals
    def _append(self, row: dict) -> None:
        line = json.dumps(row, default=float) + "\n"
        with open(self.job_dir / EVENTS, "a") as fh:
            fh.write(line)

    def _write(self) -> None:
        self._status["updated"] = self._last_write = time.time()
        write_json_atomic(self.job_dir / STATUS, self._status)

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            with self._lock:
                if not self._stop.is_set():
                    self._write()


def resolve_entry(entry: str):
    """The function named ``"package.module:function"``."""
    module, _, name = entry.partition(":")
    if not name:
        raise ValueError(f"job entry {entry!r} must read 'module:function'")
    return getattr(importlib.import_module(module), name)


def _input_hashes(store: Store, spec: JobSpec) -> dict:
    """Settings hashes of the data a job reads that exist: its dose dataset (a cell's: its
    repeat's); a cell's view.

    A missing input is left out here; the stage that needs it fails with its own message.
    """
    inputs, cell = {}, spec.params.get("cell")
    dose = cell["dose"] if cell else spec.params.get("dose")
    path = store.dose_path(dose, cell.get("seed", 0) if cell else 0) if dose is not None else None
    if path is not None and spec.kind != "simulate" and path.exists():
        inputs["dose_dataset"] = open_dose_dataset(path).attrs["settings_hash"]
    if cell and store.view_path(cell["dose"], cell["view"]).exists():
        inputs["view"] = load_view(store.view_path(cell["dose"], cell["view"])).settings_hash
    return inputs


def run_job(store_root: str | Path, job_id: str) -> JobState:
    """Run a prepared job in this process; returns its final state (never raises)."""
    store = Store.open(store_root)
    job_dir = store.job_dir(job_id)
    reporter = JobReporter(job_dir)
    if cancel_requested(job_dir):  # cancelled between the scheduler's last look and the launch
        reporter.finish(JobState.CANCELLED, "cancelled before it started")
        return reporter.state
    reporter.start()
    signal.signal(signal.SIGTERM, reporter.request_stop)
    manifest = read_json(job_dir / JOB)
    try:
        spec = JobSpec.from_dict(manifest)
        study = Study.from_dict(manifest["study"])
        manifest.update(
            host=socket.gethostname(),
            inputs=_input_hashes(store, spec),
            environment={k: os.environ.get(k) for k in ("CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS")},
        )
        write_json_atomic(job_dir / JOB, manifest)
        outcome = resolve_entry(spec.entry)(study, store, dict(spec.params), reporter, job_dir)
        if hasattr(outcome, "health"):  # a CellResult: result.json is written last
            save_result(job_dir, outcome)
            reporter.finish(JobState.DONE, "done", health={**reporter.health, **outcome.health})
        else:
            reporter.finish(JobState.DONE, "done", summary=outcome)
    except Cancelled as exc:
        reporter.finish(JobState.CANCELLED, str(exc) or "cancelled")
    except BaseException as exc:  # noqa: BLE001 - every failure must land in status.json
        reporter.finish(
            JobState.FAILED, f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc()
        )
    finally:
        with contextlib.suppress(Exception):
            manifest["device"] = str(default_device())
            write_json_atomic(job_dir / JOB, manifest)
    return reporter.state


def launch(store: Store, job_id: str, env: dict | None = None) -> subprocess.Popen:
    """Start ``python -m fly64.study.execution.job_process <store> <job-id>`` detached from the
    caller.

    The job gets its own session (a Ctrl-C or the caller's exit does not reach it), this
    interpreter's import path, and ``log.txt`` for its output.
    """
    job_dir = store.job_dir(job_id)
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(p or os.getcwd() for p in sys.path)
    with open(job_dir / LOG, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "fly64.study.execution.job_process", str(store.root), job_id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=child_env,
            start_new_session=True,
            close_fds=True,
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(
            "usage: python -m fly64.study.execution.job_process <store> <job-id>", file=sys.stderr
        )
        return 2
    return {JobState.DONE: 0, JobState.CANCELLED: 3}.get(run_job(*argv), 1)


if __name__ == "__main__":
    code = main()
    # Every job file is complete (atomic writes); skip interpreter teardown (seconds with
    # torch and zarr's threads loaded) so the job's slot frees as soon as it has ended.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
