"""Live reconstructions: loss curves, progress and the latest snapshot of several jobs at once.

Each watched job has a :class:`JobMonitor`, which keeps its own change check (the offset
in the job's events, the stamp of its latest snapshot). :meth:`LivePage.collect` (in the
poller's worker thread: file reads only) gathers each monitor's :meth:`JobMonitor.collect`;
:meth:`LivePage.apply` (server loop) hands them to :meth:`JobMonitor.apply`, which streams new
loss rows into a ``Buffer`` and new snapshots into a ``Pipe``: the plots update in place.
"""

from dataclasses import dataclass

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn

from fly64.data.store import RESULT, SNAPSHOT
from fly64.study import (
    JobState,
    JobStatus,
    change_stamp,
    ground_truth,
    health_text,
    load_result,
    load_snapshot,
    read_events,
    split_box,
)

from .common import PHASE_CMAP, eta_text, image, plot

SERIES = {"train": ("train", "validation"), "reconstruct": ("cost",)}
CELL_KINDS = tuple(SERIES)
IMAGE = dict(frame_width=190, frame_height=190)


@dataclass
class Update:
    """What a monitor read from disk since its last tick (built off the server loop)."""

    status: JobStatus
    rows: list  # new loss rows
    arrays: dict | None  # the latest snapshot or result (object, weights) when new
    truth: tuple | None  # (ground truth, crop box) once the dose dataset exists
    reset: bool  # a new attempt of the job started


class JobMonitor(pn.viewable.Viewer):
    """Progress, loss curves and latest amplitude/phase of one train or reconstruct job.

    Images show the test split's box of the object (where the cells reconstruct), so
    they keep one shape from the first frame on.
    """

    def __init__(self, store, status: JobStatus):
        super().__init__()
        self.store, self.job_id, self.kind = store, status.job_id, status.kind
        self.dose = status.cell.dose
        self.job_dir = store.job_dir(status.job_id)
        self.series = SERIES[status.kind]
        self.offset, self.attempt, self.stamp = 0, status.attempt, None
        self.truth = self.box = None
        self.title = pn.pane.Markdown("", margin=(0, 5), css_classes=["job-title"])
        self.progress = pn.indicators.Progress(
            value=0, max=1000, width=300, css_classes=["job-progress"]
        )
        self.error = pn.pane.Alert(
            "",
            alert_type="danger",
            visible=False,
            css_classes=["job-error"],
            sizing_mode="stretch_width",
        )
        self.buffer = hv.streams.Buffer(self._frame([]), length=100_000, index=False)
        self.pipe = hv.streams.Pipe(data=None)
        self.pictures = pn.Column(pn.pane.Markdown("Images appear once the dose is simulated."))
        self.layout = pn.Column(
            pn.Row(self.title, self.progress),
            self.error,
            pn.Row(
                plot(
                    hv.DynamicMap(self._loss_plot, streams=[self.buffer]), css_classes=["loss-plot"]
                ),
                self.pictures,
            ),
            styles={"border": "1px solid #ddd", "border-radius": "6px", "padding": "4px"},
            css_classes=["job-monitor", f"monitor-{status.job_id}"],
            sizing_mode="stretch_width",
        )
        self.shown = None

    def _frame(self, rows) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "epoch": [float(r["epoch"]) for r in rows],
                **{
                    s: [np.nan if r.get(s) is None else float(r[s]) for r in rows]
                    for s in self.series
                },
            },
            columns=["epoch", *self.series],
        )

    def _loss_plot(self, data):
        curves = [
            hv.Curve(data, "epoch", hv.Dimension(s, label="loss"), label=s) for s in self.series
        ]
        return hv.Overlay(curves).opts(
            hv.opts.Curve(logy=True, line_width=2, tools=["hover"]),
            hv.opts.Overlay(
                frame_width=320,
                frame_height=260,
                title="loss",
                legend_position="top_right",
                framewise=True,
            ),
        )

    def _picture(self, part, which):
        rows, cols = self.box

        def show(data):
            if which == "truth":
                crop, label = self.truth[rows, cols], f"ground truth {part}"
            elif data is None:
                crop, label = (
                    np.zeros(self.truth[rows, cols].shape, np.complex64),
                    "no snapshot yet",
                )
            else:
                crop, label = data["object"][rows, cols], f"{which} {part}"
            values = np.abs(crop) if part == "amplitude" else np.angle(crop)
            style = (
                dict(cmap="gray")
                if part == "amplitude"
                else dict(cmap=PHASE_CMAP, clim=(-np.pi, np.pi))
            )
            return image(
                values,
                label,
                origin=(rows.start, cols.start),
                colorbar=True,
                framewise=True,
                **{**IMAGE, **style},
            )

        return show

    # -- off the loop: file reads only
    def collect(self, status: JobStatus) -> Update:
        reset = status.attempt != self.attempt
        events, self.offset = read_events(self.job_dir, 0 if reset else self.offset)
        rows = [e for e in events if e.get("kind") == "loss"]
        truth = None
        if self.truth is None and self.store.dose_path(self.dose).exists():
            truth = (ground_truth(self.store, self.dose), split_box(self.store, self.dose))
        arrays, source = (
            None,
            self.job_dir / (RESULT if status.state == JobState.DONE else SNAPSHOT),
        )
        written = change_stamp(source)
        stamp = None if written is None else (source.name, written)
        if stamp is not None and (stamp != self.stamp or reset):
            if status.state == JobState.DONE:
                arrays = {"object": load_result(self.job_dir).object}
            else:
                arrays = load_snapshot(self.job_dir)
            self.stamp = stamp
        self.attempt = status.attempt
        return Update(status, rows, arrays, truth, reset)

    # -- on the loop: push what changed
    def apply(self, update: Update) -> None:
        s = update.status
        if update.truth is not None:
            self.truth, self.box = update.truth
            images = [
                hv.DynamicMap(self._picture(part, which), streams=[self.pipe])
                for which in ("reconstruction", "truth")
                for part in ("amplitude", "phase")
            ]
            self.pictures.objects = [pn.GridBox(*[plot(i) for i in images], ncols=2)]
        if update.reset:
            self.buffer.clear()
            self.pipe.send(None)
        if update.rows:
            self.buffer.send(self._frame(update.rows))
        if update.arrays is not None and self.truth is not None:
            self.pipe.send(update.arrays)
        shown = (s.state, round(s.progress, 3), s.message, s.eta_s is None, health_text(s.health))
        if shown == self.shown:
            return
        self.shown = shown
        eta = f" · ETA {eta_text(s.eta_s)}" if s.state == JobState.RUNNING and s.eta_s else ""
        health = f" · health: **{health_text(s.health)}**" if s.health else ""
        self.title.object = f"**{s.job_id}** · `{s.state}` · {s.message}{eta}{health}"
        self.progress.value = int(round(1000 * s.progress))
        self.progress.bar_color = {JobState.FAILED: "danger", JobState.DONE: "success"}.get(
            s.state, "primary"
        )
        if s.state == JobState.FAILED:
            self.error.object = (
                f"**{s.message}**\n\n```\n{s.traceback or 'no traceback (see log.txt)'}\n```"
            )
        self.error.visible = s.state == JobState.FAILED

    def __panel__(self):
        return self.layout


class LivePage(pn.viewable.Viewer):
    """Watch several train/reconstruct jobs; new running jobs are added while *follow* is on."""

    def __init__(self, max_follow: int = 4):
        super().__init__()
        self.max_follow = max_follow
        self.store = None
        self.watch = pn.widgets.MultiChoice(label="watched jobs", options=[], width=700)
        self.follow = pn.widgets.Checkbox(label="add running jobs automatically", value=True)
        self.notice = pn.pane.Markdown(
            "No train or reconstruct job yet: run a cell on the Study page."
        )
        self.monitors: dict[str, JobMonitor] = {}
        self.column = pn.Column(sizing_mode="stretch_width")
        self.statuses: dict[str, JobStatus] = {}
        self.started = False
        self.watch.param.watch(self._rearrange, "value")

    def collect(self, store, jobs: list[JobStatus]) -> dict:
        """The store, its jobs and the new events and snapshots of the watched jobs (worker thread;
        each monitor checks itself what is new)."""
        by_id = {j.job_id: j for j in jobs if j.kind in CELL_KINDS}
        updates = {
            job_id: m.collect(by_id[job_id])
            for job_id, m in list(self.monitors.items())
            if job_id in by_id
        }
        return {"store": store, "jobs": jobs, "updates": updates}

    def apply(self, data: dict) -> None:
        """Update the job list and push the collected updates (server loop)."""
        store, jobs, updates = data["store"], data["jobs"], data["updates"]
        self.store = store
        cell_jobs = [j for j in jobs if j.kind in CELL_KINDS]
        self.statuses = {j.job_id: j for j in cell_jobs}
        ids = [j.job_id for j in cell_jobs]
        if ids != self.watch.options:
            self.watch.options = ids
        watched = [j for j in self.watch.value if j in self.statuses]
        if not self.started and cell_jobs:  # a new tab opens on the running (else the latest) jobs
            self.started = True
            running = [j.job_id for j in cell_jobs if j.state == JobState.RUNNING]
            latest = max(cell_jobs, key=lambda j: j.finished or j.submitted or 0).job_id
            watched = running or [latest]
        if self.follow.value:
            for j in cell_jobs:
                if j.state == JobState.RUNNING and j.job_id not in watched:
                    watched.append(j.job_id)
            watched = watched[-self.max_follow :] if len(watched) > self.max_follow else watched
        if watched != list(self.watch.value):
            self.watch.value = watched  # builds/drops monitors via _rearrange
        self.notice.visible = not cell_jobs
        for job_id, update in updates.items():
            if job_id in self.monitors:
                self.monitors[job_id].apply(update)

    def _rearrange(self, event) -> None:
        watched = event.new
        for job_id in list(self.monitors):
            if job_id not in watched:
                del self.monitors[job_id]
        for job_id in watched:
            if job_id not in self.monitors and job_id in self.statuses:
                self.monitors[job_id] = JobMonitor(self.store, self.statuses[job_id])
        self.column.objects = [self.monitors[j] for j in watched if j in self.monitors]

    def __panel__(self):
        return pn.Column(
            pn.Row(self.watch, self.follow),
            self.notice,
            self.column,
            sizing_mode="stretch_width",
            css_classes=["live-page"],
        )
