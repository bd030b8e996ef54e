"""Study page: settings, the grid of cells with their jobs, and the run / cancel controls.

Beside "Run all" the page shows its estimated wall time
(:func:`fly64.study.estimate_run`), recomputed in a worker thread when the
settings or the finished jobs change; on a store without simulated data, "Simulate and cut views"
submits only the simulate and overlap jobs.
"""

import asyncio
from collections.abc import Callable
from pathlib import Path

import panel as pn

from fly64.data import Store, StoreError
from fly64.study import (
    JobState,
    JobStatus,
    RunEstimate,
    Study,
    StudyError,
    StudyRunner,
    estimate_run,
    iter_cells,
)

from ..common import eta_text
from ..page import UNCHANGED, Collected
from ..preview_panel import PreviewPanel
from . import actions
from .form import ERROR_STYLE, StudyForm
from .tables import (
    failed_jobs,
    failure_cards,
    grid_frame,
    job_table,
    jobs_summary,
    patch_table,
    pipeline_frame,
)

DATA_KINDS = ("simulate", "overlap")
ESTIMATE_POLL_MS = 500


def estimate_text(estimate: RunEstimate) -> str:
    """One line saying how long "Run all" would take and where the figure comes from."""
    if not estimate.jobs:
        return "**Run all**: nothing to run, every job is done with these settings"
    source = (
        f"measured from this store's finished {', '.join(estimate.measured)} jobs, "
        "the rest modelled"
        if estimate.measured
        else "modelled from the development machine's timings"
    )
    return (
        f"**Run all**: about {eta_text(estimate.seconds)} (min:s) for {estimate.jobs} jobs, "
        f"{estimate.workers} at a time ({source})"
    )


def estimate_key(study: Study, jobs: dict[str, JobStatus]) -> tuple:
    """What the estimate depends on: every setting and the store's finished jobs."""
    return study.settings_hash(), tuple(
        sorted((j.job_id, j.settings_hash) for j in jobs.values() if j.state == JobState.DONE)
    )


class StudyPage(pn.viewable.Viewer):
    """The study's settings and its grid, kept current with the jobs
    (a :class:`~app.pages.page.Page`)."""

    def __init__(self, root, study: Study, jobs: list[JobStatus]):
        super().__init__()
        self.root = root
        self.form = StudyForm(study)
        self.preview = PreviewPanel(self.form)
        self.jobs = {j.job_id: j for j in jobs}
        self._collected = list(jobs)  # the jobs last collected (worker thread)
        self._build_tables(study)
        self._build_controls()
        self.estimate = pn.pane.Markdown("estimating the run time …", css_classes=["run-estimate"])
        self._estimated = None  # estimate_key of the estimate shown
        self._estimating = False
        self.feedback = pn.pane.Str(
            "", visible=False, styles=ERROR_STYLE, css_classes=["run-feedback"]
        )
        self.form.param.watch(self._study_changed, ["study", "error"])
        self._study_changed()
        pn.state.onload(
            lambda: pn.state.add_periodic_callback(self.update_estimate, period=ESTIMATE_POLL_MS)
        )

    def _build_tables(self, study: Study) -> None:
        """The grid and pipeline tables (clickable), the jobs' summary and the failures."""
        # built with the jobs' states: a patch sent before the table is rendered would be lost
        self.grid = job_table(grid_frame(study, self.jobs), "grid-table")
        self.pipeline = job_table(pipeline_frame(self.jobs), "pipeline-table")
        self.grid.on_click(self._grid_click)
        self.pipeline.on_click(self._pipeline_click)
        self.summary = pn.pane.Markdown("", css_classes=["grid-summary"])
        self.failures = pn.Column(sizing_mode="stretch_width", css_classes=["failures"])
        self._failure_ids: tuple = ()

    def _build_controls(self) -> None:
        """The run filters, the --force checkbox and the run / cancel buttons."""
        self.filters = {
            name: pn.widgets.MultiChoice(
                label=f"run filter: {name}", width=240, css_classes=[f"filter-{name}"]
            )
            for name in ("doses", "views", "methods")
        }
        self.force = pn.widgets.Checkbox(
            label="archive results of other settings (--force)", value=False
        )
        self.run_all = pn.widgets.Button(label="Run all", color="primary", css_classes=["run-all"])
        self.run_filtered = pn.widgets.Button(label="Run filtered", css_classes=["run-filtered"])
        self.cancel_all = pn.widgets.Button(
            label="Cancel all", color="danger", css_classes=["cancel-all"]
        )
        self.simulate_views = pn.widgets.Button(
            label="Simulate and cut views", css_classes=["simulate-views"]
        )
        self.run_all.on_click(self._run_all)
        self.run_filtered.on_click(self._run_filtered)
        self.cancel_all.on_click(self._cancel_all)
        self.simulate_views.on_click(self._simulate_views)

    # -- reactions
    def _study_changed(self, *_):
        study = self.form.study
        for name, widget in self.filters.items():
            options = (
                [f"{d:g}" for d in study.doses]
                if name == "doses"
                else list(study.views)
                if name == "views"
                else sorted({c.label for c in iter_cells(study)})
            )
            widget.value = [v for v in widget.value if v in options]
            widget.options = options
        blocked = bool(self.form.error)
        for button in (self.run_all, self.run_filtered, self.simulate_views):
            button.disabled = blocked
        self._refresh_grid()
        self._show_simulate_button()

    def _show_simulate_button(self):
        """Offer "Simulate and cut views" while the store holds no dose
        simulated with these settings.
        """
        current = self.form.study.settings_hash("simulate")
        self.simulate_views.visible = not any(
            j.kind == "simulate" and j.state == JobState.DONE and j.settings_hash == current
            for j in self.jobs.values()
        )

    async def update_estimate(self):
        """Recompute the "Run all" estimate in a worker thread when its inputs changed."""
        study, key = self.form.study, estimate_key(self.form.study, self.jobs)
        if self._estimating or self.form.error or key == self._estimated:
            return
        self._estimating = True
        try:
            estimate = await asyncio.to_thread(estimate_run, study, Store(Path(self.root)))
            self.estimate.object = estimate_text(estimate)
        except StudyError as exc:
            self.estimate.object = f"**Run all**: no estimate ({exc})"
        finally:
            self._estimated, self._estimating = key, False

    def _refresh_grid(self):
        patch_table(self.grid, grid_frame(self.form.study, self.jobs))

    def collect(self, store, jobs: list[JobStatus]) -> list[JobStatus] | Collected:
        """The store's jobs, or :data:`~.page.UNCHANGED` when none changed since the last poll."""
        if jobs == self._collected:
            return UNCHANGED
        self._collected = jobs
        return jobs

    def apply(self, jobs: list[JobStatus]) -> None:
        """Show the registry's jobs (server loop; patches only what changed)."""
        self.jobs = {j.job_id: j for j in jobs}
        self._refresh_grid()
        self._show_simulate_button()
        patch_table(self.pipeline, pipeline_frame(self.jobs))
        self.summary.object = jobs_summary(self.root, jobs)
        failed = failed_jobs(jobs)
        ids = tuple((j.job_id, j.attempt) for j in failed)
        if ids != self._failure_ids:  # newest failure first, its traceback open
            self._failure_ids = ids
            self.failures.objects = failure_cards(failed)

    def _say(self, message: str) -> None:
        self.feedback.object, self.feedback.visible = message, bool(message)

    # -- actions (blocking work off the server loop)
    async def _submit(self, submit: Callable[[StudyRunner], list[str]]):
        """Submit through a runner of the form's study: ``submit(runner)`` returns the job ids."""
        if self.form.error:
            self._say(f"not started: {self.form.error}")
            return
        self._say("")
        study, force = self.form.study, self.force.value
        try:
            ids = await actions.off_loop(lambda: submit(actions.runner(self.root, study, force)))
        except (StudyError, StoreError) as exc:
            self._say(f"not started: {exc}")
            return
        self._say("" if ids else "nothing to run: those cells are up to date")

    async def _run_all(self, _):
        await self._submit(lambda runner: runner.submit_grid())

    async def _simulate_views(self, _):
        await self._submit(lambda runner: runner.submit_grid(compare=False, kinds=DATA_KINDS))

    async def _run_filtered(self, _):
        f = {k: w.value for k, w in self.filters.items()}
        doses = [float(d) for d in f["doses"]]
        await self._submit(
            lambda runner: runner.submit_grid(doses=doses, views=f["views"], methods=f["methods"])
        )

    async def _cancel(self, job_ids):
        try:
            await actions.off_loop(actions.cancel, self.root, job_ids)
        except (StudyError, StoreError) as exc:
            self._say(f"cannot cancel: {exc}")

    async def _cancel_all(self, _):
        await self._cancel(None)

    async def _grid_click(self, event):
        row = self.grid.value.iloc[event.row]
        if event.column == "run" and row["run"]:
            cell = next(c for c in iter_cells(self.form.study) if c.job_id == row["job"])
            await self._submit(lambda runner: runner.submit_cell(cell))
        elif event.column == "cancel" and row["cancel"]:
            await self._cancel([row["job"]])

    async def _pipeline_click(self, event):
        row = self.pipeline.value.iloc[event.row]
        if event.column == "cancel" and row["cancel"]:
            await self._cancel([row["job"]])

    def __panel__(self):
        return pn.Column(
            pn.Row(self.form, self.preview, sizing_mode="stretch_width"),
            pn.pane.Markdown("### Grid"),
            pn.Row(*self.filters.values()),
            pn.Row(
                self.run_all, self.run_filtered, self.simulate_views, self.cancel_all, self.force
            ),
            self.estimate,
            self.feedback,
            self.summary,
            self.grid,
            pn.pane.Markdown("### Data and comparison jobs"),
            self.pipeline,
            self.failures,
            sizing_mode="stretch_width",
        )
