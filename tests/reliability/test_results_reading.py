"""The Results page never says "No comparison yet" while it is still reading one."""

from app.pages.results.page import ResultsPage


def texts(page):
    return " ".join(str(getattr(o, "object", "")) for o in page.body.objects)


def test_the_page_says_it_is_reading_until_its_first_read_ends():
    page = ResultsPage()
    assert "Reading the comparison" in texts(page) and "No comparison yet" not in texts(page)
    page.apply({"store": None, "results": None})  # the read ended: the store has none
    assert "No comparison yet" in texts(page)
