"""Opening the Results page of a store with a comparison: "Reading the comparison…" until the
read ends, never "No comparison yet"; then the first figures, the rest filling in."""

import time

import pytest

from fly64.study.pipeline.compare import compare_study
from fly64.study.settings.cells import Cell
from tests.app.served import READY_MS, Server
from tests.study.test_compare import finish, simulated_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory, chromium):  # chromium first: no server when the browser is missing
    root = tmp_path_factory.mktemp("reading") / "store"
    study, store, truth, weights = simulated_store(root, methods=["pinn", "lsqml"])
    for method in ("pinn", "lsqml"):
        finish(store, Cell(1e3, "dense", method, 1, 0), truth, weights)
    compare_study(study, store)
    server = Server(root, preset="quick", poll_ms=500)
    yield server
    server.stop()


def test_the_results_page_never_says_no_comparison_while_reading_one(served, browser_context):
    page = browser_context.new_page()
    page.goto(served.url, timeout=READY_MS)
    page.locator(".grid-table .tabulator-row").first.wait_for(timeout=READY_MS)
    page.get_by_text("Results", exact=True).first.click()
    clicked, seen = time.monotonic(), set()
    figures = page.locator(".results-page .heatmaps canvas")
    while not figures.count():
        for text in ("No comparison yet", "Reading the comparison"):
            if page.get_by_text(text).count():
                seen.add(text)
        assert time.monotonic() - clicked < READY_MS / 1000, "no figure on the Results page"
        time.sleep(0.05)
    print(f"Results page: first figure {time.monotonic() - clicked:.1f} s after the tab click")
    assert "No comparison yet" not in seen
    page.locator(".results-page .downloads").first.wait_for(
        timeout=READY_MS
    )  # the last sections fill in too
