"""Running a study in a store: submit the jobs a selection of cells needs, follow them.

:class:`StudyRunner` is the one API of the CLI (``fly64 run/train/reconstruct``) and the
app. It submits the jobs :func:`fly64.study.execution.planning.plan_jobs` plans (what is
already there with the same settings is skipped; failed or cancelled jobs run again) and
reads every job's state from the store.
"""

from collections.abc import Sequence
from pathlib import Path

from fly64.data.store import MARKER, Store
from fly64.study.execution.executors import Executor, make_executor
from fly64.study.execution.planning import ENTRIES, plan_jobs
from fly64.study.execution.workspace import archive_paths, prepare_store
from fly64.study.records.jobs import JobSpec, JobState, prepare_job, store_lock
from fly64.study.records.liveness import process_identity
from fly64.study.records.registry import JobStatus, Registry
from fly64.study.settings.cells import Cell, iter_cells, select_cells
from fly64.study.settings.model import Study, StudyError
from fly64.study.settings.stages import STAGES


class StudyRunner:
    """Submits a study's jobs to an executor and reads their state from the store.

    store : store directory (or :class:`Store`); opened with
        :func:`~fly64.study.execution.workspace.prepare_store`, so a store of other settings is
        refused unless ``force`` (which archives the old results; refused while any job
        of the store has not ended).
    executor : ``"local"`` (default), ``"dask"`` or an :class:`Executor` instance (e.g.
        one shared by every runner of a server process); ``workers`` and ``scheduler``
        (a dask address) configure a named one.
    entries : job kind → ``"module:function"`` overrides of
        :data:`~fly64.study.execution.planning.ENTRIES` (e.g. another trainer).

    Submitting returns at once. Jobs run in processes of their own: a running job outlives
    this object and its process; a job still waiting when the runner's process ends reads
    as cancelled (submit again to resume). Every state comes from disk, so a runner made
    later (or in another process) reads the same jobs.
    """

    def __init__(
        self,
        store: str | Path | Store,
        study: Study,
        executor: str | Executor = "local",
        *,
        workers: int | None = None,
        scheduler: str | None = None,
        force: bool = False,
        kill_after: float = 10.0,
        entries: dict | None = None,
    ):
        root = Path(store.root if isinstance(store, Store) else store)
        if force and (root / MARKER).exists():
            live = [j.job_id for j in Registry(Store(root)).all() if not j.terminal]
            if live:
                raise StudyError(
                    f"--force would archive jobs that have not ended ({live}); "
                    "cancel them first (`fly64 status` lists them)"
                )
        self.study = study
        self.store = prepare_store(root, study, force=force)
        self.registry = Registry(self.store)
        self._owns_executor = not isinstance(executor, Executor)
        self.executor = (
            make_executor(
                executor, self.store, workers=workers, scheduler=scheduler, kill_after=kill_after
            )
            if self._owns_executor
            else executor
        )
        self.entries = {**ENTRIES, **(entries or {})}
        self._owner = process_identity()

    # ----------------------------------------------------------------- submitting
    def submit_grid(
        self,
        *,
        doses=(),
        views=(),
        methods=(),
        gridsizes=(),
        compare: bool = True,
        kinds: Sequence[str] = (),
    ) -> list[str]:
        """Submit every cell matching the filters (plus upstream jobs and the comparison).

        kinds : submit only the planned jobs of these kinds (e.g. ``("simulate", "overlap")``
            fills the data pages first); empty: all.
        Returns the ids of the jobs to follow (empty when everything is up to date); an
        empty filter match raises :class:`~fly64.study.settings.model.StudyError`.
        """
        cells = select_cells(
            self.study, doses=doses, views=views, methods=methods, gridsizes=gridsizes
        )
        return self.submit_cells(cells, compare=compare, kinds=kinds)

    def submit_cell(self, cell: Cell, compare: bool = False) -> list[str]:
        """Submit one cell (and what it needs); the ids of the jobs to follow."""
        return self.submit_cells([cell], compare=compare)

    def submit_cells(
        self, cells: Sequence[Cell], compare: bool = False, kinds: Sequence[str] = ()
    ) -> list[str]:
        """Submit cells that are not up to date;
        a job another live process owns is followed, not rerun.

        kinds : submit only the planned jobs of these kinds (see :meth:`submit_grid`); empty: all.

        Every damaged job of the store (see :mod:`~fly64.study.records.registry`) moves to
        ``archive/<timestamp>-damaged/`` first: the damaged cells among ``cells`` are in the
        plan (not up to date); others then read as never run. So do the copies a claimed job
        replaces that do not read as current: a dataset or view that is damaged, of other
        settings or another dose's, and a job directory made with other settings.
        """
        specs = [
            s
            for s in plan_jobs(self.study, self.store, cells, compare=compare, entries=self.entries)
            if not kinds or s.kind in kinds
        ]
        claimed = []
        with store_lock(self.store):
            jobs = {j.job_id: j for j in self.registry.all()}
            damaged = [
                self.store.job_dir(i) for i, j in jobs.items() if j.state == JobState.DAMAGED
            ]
            for spec in specs:
                current = jobs.get(spec.job_id)
                if current is None or current.terminal:
                    claimed.append(spec)
                    damaged += self._stale_copies(spec, current)
            if damaged:
                archive_paths(self.store, list(dict.fromkeys(damaged)), "damaged")
            for spec in claimed:
                prepare_job(self.store, spec, self.study, self._owner)
        for spec in claimed:
            self.executor.submit(spec)
        return [spec.job_id for spec in specs]

    def _stale_copies(self, spec: JobSpec, current: JobStatus | None) -> list[Path]:
        """What the claimed job ``spec`` replaces that is there but not current (it is planned
        only when its output is not): its dataset or view, its directory of other settings."""
        params, out = spec.params, []
        if spec.kind == STAGES["simulate"].job_kind:
            out.append(self.store.dose_path(params["dose"], params["repeat"]))
        elif spec.kind == STAGES["overlap"].job_kind:
            out.append(self.store.view_path(params["dose"], params["view"]))
        if current is not None and current.state != JobState.DAMAGED:
            if current.settings_hash != spec.settings_hash:
                out.append(self.store.job_dir(spec.job_id))
        return [p for p in out if p.exists()]

    # ----------------------------------------------------------------- controlling
    def cancel(self, job_id: str) -> None:
        """Ask one job to stop (queued: never starts; running: stops,
        or is killed after a timeout).
        """
        self.executor.cancel(job_id)

    def cancel_all(self) -> list[str]:
        """Cancel every job of the store that has not ended (whoever submitted it); their ids."""
        ids = [j.job_id for j in self.registry.all() if not j.terminal]
        for job_id in ids:
            self.cancel(job_id)
        return ids

    def wait(self, job_ids: Sequence[str], timeout: float | None = None) -> list[JobStatus]:
        return self.executor.wait(list(job_ids), timeout=timeout)

    def close(self) -> None:
        """Close the executor this runner made (waiting jobs are cancelled, running ones go on);
        an executor passed in is left to its owner."""
        if self._owns_executor:
            self.executor.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ----------------------------------------------------------------- reading
    def jobs(self) -> list[JobStatus]:
        """Every job of the store, in submission order (read from disk on each call)."""
        return self.registry.all()

    def job(self, job_id: str) -> JobStatus | None:
        return self.registry.get(job_id)

    def cells(self) -> list[tuple[Cell, JobStatus | None]]:
        """Every cell of the study with its job's status (None: never submitted)."""
        return [(cell, self.registry.get(cell.job_id)) for cell in iter_cells(self.study)]
