"""The Study page's tables: the grid of cells with their jobs, the data and comparison jobs,
and the failed jobs' tracebacks, built from the registry's job statuses (server loop)."""

import pandas as pd
import panel as pn

from fly64.study import JobState, JobStatus, Study, health_text, iter_cells

from ..common import eta_text

COLUMNS = [
    "job",
    "dose",
    "view",
    "method",
    "seed",
    "state",
    "progress",
    "ETA",
    "health",
    "run",
    "cancel",
    "message",
]
PIPELINE_COLUMNS = ["job", "kind", "state", "progress", "ETA", "cancel", "message"]
NOT_RUN = "not run"
BUTTON = (
    '<span class="grid-button" style="border: 1px solid #6c757d; border-radius: 4px; '
    'padding: 0 6px; cursor: pointer">{}</span>'
)
FORMATTERS = {
    "progress": {"type": "progress", "min": 0, "max": 100, "legend": True, "color": "#3b7dd8"},
    "run": {"type": "html"},
    "cancel": {"type": "html"},
}
TABLE = dict(
    show_index=False,
    disabled=True,
    layout="fit_data_stretch",
    sizing_mode="stretch_width",
    formatters=FORMATTERS,
    selectable=False,
    pagination=None,
    widths={"message": 420},
)


def _job_fields(status: JobStatus | None, current_hash: str) -> dict:
    """Display values of a job's status (or of a cell never run)."""
    if status is None:
        return {"state": NOT_RUN, "progress": 0, "ETA": "", "health": "", "message": ""}
    state = status.state
    if status.settings_hash and status.settings_hash != current_hash:
        state = f"{state} (other settings)"
    return {
        "state": state,
        "progress": int(round(100 * status.progress)),
        "ETA": eta_text(status.eta_s)
        if status.state in (JobState.QUEUED, JobState.RUNNING)
        else "",
        "health": health_text(status.health),
        "message": status.message,
    }


def _buttons(fields: dict) -> dict:
    """A row's run (or retry) and cancel buttons; a result of other settings can be run anew."""
    state = fields["state"]
    active = state in (JobState.QUEUED, JobState.RUNNING)
    run = {JobState.DONE: "", JobState.FAILED: "retry", JobState.CANCELLED: "retry"}.get(
        state, "" if active else "run"
    )
    return {
        "run": BUTTON.format(run) if run else "",
        "cancel": BUTTON.format("cancel") if active else "",
    }


def grid_frame(study: Study, jobs: dict[str, JobStatus]) -> pd.DataFrame:
    """One row per cell of the study with its job's display values."""
    rows = []
    for cell in iter_cells(study):
        fields = _job_fields(jobs.get(cell.job_id), study.settings_hash(cell.stage))
        rows.append(
            {
                "job": cell.job_id,
                "dose": f"{cell.dose:g}",
                "view": cell.view,
                "method": cell.label,
                "seed": cell.seed,
                **fields,
                **_buttons(fields),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def pipeline_frame(jobs: dict[str, JobStatus]) -> pd.DataFrame:
    """One row per simulate / overlap / compare job of the store."""
    rows = []
    for status in jobs.values():
        if status.cell is None:
            fields = _job_fields(status, status.settings_hash)
            rows.append(
                {
                    "job": status.job_id,
                    "kind": status.kind,
                    **fields,
                    "cancel": _buttons(fields)["cancel"],
                }
            )
    return pd.DataFrame(rows, columns=PIPELINE_COLUMNS)


def job_table(frame: pd.DataFrame, css_class: str) -> pn.widgets.Tabulator:
    """A read-only table of ``frame`` whose run / cancel cells are clickable buttons."""
    return pn.widgets.Tabulator(frame, css_classes=[css_class], **TABLE)


def patch_table(table: pn.widgets.Tabulator, frame: pd.DataFrame) -> None:
    """Send only the cells that changed; replace the whole value when the rows changed."""
    old = table.value
    if list(old["job"]) != list(frame["job"]):
        table.value = frame
        return
    patch = {}
    for column in frame.columns:
        changed = (old[column].astype(str).values != frame[column].astype(str).values).nonzero()[0]
        if len(changed):
            patch[column] = [(int(i), frame[column].iloc[i]) for i in changed]
    if patch:
        table.patch(patch, as_index=False)


def jobs_summary(root, jobs: list[JobStatus]) -> str:
    """One line naming the store and how many of its jobs are in each state."""
    states = pd.Series([j.state for j in jobs]).value_counts().to_dict() if jobs else {}
    return f"Store `{root}` · " + (
        ", ".join(f"{n} {s}" for s, n in states.items()) or "no jobs yet"
    )


def failed_jobs(jobs: list[JobStatus]) -> list[JobStatus]:
    """The failed jobs, newest failure first."""
    return sorted((j for j in jobs if j.state == JobState.FAILED), key=lambda j: -(j.finished or 0))


def failure_cards(failed: list[JobStatus]) -> list[pn.Card]:
    """A card per failed job with its traceback, only the first (newest) one open."""
    return [
        pn.Card(
            pn.pane.Str(
                j.traceback or "no traceback (see the job's log.txt)",
                styles={"font-size": "0.8em"},
            ),
            title=f"{j.job_id} failed: {j.message}"[:300],
            collapsed=i > 0,
            header_color="#b00020",
            css_classes=["failure"],
            sizing_mode="stretch_width",
        )
        for i, j in enumerate(failed)
    ]
