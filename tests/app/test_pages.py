"""The dashboard's pages share one interface: collect off the loop, apply on it (no browser)."""

import holoviews as hv

from app.pages.config import AppConfig
from app.pages.dashboard import Dashboard
from app.pages.page import UNCHANGED, Page
from fly64.study.execution.workspace import prepare_store
from fly64.study.records.jobs import JobSpec, prepare_job
from fly64.study.records.liveness import process_identity
from tests.app.test_actions import STUDY, run

hv.extension("bokeh")  # the pages build bokeh plots, as in the app


def show(dashboard, page) -> None:
    """Open ``page``'s tab and poll (outside a server the tab's own poll may not run at once)."""
    dashboard.tabs.active = dashboard.pages.index(page)
    run(dashboard._tick())


def test_a_poll_collects_the_grid_and_the_shown_page_and_applies_only_what_changed(tmp_path):
    dashboard = Dashboard(AppConfig(tmp_path / "store", "quick", poll_ms=60_000))  # no store yet
    grid, diffraction, results = dashboard.study_page, dashboard.diffraction, dashboard.results
    assert all(isinstance(page, Page) for page in dashboard.pages)
    assert dashboard.polled() == [grid]
    store = prepare_store(tmp_path / "store", STUDY)
    show(dashboard, diffraction)
    assert dashboard.store == store and diffraction.store == store
    assert f"--store {store.root}" in diffraction.body.objects[0].object  # what is missing, where
    assert dashboard.polled() == [grid, diffraction]
    assert [data for _, data in dashboard.collect(dashboard.polled())] == [UNCHANGED, UNCHANGED]
    live = JobSpec("live", "sleep", "tests.study.jobkinds:sleep_job")
    prepare_job(store, live, STUDY, process_identity())
    (page, jobs), (_, data) = dashboard.collect(dashboard.polled())
    assert page is grid and [j.job_id for j in jobs] == ["live"] and data is UNCHANGED
    grid.apply(jobs)
    assert "1 queued" in grid.summary.object
    show(dashboard, results)
    assert results.store == store and "No comparison yet" in results.body.objects[0].object
