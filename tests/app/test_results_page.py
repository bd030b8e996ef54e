"""The Results page says when its comparison no longer matches the store (no browser needed)."""

import holoviews as hv
import numpy as np
import panel as pn

from app.pages.results_page import ResultsPage
from fly64.data.dataset import open_dose_dataset
from fly64.overlap.metrics import coverage_map
from fly64.study import Study
from fly64.study.cells import Cell
from fly64.study.compare import compare_study
from fly64.study.simulate import simulate_study
from fly64.study.workspace import prepare_store
from tests.study.test_compare import finish

hv.extension("bokeh")  # the page builds bokeh plots, as in the app


def test_a_cell_finished_after_the_comparison_shows_a_warning(tmp_path):
    study = Study.preset("quick", doses=[1e3], object_size=96, views={"dense": 0.7}, methods=["pinn", "lsqml"])
    store = prepare_store(tmp_path / "store", study)
    simulate_study(study, store)
    ds = open_dose_dataset(store.dose_path(1e3))
    truth, probe = ds["object"].values, ds["probe"].values
    positions = np.array([(y, x) for y in range(40, 60, 6) for x in range(20, 76, 6)])
    weights = coverage_map(positions, np.abs(probe) ** 2, truth.shape).astype(np.float32)
    first, later = Cell(1e3, "dense", "pinn", 1, 0), Cell(1e3, "dense", "lsqml", 1, 0)
    finish(store, first, truth, weights)
    compare_study(study, store)
    page = ResultsPage()
    data = page.collect(store)
    assert data.stale == []
    page.apply(store, data)
    assert not any(isinstance(o, pn.pane.Alert) and "out of date" in o.object for o in page.body.objects)
    finish(store, later, truth, weights)
    data = page.collect(store)
    assert len(data.stale) == 1 and later.job_id in data.stale[0]
    page.apply(store, data)
    alert = page.body.objects[0]
    assert isinstance(alert, pn.pane.Alert) and alert.alert_type == "warning"
    assert "out of date" in alert.object and later.job_id in alert.object


def test_metric_against_dose_shows_the_spread_over_repeats(tmp_path):
    study = Study.preset("quick", doses=[1e3], object_size=96, views={"dense": 0.7}, methods=["lsqml"],
                         repeats=[0, 1])
    store = prepare_store(tmp_path / "store", study)
    simulate_study(study, store)  # both repeats
    ds = open_dose_dataset(store.dose_path(1e3))
    truth, probe = ds["object"].values, ds["probe"].values
    positions = np.array([(y, x) for y in range(40, 60, 6) for x in range(20, 76, 6)])
    weights = coverage_map(positions, np.abs(probe) ** 2, truth.shape).astype(np.float32)
    rng = np.random.default_rng(0)
    for seed, noise in ((0, 0.05), (1, 0.3)):  # two repeats of one cell, scored differently
        noisy = truth * np.exp(1j * noise * rng.standard_normal(truth.shape))
        finish(store, Cell(1e3, "dense", "lsqml", 1, seed), noisy.astype(np.complex64), weights)
    compare_study(study, store)
    page = ResultsPage()
    data = page.collect(store)
    row = page._versus_dose(data.cube, "ssim", "phase")
    (overlay,) = [pane.object for pane in row]
    bars = [layer for layer in overlay if isinstance(layer, hv.ErrorBars)]
    assert len(bars) == 1 and float(bars[0].dframe()["std"].iloc[0]) > 0
    scatter = next(layer for layer in overlay if isinstance(layer, hv.Scatter))
    assert scatter.dframe()["n"].tolist() == [2]
