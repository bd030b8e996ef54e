"""The served dashboard in headless Chromium, offline, on the ``quick`` preset.

One server and one store for the module; the tests run in file order and build on each
other (a bad value starts nothing; then one cell runs through simulate → overlap → train
while a second is cancelled; then a second tab, the comparison, and every page).
Screenshots go to ``artifacts/``.
"""

import io
import re
import time

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from fly64.data.store import Store
from fly64.study.records.registry import Registry
from tests.app.served import ARTIFACTS, READY_MS, Server, stop_jobs

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST, SECOND = "train-d1e3-dense-pinn_gs1-s0", "train-d1e3-dense-pinn_gs2-s0"
PAGES = ("Study", "Diffraction", "Scan & overlap", "Live reconstructions", "Results")


@pytest.fixture(scope="module")
def served(tmp_path_factory, chromium):  # chromium first: no server when the browser is missing
    store = tmp_path_factory.mktemp("app") / "store"
    server = Server(store, preset="quick", poll_ms=500)
    yield server
    stop_jobs(store)
    server.stop()


def open_app(context, server):
    page = context.new_page()
    page.goto(server.url, timeout=READY_MS)
    page.locator(".grid-table .tabulator-row").first.wait_for(timeout=READY_MS)
    return page


def tab(page, name):
    page.get_by_text(name, exact=True).first.click()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_text("Study", exact=True).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"app-{name}.png"), full_page=True)


def pixel_spread(locator) -> float:
    """Standard deviation of an element's rendered pixels (0 for a blank element)."""
    return float(np.asarray(Image.open(io.BytesIO(locator.screenshot())).convert("L"), float).std())


def wait_for(predicate, timeout, what, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def final_states(store, job_ids, timeout=60) -> dict:
    """The registry's states of ``job_ids`` once all have ended."""
    registry = Registry(Store(store))

    def read():
        jobs = [registry.get(j) for j in job_ids]
        return {j.job_id: j.state for j in jobs} if all(j.terminal for j in jobs) else None

    return wait_for(read, timeout, f"{job_ids} to end")


def grid_row(page, job_id):
    return page.locator(".grid-table .tabulator-row", has_text=job_id)


def cell_text(page, job_id, field):
    return grid_row(page, job_id).locator(f'[tabulator-field="{field}"]').inner_text().strip()


def assert_plots_rendered(scope, minimum=1):
    """At least ``minimum`` visible, non-blank canvases in ``scope``
    (Bokeh adds blank helper canvases).
    """
    canvases = scope.locator("canvas")

    def drawn():
        try:
            return [c for c in canvases.all() if c.is_visible() and pixel_spread(c) > 5]
        except PlaywrightError:  # a plot was re-rendered while we looked: look again
            return []

    wait_for(lambda: len(drawn()) >= minimum, 30, f"{minimum} non-blank plot canvases")


def test_invalid_value_shows_its_message_and_starts_nothing(served, browser_context):
    page = open_app(browser_context, served)
    set_field(page, "doses", "1000, -5")
    message = page.locator(".error-doses pre")
    wait_for(lambda: "positive" in message.inner_text(), 15, "the doses message")
    assert "doses" in message.inner_text()
    page.get_by_role("button", name="Run all").click(force=True)
    page.wait_for_timeout(1500)
    shot(page, "invalid-value")
    assert not Store(served.store).jobs_dir.exists() or Registry(Store(served.store)).all() == []
    set_field(page, "doses", "1000, 10000, 100000")
    wait_for(lambda: not message.is_visible(), 15, "the message to clear")


def set_field(page, name, value):
    field = page.locator(f".field-{name} input")
    field.fill(value)
    field.press("Enter")


def test_run_one_cell_live_and_cancel_another(served, browser_context):
    page = open_app(browser_context, served)
    page.get_by_text("PINN training", exact=True).click()
    set_field(page, "epochs", "20")  # the test watches a whole run: long enough to see it train
    page.wait_for_timeout(1000)
    grid_row(page, FIRST).locator('[tabulator-field="run"]').click()
    wait_for(
        lambda: page.locator(".pipeline-table .tabulator-row", has_text="simulate-d1e3").count(),
        60,
        "the simulate job in the pipeline table",
    )
    tab(page, "Live reconstructions")
    monitor = page.locator(f".monitor-{FIRST}")
    progress = monitor.locator("progress")
    wait_for(
        lambda: progress.count() and int(progress.get_attribute("value") or 0) > 0,
        120,
        "training progress",
    )
    first_value = int(progress.get_attribute("value"))
    shot(page, "live-running")
    loss = monitor.locator(
        ".loss-plot"
    ).first  # the pane: which of its canvases Bokeh draws on varies
    first_loss = np.asarray(Image.open(io.BytesIO(loss.screenshot())).convert("L"), float)

    tab(page, "Study")
    grid_row(page, SECOND).locator('[tabulator-field="run"]').click()
    wait_for(lambda: cell_text(page, SECOND, "state") == "running", 60, "the second job to run")
    wait_for(lambda: cell_text(page, SECOND, "cancel"), 10, "its cancel button")
    grid_row(page, SECOND).locator('[tabulator-field="cancel"]').click()
    wait_for(
        lambda: cell_text(page, SECOND, "state") == "cancelled", 60, "the second job cancelled"
    )
    assert cell_text(page, FIRST, "state") in ("running", "done")

    tab(page, "Live reconstructions")
    wait_for(lambda: int(progress.get_attribute("value")) > first_value, 120, "progress to advance")
    state = monitor.locator(".job-title code").first
    wait_for(lambda: state.inner_text() == "done", 180, "the job to finish")

    def loss_changed():  # the browser may draw the last rows a moment after the job ends
        later = np.asarray(Image.open(io.BytesIO(loss.screenshot())).convert("L"), float)
        return later.shape != first_loss.shape or np.abs(later - first_loss).mean() > 0.5

    wait_for(loss_changed, 30, "the loss curve to change while training")
    assert_plots_rendered(monitor, minimum=5)
    shot(page, "live")
    assert final_states(served.store, [FIRST, SECOND]) == {FIRST: "done", SECOND: "cancelled"}


def test_second_tab_sees_the_same_jobs(served, browser_context):
    first, second = open_app(browser_context, served), open_app(browser_context, served)
    for page in (first, second):
        wait_for(lambda p=page: cell_text(p, FIRST, "state") == "done", 15, "done in both tabs")
        assert cell_text(page, SECOND, "state") == "cancelled"
    shot(second, "second-tab")


def choose(page, name, value):
    """Pick ``value`` in a run-filter MultiChoice (by clicking its exact option)."""
    page.locator(f".filter-{name} input[type=search]").click()
    options = page.locator(f".filter-{name} .choices__list--dropdown .choices__item--choice")
    options.filter(has_text=re.compile(f"^{re.escape(value)}$")).first.click()
    page.keyboard.press("Escape")


def test_run_filtered_compares_and_every_page_renders_offline(served, browser_context):
    page = open_app(browser_context, served)
    for name, value in (("doses", "1000"), ("views", "dense"), ("methods", "pinn_gs1")):
        choose(page, name, value)
    page.get_by_role("button", name="Run filtered").click()
    wait_for(
        lambda: page.locator(".pipeline-table .tabulator-row", has_text="compare").count(),
        30,
        "the compare job",
    )
    shot(page, "study")
    tab(page, "Diffraction")
    assert_plots_rendered(page.locator(".diffraction-page"), minimum=3)
    shot(page, "diffraction")
    tab(page, "Scan & overlap")
    assert_plots_rendered(page.locator(".overlap-page"), minimum=2)
    page.locator(".overlap-page").get_by_role("button", name="test").click()
    page.wait_for_timeout(1500)
    assert_plots_rendered(page.locator(".overlap-page"), minimum=2)
    shot(page, "overlap")
    tab(page, "Live reconstructions")
    assert_plots_rendered(page.locator(".live-page"), minimum=5)
    tab(page, "Results")
    results = page.locator(".results-page")
    wait_for(lambda: results.locator(".heatmaps canvas").count(), 120, "the comparison's heatmaps")
    assert_plots_rendered(results, minimum=4)
    assert_plots_rendered(
        results.locator(".quality-time"), minimum=1
    )  # the cell trained above, timed
    timing = results.locator(
        ".timing-table table"
    ).inner_text()  # the table is in the pane's shadow root
    assert "inference s" in timing and "pinn_gs1" in timing and "NaN" not in timing
    shot(page, "results")
    compare = Registry(Store(served.store)).get("compare")
    assert compare.state == "done", compare.message
