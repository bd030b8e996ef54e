"""The dashboard's first page is built without reading or previewing what hidden tabs show."""

import holoviews as hv
import pytest

from app.pages import data_page_base
from app.pages.config import AppConfig
from app.pages.dashboard import Dashboard

hv.extension("bokeh")  # the pages build bokeh plots, as in the app


def test_hidden_data_pages_are_read_when_their_tab_is_opened(tmp_path, monkeypatch):
    def no_preview(study):
        pytest.fail("the set-up preview of a hidden tab was computed while the page was built")

    monkeypatch.setattr(data_page_base, "preview_of", no_preview)
    dashboard = Dashboard(AppConfig(tmp_path / "store", "quick", poll_ms=60_000))
    for page in (dashboard.diffraction, dashboard.overlap):
        assert "Reading the store" in page.body.objects[0].object
