"""The Results page says when its comparison no longer matches the store (no browser needed)."""

from pathlib import Path

import holoviews as hv
import numpy as np
import panel as pn
import pytest
from ptychodus.api.io import load_product
from ptychodus.plugins.cxi_file import CXIDiffractionFileReader

from app.pages.page import UNCHANGED
from app.pages.results import cell_sections, metric_sections
from app.pages.results.page import ResultsPage
from fly64.data.dataset import open_dose_dataset
from fly64.study.pipeline.compare import compare_study
from fly64.study.pipeline.overlap import cut_views
from fly64.study.records.registry import Registry
from fly64.study.settings.cells import Cell
from tests.study.test_compare import finish, simulated_store
from tests.study.test_compare_limits import limited  # noqa: F401  (store with limit and oracle)
from tests.study.test_warm_start import warmed  # noqa: F401  (store with a refinement)

hv.extension("bokeh")  # the page builds bokeh plots, as in the app


def collect(page, store):
    """What the page collects in a poll of ``store`` (the poller reads the jobs for all pages)."""
    return page.collect(store, Registry(store).all())


def test_a_cell_finished_after_the_comparison_shows_a_warning(tmp_path):
    study, store, truth, weights = simulated_store(tmp_path / "store", methods=["pinn", "lsqml"])
    first, later = Cell(1e3, "dense", "pinn", 1, 0), Cell(1e3, "dense", "lsqml", 1, 0)
    finish(store, first, truth, weights)
    compare_study(study, store)
    page = ResultsPage()
    data = collect(page, store)
    assert data["results"].stale == []
    page.apply(data)
    assert not any(
        isinstance(o, pn.pane.Alert) and "out of date" in o.object for o in page.body.objects
    )
    assert collect(page, store) is UNCHANGED  # nothing changed on disk: nothing to apply
    finish(store, later, truth, weights)  # a job's result: no file of the comparison changes
    data = collect(page, store)
    assert data is not UNCHANGED and len(data["results"].stale) == 1
    assert later.job_id in data["results"].stale[0]
    page.apply(data)
    alert = page.body.objects[0]
    assert isinstance(alert, pn.pane.Alert) and alert.alert_type == "warning"
    assert "out of date" in alert.object and later.job_id in alert.object


def test_metric_against_dose_shows_the_spread_over_repeats(tmp_path):
    study, store, truth, weights = simulated_store(
        tmp_path / "store", methods=["lsqml"], repeats=[0, 1]
    )
    rng = np.random.default_rng(0)
    for seed, noise in ((0, 0.05), (1, 0.3)):  # two repeats of one cell, scored differently
        noisy = truth * np.exp(1j * noise * rng.standard_normal(truth.shape))
        finish(store, Cell(1e3, "dense", "lsqml", 1, seed), noisy.astype(np.complex64), weights)
    compare_study(study, store)
    page = ResultsPage()
    data = collect(page, store)["results"]
    row = metric_sections.versus_dose(data.cube, data.limits, "ssim", "phase")
    (overlay,) = [pane.object for pane in row]
    bars = [layer for layer in overlay if isinstance(layer, hv.ErrorBars)]
    assert len(bars) == 1 and float(bars[0].dframe()["std"].iloc[0]) > 0
    scatter = next(layer for layer in overlay if isinstance(layer, hv.Scatter))
    assert scatter.dframe()["n"].tolist() == [2]


def test_differences_show_their_spread_and_the_study_report_downloads(tmp_path):
    study, store, truth, weights = simulated_store(
        tmp_path / "store", methods=["pinn", "lsqml"], gridsizes=[1], repeats=[0, 1]
    )
    rng = np.random.default_rng(0)
    for seed in (0, 1):
        for method, noise in (("pinn", 0.4 + 0.3 * seed), ("lsqml", 0.1)):
            noisy = truth * np.exp(1j * noise * rng.standard_normal(truth.shape))
            finish(store, Cell(1e3, "dense", method, 1, seed), noisy.astype(np.complex64), weights)
    compare_study(study, store)
    page = ResultsPage()
    collected = collect(page, store)
    page.apply(collected)
    data = collected["results"]
    (heat,) = [
        pane.object
        for pane in metric_sections.differences(data.differences, data.cube, "ssim", "phase")
    ]
    frame = heat.dframe()
    assert (
        frame["n"].tolist() == [2]
        and float(frame["std"].iloc[0]) > 0
        and frame["difference"].iloc[0] < 0
    )
    (button,) = [
        w
        for w in page.body.select(pn.widgets.FileDownload)
        if w.filename == "fly64-study-report.html"
    ]
    assert page.exports._path is None  # building the page writes nothing
    report = Path(button.callback())
    text = report.read_text()
    assert text.startswith("<!DOCTYPE html>") and study.settings_hash() in text
    page._rebuild()  # a rebuild keeps the page's one folder
    (again,) = [
        w for w in page.body.select(pn.widgets.FileDownload) if w.filename == button.filename
    ]
    assert Path(again.callback()).parent == report.parent
    page.exports.remove()  # the session's end
    assert not report.parent.exists()


def test_a_dose_and_a_finished_cell_download_in_ptychodus_formats(tmp_path):
    study, store, truth, weights = simulated_store(
        tmp_path / "store", methods=["pinn", "lsqml"], gridsizes=[1]
    )
    cut_views(study, store)
    cell = Cell(1e3, "dense", "lsqml", 1, 0)
    finish(store, cell, truth, weights)
    finish(store, Cell(1e3, "dense", "pinn", 1, 0), truth, weights)
    compare_study(study, store)
    page = ResultsPage()
    page.apply(collect(page, store))
    (product,) = [
        w for w in page.body.select(pn.widgets.FileDownload) if w.label == "export product"
    ]
    (choice,) = [w for w in page.body.select(pn.widgets.Select) if w.name.startswith("cell")]
    choice.value = cell
    assert product.filename == f"{cell.job_id}.h5"
    assert np.abs(load_product(product.callback()).object_.get_layer(0) - truth).max() <= 1e-6
    (dose,) = [w for w in page.body.select(pn.widgets.FileDownload) if w.label == "export dose"]
    (fmt,) = [w for w in page.body.select(pn.widgets.Select) if w.name == "format"]
    fmt.value = "CXI"
    assert dose.filename == "fly64-dose-1e3.cxi"
    diffraction = CXIDiffractionFileReader().read(Path(dose.callback()))
    assert sum(diffraction.get_metadata().num_patterns_per_array) == store_patterns(store)


def store_patterns(store) -> int:
    return open_dose_dataset(store.dose_path(1e3)).sizes["pattern"]


def test_the_shot_noise_bound_fluence_and_oracle_are_shown(limited):  # noqa: F811
    store, cube, limit = limited
    page = ResultsPage()
    collected = collect(page, store)
    page.apply(collected)  # the whole page builds
    data = collected["results"]
    (overlay,) = [
        p.object
        for p in metric_sections.versus_dose(data.cube, data.limits, "correlation", "phase")
    ]
    (bound,) = [layer for layer in overlay if layer.label == "shot-noise bound, dense"]
    assert bound.dframe()["correlation"].tolist() == pytest.approx([limit.correlation_bound])
    for metric, part in (("ssim", "phase"), ("correlation", "amplitude")):  # no bound there
        (overlay,) = [
            p.object for p in metric_sections.versus_dose(data.cube, data.limits, metric, part)
        ]
        assert not any(layer.label.startswith("shot-noise") for layer in overlay)
    fluence = metric_sections.versus_fluence(data.cube, data.limits, "correlation", "phase").object
    points = [layer for layer in fluence if isinstance(layer, hv.Scatter)]
    xs = [x for p in points for x in p.dframe()["photons_per_pixel"]]
    assert xs == pytest.approx([limit.fluence] * 4)  # pinn_gs1, lsqml, epie, best_iterative
    cells, _, choices = cell_sections.against_limit(data.against_limit, data.choices)
    shown = cells.object.set_index("method")
    assert shown.loc["lsqml", "oracle (best snapshot)"] == pytest.approx(1.0, abs=1e-3)
    assert shown.loc["epie", "measured ÷ bound (RMSE)"] > 1
    assert choices.object["chosen"].tolist() == ["epie"]


def test_what_the_pinn_start_buys_is_shown_from_the_comparison_files(warmed):  # noqa: F811
    _, store, _ = warmed
    page = ResultsPage()
    collected = collect(page, store)
    page.apply(collected)
    (table,) = [p for p in page.body.select(pn.pane.DataFrame) if "warm-start" in p.css_classes]
    assert table.object["epochs_to_flat"].tolist() == [2]
    (figure,) = [p for p in page.body.select(pn.pane.PNG) if "warm_start" in str(p.object)]
    reading = " ".join(
        str(p.object) for p in page.body.select(pn.pane.Markdown) if "reached" in str(p.object)
    )
    assert "pinn_gs1+lsqml reached the flat-start lsqml's phase correlation in 1 of 1" in reading
    names = {w.filename for w in page.body.select(pn.widgets.FileDownload)}
    assert {"warm_start.csv", "warm_start.png"} <= names


def test_a_study_without_refinements_has_no_warm_start_section(limited):  # noqa: F811
    store, *_ = limited
    page = ResultsPage()
    page.apply(collect(page, store))
    assert not any("warm-start" in p.css_classes for p in page.body.select(pn.pane.DataFrame))
    assert not (store.results_dir / "warm_start.csv").exists()
