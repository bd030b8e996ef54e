"""Jobs: one phase of one dose, view or cell (or the comparison), run in its own process.

A job directory (``store.job_dir(job_id)``) holds, all written atomically:

``job.json``
    what runs and what made it: kind, entry function, parameters, dependencies, every
    resolved study setting, the phase's settings hash, code and package versions; the job
    adds host, thread and GPU environment and input hashes when it starts, the torch device
    when it ends.
``status.json``
    state (queued, running, done, failed, cancelled), progress 0–1, ETA, message,
    traceback, health flags, pid, timestamps. The submitter writes ``queued``; from then on
    only the job's process writes it (or its supervisor, once the process is gone).
``events.jsonl``
    append-only JSON lines (``{"t": unix_time, "kind": "loss", …}``); a reader skips a last
    line without its newline.
``snapshot.npz``
    the latest intermediate arrays.
``log.txt``, ``cancel``, ``attempts/<n>/``
    the process's output; a cancel request; files of earlier attempts moved aside by a re-run.

Train and reconstruct jobs also leave the files of :mod:`fly64.study.results`; ``done``
is written only after :func:`~fly64.study.results.save_result` returned.

Run one job with ``python -m fly64.study.jobs <store> <job-id>`` (what executors do).
"""

import contextlib
import fcntl
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fly64.data.atomic import write_bytes_atomic, write_json_atomic
from fly64.data.provenance import code_version, package_versions
from fly64.data.store import Store
from fly64.reporting import Cancelled, Reporter
from fly64.study.model import Study

JOB, STATUS, EVENTS, SNAPSHOT, LOG, CANCEL = (
    "job.json", "status.json", "events.jsonl", "snapshot.npz", "log.txt", "cancel",
)
ATTEMPTS = "attempts"
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
#: a reader's verdict (never written): a job file, or a finished cell's result, is unreadable
DAMAGED = "damaged"
TERMINAL = (DONE, FAILED, CANCELLED, DAMAGED)


#: what to do about a damaged job (the message of :data:`DAMAGED` jobs ends with it)
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
        :class:`~fly64.study.results.CellResult` (saved as the job's result) or a JSON-ready
        summary dict (kept in status.json).
    params : JSON-ready parameters (``dose``, ``view``, ``cell`` …).
    settings_hash : ``study.settings_hash(phase)`` the job's output depends on.
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


# ----------------------------------------------------------------- processes
def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks since boot) from /proc, None when absent."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[19])


def process_identity(pid: int | None = None) -> dict:
    """``{"pid", "host", "pid_start"}`` of a process (default: this one), to test liveness later."""
    pid = pid or os.getpid()
    stat = _proc_stat(pid)
    return {"pid": pid, "host": socket.gethostname(), "pid_start": stat[1] if stat else None}


def process_alive(identity: dict) -> bool | None:
    """Whether the process of :func:`process_identity` still runs; None when on another host.

    A zombie, or a new process that reused the pid, counts as gone.
    """
    pid = identity.get("pid")
    if not pid:
        return False
    if identity.get("host") != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    stat = _proc_stat(pid)
    if stat is None:
        return not Path("/proc/self/stat").exists()
    state, start = stat
    started = identity.get("pid_start")
    return state not in "ZX" and (started is None or started == start)


# ----------------------------------------------------------------- files
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
        raise JobFileError(f"{path} is damaged (it holds a {type(content).__name__}, not an object); {RERUN}")
    return content


def request_cancel(job_dir: Path) -> None:
    """Ask a job to stop at its next cancel point (its supervisor kills it after a timeout)."""
    if Path(job_dir).is_dir():
        write_json_atomic(Path(job_dir) / CANCEL, {"requested": time.time()})


def cancel_requested(job_dir: Path) -> bool:
    return (Path(job_dir) / CANCEL).exists()


def write_final_status(job_dir: Path, state: str, message: str, **extra) -> None:
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
    write_json_atomic(job_dir / JOB, {
        **asdict(spec),
        "study": study.to_dict(),
        "study_hash": study.settings_hash(),
        "code_version": code_version(),
        "packages": package_versions(),
        "submitted": now,
        "attempt": attempt,
    })
    write_json_atomic(job_dir / STATUS, {
        "state": QUEUED, "progress": 0.0, "eta_s": None, "message": "queued", "traceback": None,
        "health": {}, "owner": owner, "attempt": attempt, "submitted": now, "updated": now,
        "started": None, "finished": None,
    })
    return job_dir


# ----------------------------------------------------------------- the job's reporter
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
            **previous, "state": RUNNING, "progress": 0.0, "eta_s": None, "message": "started",
            "traceback": None, "health": {}, **process_identity(), "started": now, "updated": now,
            "finished": None,
        }
        self._write()
        threading.Thread(target=self._beat, name="heartbeat", daemon=True).start()

    def finish(self, state: str, message: str, **extra) -> None:
        """Write the terminal status (always, unthrottled) and stop the heartbeat."""
        self._stop.set()
        with self._lock:
            now = time.time()
            self._status.update(state=state, message=message, eta_s=None, finished=now, **extra)
            if state == DONE:
                self._status["progress"] = 1.0
            self._write()

    def request_stop(self, *_) -> None:
        """Signal handler: make :meth:`cancelled` true (cooperative stop)."""
        self._stop_requested = True

    @property
    def state(self) -> str:
        return self._status.get("state", QUEUED)

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
                progress=fraction, message=message or self._status["message"],
                eta_s=elapsed * (1 - fraction) / fraction if fraction > 0 else None,
            )
            if now - self._last_write >= self.min_interval or fraction >= 1.0:
                self._append({"t": now, "kind": "progress", "progress": fraction, "message": message})
                self._write()

    def event(self, kind: str, **row) -> None:
        with self._lock:
            if any(isinstance(v, float) and not math.isfinite(v) for v in row.values()):
                self._status["health"]["non_finite_" + kind] = True
            self._append({"t": time.time(), "kind": kind, **row})

    def snapshot(self, **arrays) -> None:
        import numpy as np

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


# ----------------------------------------------------------------- running one job
def resolve_entry(entry: str):
    """The function named ``"package.module:function"``."""
    module, _, name = entry.partition(":")
    if not name:
        raise ValueError(f"job entry {entry!r} must read 'module:function'")
    return getattr(importlib.import_module(module), name)


def _input_hashes(store: Store, spec: JobSpec) -> dict:
    """Settings hashes of the data a job reads that exist: its dose dataset (a cell's: its
    repeat's); a cell's view.

    A missing input is left out here; the phase that needs it fails with its own message.
    """
    from fly64.data.dataset import open_dose_dataset
    from fly64.data.views import load_view

    inputs, cell = {}, spec.params.get("cell")
    dose = cell["dose"] if cell else spec.params.get("dose")
    path = store.dose_path(dose, cell.get("seed", 0) if cell else 0) if dose is not None else None
    if path is not None and spec.kind != "simulate" and path.exists():
        inputs["dose_dataset"] = open_dose_dataset(path).attrs["settings_hash"]
    if cell and store.view_path(cell["dose"], cell["view"]).exists():
        inputs["view"] = load_view(store.view_path(cell["dose"], cell["view"])).settings_hash
    return inputs


def _device() -> str:
    """The torch device a phase would use here ('cpu' when the job never imported torch)."""
    if "torch" not in sys.modules:
        return "cpu"
    from fly64.physics.device import default_device

    return str(default_device())


def run_job(store_root: str | Path, job_id: str) -> str:
    """Run a prepared job in this process; returns its final state (never raises)."""
    store = Store.open(store_root)
    job_dir = store.job_dir(job_id)
    reporter = JobReporter(job_dir)
    if cancel_requested(job_dir):  # cancelled between the scheduler's last look and the launch
        reporter.finish(CANCELLED, "cancelled before it started")
        return reporter.state
    reporter.start()
    signal.signal(signal.SIGTERM, reporter.request_stop)
    manifest = read_json(job_dir / JOB)
    try:
        spec = JobSpec.from_dict(manifest)
        study = Study.from_dict(manifest["study"])
        manifest.update(
            host=socket.gethostname(), inputs=_input_hashes(store, spec),
            environment={k: os.environ.get(k) for k in ("CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS")},
        )
        write_json_atomic(job_dir / JOB, manifest)
        outcome = resolve_entry(spec.entry)(study, store, dict(spec.params), reporter, job_dir)
        if hasattr(outcome, "health"):  # a CellResult: result.json is written last
            from fly64.study.results import save_result

            save_result(job_dir, outcome)
            reporter.finish(DONE, "done", health={**reporter.health, **outcome.health})
        else:
            reporter.finish(DONE, "done", summary=outcome)
    except Cancelled as exc:
        reporter.finish(CANCELLED, str(exc) or "cancelled")
    except BaseException as exc:  # noqa: BLE001 - every failure must land in status.json
        reporter.finish(FAILED, f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    finally:
        with contextlib.suppress(Exception):
            manifest["device"] = _device()
            write_json_atomic(job_dir / JOB, manifest)
    return reporter.state


def launch(store: Store, job_id: str, env: dict | None = None) -> subprocess.Popen:
    """Start ``python -m fly64.study.jobs <store> <job-id>`` detached from the caller.

    The job gets its own session (a Ctrl-C or the caller's exit does not reach it), this
    interpreter's import path, and ``log.txt`` for its output.
    """
    job_dir = store.job_dir(job_id)
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONPATH"] = os.pathsep.join(p or os.getcwd() for p in sys.path)
    with open(job_dir / LOG, "ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "fly64.study.jobs", str(store.root), job_id],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=child_env, start_new_session=True, close_fds=True,
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m fly64.study.jobs <store> <job-id>", file=sys.stderr)
        return 2
    return {DONE: 0, CANCELLED: 3}.get(run_job(*argv), 1)


if __name__ == "__main__":
    code = main()
    # Every job file is complete (atomic writes); skip interpreter teardown (seconds with
    # torch and zarr's threads loaded) so the job's slot frees as soon as it has ended.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
