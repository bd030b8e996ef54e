"""The study report opens offline in headless Chromium: every figure renders, nothing is fetched."""

from fly64.study.display.html_report import write_study_report
from tests.study.test_html_report import compared  # noqa: F401 - the module-scoped store fixture


def test_the_report_renders_offline_with_every_figure(chromium, compared, tmp_path):  # noqa: F811
    path = write_study_report(*compared, tmp_path / "study.html")
    context = chromium.new_context(viewport={"width": 1300, "height": 1000}, offline=True)
    requests, failed = [], []
    context.on("request", lambda r: requests.append(r.url))
    context.on("requestfailed", lambda r: failed.append(f"{r.url}: {r.failure}"))
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        images = page.evaluate(
            "[...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0])"
        )
        headings = page.locator("h2").all_inner_texts()
    finally:
        context.close()
    assert headings == ["Results", "Grid", "Probe and object", "Settings"]
    assert len(images) >= 6 and all(ok for _, ok in images), images
    assert [u for u in requests if not u.startswith("data:")] == [path.as_uri()]
    assert not failed
