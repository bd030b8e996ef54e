"""The set-up preview beside the Study form, in headless Chromium, offline, on an empty store.

One server for the module; its store is never created: the preview starts no job and writes
nothing. Screenshots go to ``artifacts/``.
"""

import time

import pytest

from tests.app.served import ARTIFACTS, READY_MS, READY_S, Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UPDATE_S = 2.0  # the bar: the preview's numbers follow a change within 2 s
FIGURES_S = 6.0  # its figures (ten bokeh plots redrawn on two shared cores) within this
FIGURES = 2 + 3 + 3 + 2  # probe, object, a pattern per dose, a scan per view (quick preset)


@pytest.fixture(scope="module")
def served(tmp_path_factory, chromium):  # chromium first: no server when the browser is missing
    store = tmp_path_factory.mktemp("preview") / "store"
    server = Server(store, preset="quick", poll_ms=500)
    yield server
    server.stop()


@pytest.fixture
def page(served, browser_context):
    """The app with its first preview drawn (the browser is idle again before a test measures)."""
    page = browser_context.new_page()
    page.goto(served.url, timeout=READY_MS)
    page.locator(".preview-views table").wait_for(timeout=READY_MS)
    deadline = time.monotonic() + READY_S
    while page.locator(".preview-figures canvas").count() < FIGURES and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    return page


def changed_within(locator, before: str, seconds: float) -> str:
    """The locator's new text once it differs from ``before`` (AssertionError after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if text != before:
            return text
        time.sleep(0.05)
    raise AssertionError(f"no change within {seconds} s of {before!r}")


def enter(page, field: str, value: str) -> None:
    box = page.locator(f".field-{field} input")
    box.fill(value)
    box.press("Enter")


def assert_nothing_written(server) -> None:
    assert not server.store.exists() or not any(server.store.rglob("*")), list(
        server.store.rglob("*")
    )


def test_the_pupil_and_a_view_s_overlap_update_the_preview_within_2_s(served, page):
    scene, views = (
        page.locator(".preview-scene table"),
        page.locator(".preview-views table"),
    )  # in shadow roots
    assert "D₉₀" in scene.inner_text() and "dense" in views.inner_text()
    page.get_by_text("Simulate", exact=True).click()
    before = scene.inner_text(), views.inner_text()
    figures = page.locator(".preview-figures")
    drawn = figures.screenshot()
    enter(page, "probe_pupil_radius", "6")  # a smaller pupil: a wider beam, larger D and S
    assert changed_within(scene, before[0], UPDATE_S) != before[0]
    assert changed_within(views, before[1], UPDATE_S) != before[1]
    deadline = time.monotonic() + FIGURES_S
    while figures.screenshot() == drawn:
        assert time.monotonic() < deadline, f"the figures did not change within {FIGURES_S} s"
        time.sleep(0.2)
    time.sleep(1.5)  # the browser finishes drawing before the next change is timed
    before = views.inner_text()
    enter(page, "views", "dense=0.5, sparse=0.2")
    assert "0.5" in changed_within(views, before, UPDATE_S)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-preview.png"), full_page=True)
    assert_nothing_written(served)
    states = page.locator('.grid-table .tabulator-row [tabulator-field="state"]').all_inner_texts()
    assert states and set(states) == {"not run"}  # no job started


def test_a_dense_view_at_f_0_3_warns_no_ptychographic_overlap_until_fixed(served, page):
    warning, views = page.locator(".warning-views pre"), page.locator(".preview-views table")
    assert not warning.is_visible()
    before = views.inner_text()
    enter(page, "views", "dense=0.3, sparse=0.2")
    warning.wait_for(state="visible", timeout=5_000)
    assert "no ptychographic overlap" in warning.inner_text()
    assert "0.3" in changed_within(views, before, UPDATE_S)
    enter(page, "views", "dense=0.7, sparse=0.2")
    warning.wait_for(state="hidden", timeout=5_000)
    assert_nothing_written(served)


def test_empty_store_previews_the_data_pages_estimates_run_all_and_simulates_only_the_data(
    served, page
):
    """Last in the module: its button writes the store."""
    estimate = page.locator(".run-estimate p")  # in the pane's shadow root
    deadline = time.monotonic() + 10
    while "about" not in estimate.inner_text():
        assert time.monotonic() < deadline, estimate.inner_text()
        time.sleep(0.2)
    assert "for 46 jobs" in estimate.inner_text()
    for name, css, figures in (
        ("Diffraction", ".diffraction-page", 2 + 3 + 3),
        ("Scan & overlap", ".overlap-page", 2),
    ):
        page.get_by_text(name, exact=True).first.click()
        body = page.locator(css)
        body.get_by_text("yet.").first.wait_for(timeout=5_000)  # the notice says what is missing
        deadline = time.monotonic() + 20
        while body.locator(".page-preview canvas").count() < figures:
            assert time.monotonic() < deadline, f"{name}: the preview figures were not drawn"
            time.sleep(0.2)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"app-preview-{css[1:]}.png"), full_page=True)
    page.get_by_text("Study", exact=True).first.click()
    assert_nothing_written(served)
    page.get_by_role("button", name="Simulate and cut views").click()
    rows = page.locator(".pipeline-table .tabulator-row")
    deadline = time.monotonic() + 60
    while (
        rows.filter(has_text="done").count() < 3 + 6
    ):  # a simulate job per dose, an overlap job per view
        assert time.monotonic() < deadline, rows.all_inner_texts()
        time.sleep(0.5)
    assert rows.count() == 9 and not rows.filter(has_text="compare").count()
    states = page.locator('.grid-table .tabulator-row [tabulator-field="state"]').all_inner_texts()
    assert set(states) == {"not run"}  # no cell started
    page.locator(".simulate-views").wait_for(state="hidden", timeout=5_000)
    page.get_by_text("Diffraction", exact=True).first.click()
    page.locator(".diffraction-page .object-table").wait_for(
        timeout=30_000
    )  # the data replaced the preview
