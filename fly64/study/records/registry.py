"""The job registry: the true state of every job, read from the job directories.

Readers take no lock and never write: any number of them (the CLI, the app, several
browser tabs) can read while jobs run. Each job file is replaced atomically, so a reader
sees a complete old or new version. What a file cannot say is read from the processes:
a ``running`` job whose process is gone reads as failed (or cancelled, when a cancel was
requested); a ``queued`` job whose submitter is gone reads as cancelled; ``done`` stands
only when the result files are there with the sizes recorded. A job whose files cannot be
read, or a done cell whose result is missing or truncated, reads as ``damaged`` (terminal:
the next run archives its directory and runs it again).
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fly64.data.store import CUBE, EVENTS, JOB, SNAPSHOT, STATUS, Store
from fly64.study.records.cell_result import result_problem
from fly64.study.records.jobs import (
    RERUN,
    TERMINAL,
    JobFileError,
    JobState,
    cancel_requested,
    read_json,
)
from fly64.study.records.liveness import process_alive
from fly64.study.settings.cells import Cell, iter_cells
from fly64.study.settings.model import Study
from fly64.study.settings.stages import STAGES

#: seconds without a heartbeat after which a job running on another host counts as lost
STALE_AFTER = 60.0


@dataclass(frozen=True)
class JobStatus:
    """One job as a reader sees it (times are Unix seconds, None when not reached)."""

    job_id: str
    kind: str
    state: JobState
    progress: float = 0.0
    message: str = ""
    eta_s: float | None = None
    traceback: str | None = None
    health: dict = field(default_factory=dict)
    pid: int | None = None
    attempt: int = 1
    submitted: float | None = None
    started: float | None = None
    finished: float | None = None
    settings_hash: str = ""
    params: dict = field(default_factory=dict)
    summary: dict | None = None

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL

    @property
    def cell(self) -> Cell | None:
        """The grid cell of a train or reconstruct job."""
        return Cell(**self.params["cell"]) if "cell" in self.params else None

    @property
    def run_seconds(self) -> float | None:
        """Seconds the job's process ran (so far, while running)."""
        if self.started is None:
            return None
        return (self.finished or time.time()) - self.started


def _derive(job_dir: Path, manifest: dict, status: dict) -> tuple[JobState, str]:
    """The state and message a reader should believe (see the module docstring).

    Raises :class:`~fly64.study.records.jobs.JobFileError` when ``status.json`` names no known
    state.
    """
    try:
        state = JobState(status.get("state", JobState.QUEUED))
    except ValueError as exc:
        raise JobFileError(f"{job_dir / STATUS} names an unknown state ({exc}); {RERUN}") from exc
    message = status.get("message", "")
    if state == JobState.RUNNING:
        alive = process_alive(status)
        if alive is None and time.time() - status.get("updated", 0) > STALE_AFTER:
            return (
                JobState.FAILED,
                f"no heartbeat from host {status.get('host')} for over {STALE_AFTER:.0f} s",
            )
        if alive is False:
            if cancel_requested(job_dir):
                return JobState.CANCELLED, "cancelled (process stopped)"
            return JobState.FAILED, (
                f"process {status.get('pid')} died without a final status (killed or crashed); "
                "see log.txt"
            )
    elif state == JobState.QUEUED:
        if cancel_requested(job_dir):
            return JobState.CANCELLED, "cancelled before it started"
        if process_alive(status.get("owner", {})) is False:
            owner = status.get("owner", {}).get("pid")
            return JobState.CANCELLED, f"never started: its submitter (pid {owner}) ended"
    elif state == JobState.DONE and "cell" in manifest.get("params", {}):
        problem = result_problem(job_dir)
        if problem:
            return JobState.DAMAGED, f"status says done but {problem}; {RERUN}"
    elif state == JobState.DONE and manifest.get("kind") == STAGES["evaluate"].job_kind:
        cube = Store(job_dir.parent.parent).results_dir / CUBE
        if not cube.is_file():
            return JobState.DAMAGED, f"status says done but {cube} is missing; {RERUN}"
    return state, message


def _damaged(job_dir: Path, manifest: dict | None, message: str) -> JobStatus:
    manifest = manifest or {}
    return JobStatus(
        job_id=job_dir.name,
        kind=manifest.get("kind", "unknown"),
        state=JobState.DAMAGED,
        message=message,
        attempt=manifest.get("attempt", 1),
        submitted=manifest.get("submitted"),
        settings_hash=manifest.get("settings_hash", ""),
        params=manifest.get("params", {}),
    )


def read_job(job_dir: Path) -> JobStatus | None:
    """The status of the job in ``job_dir``; None when it holds no job (yet)."""
    job_dir = Path(job_dir)
    manifest = None
    if job_dir.exists() and not job_dir.is_dir():
        return _damaged(job_dir, None, f"{job_dir} is a file, not a job directory; {RERUN}")
    try:
        manifest = read_json(job_dir / JOB)
        if manifest is None:
            return None
        if "kind" not in manifest:
            return _damaged(job_dir, manifest, f"{job_dir / JOB} names no job kind; {RERUN}")
        if manifest.get("job_id", job_dir.name) != job_dir.name:
            return _damaged(
                job_dir,
                manifest,
                f"{job_dir / JOB} describes job {manifest['job_id']}, not {job_dir.name} "
                f"(a copy of another job's directory); {RERUN}",
            )
        status = read_json(job_dir / STATUS) or {"state": JobState.QUEUED, "message": "queued"}
        state, message = _derive(job_dir, manifest, status)
    except JobFileError as exc:
        return _damaged(job_dir, manifest, str(exc))
    return JobStatus(
        job_id=job_dir.name,
        kind=manifest["kind"],
        state=state,
        message=message,
        progress=float(status.get("progress") or 0.0) if state != JobState.DONE else 1.0,
        eta_s=status.get("eta_s") if state in (JobState.QUEUED, JobState.RUNNING) else None,
        traceback=status.get("traceback"),
        health=status.get("health") or {},
        pid=status.get("pid"),
        attempt=manifest.get("attempt", 1),
        submitted=manifest.get("submitted"),
        started=status.get("started"),
        finished=status.get("finished"),
        settings_hash=manifest.get("settings_hash", ""),
        params=manifest.get("params", {}),
        summary=status.get("summary"),
    )


class Registry:
    """Every job of one store, read on demand (no caching: each call reads the disk)."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, job_id: str) -> JobStatus | None:
        return read_job(self.store.job_dir(job_id))

    def all(self) -> list[JobStatus]:
        """All jobs, in submission order."""
        if not self.store.jobs_dir.is_dir():
            return []
        # a file where a job directory belongs reads as damaged (a run moves it aside)
        jobs = [read_job(p) for p in self.store.jobs_dir.iterdir() if not p.name.startswith(".")]
        return sorted(
            (j for j in jobs if j is not None), key=lambda j: (j.submitted or 0, j.job_id)
        )


def read_events(job_dir: Path, offset: int = 0) -> tuple[list[dict], int]:
    """Complete event rows from byte ``offset`` on, and the offset to continue from.

    Poll with the returned offset to follow a running job; a line still being written
    is left for the next call.
    """
    path = Path(job_dir) / EVENTS
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    rows = [json.loads(line) for line in data[:end].splitlines() if line.strip()]
    return rows, offset + end


def load_snapshot(job_dir: Path) -> dict | None:
    """The latest snapshot arrays of a job, None when it has written none."""
    try:
        with np.load(Path(job_dir) / SNAPSHOT, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except FileNotFoundError:
        return None


def cell_finish_times(registry: Registry, study: Study) -> dict[str, float]:
    """``{job_id: finish time}`` of every finished cell: a cell's job that reads as done (a
    damaged one does not), made with ``study``'s current settings hash of its stage (one made
    with other settings is not current, whatever study.yaml says). What a comparison covers."""
    current = {stage: study.settings_hash(stage) for stage in STAGES}
    return {
        j.job_id: j.finished
        for j in registry.all()
        if j.cell is not None
        and j.state == JobState.DONE
        and j.settings_hash == current[j.cell.stage]
    }


def finished_cells(study: Study, store: Store) -> list[Cell]:
    """The study's finished cells (see :func:`cell_finish_times`), in grid order."""
    finished = cell_finish_times(Registry(store), study)
    return [cell for cell in iter_cells(study) if cell.job_id in finished]


def health_text(health: dict | None, healthy: str = "ok") -> str:
    """The flags raised in a job's health dict, comma-separated (``flat_loss, collapsed``);
    ``healthy`` when none is raised, "" when the dict is empty (nothing was checked)."""
    raised = [k for k, v in (health or {}).items() if v is True]
    return ", ".join(raised) if raised else (healthy if health else "")
