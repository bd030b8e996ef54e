"""The evaluate stage's shot-noise limit, oracle and stop per cell, and ``best_iterative``
chosen by the baselines' selection scores (never by the truth)."""

import io
import re

import numpy as np
import pandas as pd
import pytest

from fly64.data.dataset import open_dose_dataset
from fly64.data.store import BEST_TABLE
from fly64.data.views import load_view
from fly64.metrics import evaluation_mask, shot_noise_limit
from fly64.overlap.metrics import coverage_map
from fly64.study import Study
from fly64.study.cli.main import main
from fly64.study.display.html_report import study_report
from fly64.study.execution.workspace import load_store_study, prepare_store
from fly64.study.pipeline.compare import compare_study
from fly64.study.pipeline.overlap import cut_views
from fly64.study.pipeline.simulate import simulate_study
from fly64.study.records.cell_result import CellResult, save_result
from fly64.study.records.cube import BEST_ITERATIVE, load_cube
from fly64.study.records.cube_tables import (
    best_iterative_choices,
    differences,
    phase_against_limit,
    shot_noise_limits,
)
from fly64.study.settings.cells import Cell
from tests.study.test_compare import job_files

NEW_ROWS = {"correlation_bound", "rmse_bound", "fluence", "oracle_correlation", "stop_epoch"}


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    """One dose and view, a PINN cell and two baselines: lsqml is closer to the truth but
    scores worse on its selection score than epie; lsqml kept snapshots (one is the truth)."""
    study = Study.preset(
        "quick",
        doses=[1e3],
        object_size=96,
        views={"dense": 0.7},
        methods=["pinn", "lsqml", "epie"],
    )
    store = prepare_store(tmp_path_factory.mktemp("limits") / "store", study)
    simulate_study(study, store)
    cut_views(study, store)
    ds = open_dose_dataset(store.dose_path(1e3))
    truth, probe = ds["object"].values, ds["probe"].values
    test = ds["positions"].values[load_view(store.view_path(1e3, "dense")).indices["test"]]
    weights = coverage_map(test, np.abs(probe) ** 2, truth.shape).astype(np.float32)
    rng = np.random.default_rng(1)

    def noisy(sigma):
        return (truth * np.exp(1j * sigma * rng.standard_normal(truth.shape))).astype(np.complex64)

    cells = {
        "pinn_gs1": (Cell(1e3, "dense", "pinn", 1, 0), noisy(0.3), {}, []),
        "lsqml": (
            Cell(1e3, "dense", "lsqml", 1, 0),
            noisy(0.1),
            {"stop_epoch": 17, "stop_rule": "heldout", "selection_score": 2.0},
            [(5, noisy(1.0)), (10, truth.astype(np.complex64)), (15, noisy(0.5))],
        ),
        "epie": (
            Cell(1e3, "dense", "epie", 1, 0),
            noisy(0.4),
            {"stop_epoch": 9, "stop_rule": "heldout", "selection_score": 1.0},
            [],
        ),
    }
    for cell, obj, info, snapshots in cells.values():
        save_result(
            job_files(store, cell), CellResult(obj, weights, info=info, snapshots=snapshots)
        )
    compare_study(study, store)
    limit = shot_noise_limit(
        truth, weights, evaluation_mask(weights, unit=np.abs(probe).max() ** 2)
    )
    return store, load_cube(store), limit


def phase(cube, method, metric):
    at = {"dose": 1e3, "view": "dense", "method": method, "seed": 0, "part": "phase"}
    return float(cube.loc[at | {"metric": metric}])


def test_every_cell_carries_the_limit_and_iterative_cells_their_oracle_and_stop(limited):
    store, cube, limit = limited
    for method in ("pinn_gs1", "lsqml", "epie"):
        assert phase(cube, method, "fluence") == pytest.approx(limit.fluence)
        assert phase(cube, method, "correlation_bound") == pytest.approx(limit.correlation_bound)
        assert phase(cube, method, "rmse_ratio") == pytest.approx(
            phase(cube, method, "rmse") / limit.rmse_bound
        )
    assert 0 < limit.correlation_bound < 1 and limit.fluence > 0
    assert phase(cube, "lsqml", "oracle_correlation") == pytest.approx(1.0, abs=1e-3)  # the truth
    assert phase(cube, "lsqml", "oracle_correlation") > phase(cube, "lsqml", "correlation")
    assert np.isnan(phase(cube, "epie", "oracle_correlation"))  # no snapshots kept
    assert np.isnan(phase(cube, "pinn_gs1", "oracle_correlation"))
    assert (phase(cube, "lsqml", "stop_epoch"), phase(cube, "epie", "stop_epoch")) == (17, 9)
    amplitude = cube.sel(part="amplitude", metric=["fluence", "correlation_bound", "stop_epoch"])
    assert bool(amplitude.isnull().all())
    table = pd.read_csv(store.results_dir / "metrics.csv")
    rows = table[table["metric"].isin(NEW_ROWS)]
    assert set(rows["metric"]) == NEW_ROWS and set(rows["part"]) == {"phase", "amplitude"}
    (bounds,) = shot_noise_limits(cube).itertuples()
    assert bounds.correlation_bound == pytest.approx(limit.correlation_bound)
    beside = phase_against_limit(cube)
    assert beside.loc[beside["method"] == "lsqml", "stop_epoch"].item() == 17


def test_best_iterative_is_the_lowest_selection_score_not_the_truth(limited, capsys):
    store, cube, _ = limited
    assert phase(cube, "lsqml", "correlation") > phase(cube, "epie", "correlation")  # truth: lsqml
    (choice,) = best_iterative_choices(cube).to_dict("records")
    assert choice["chosen"] == "epie"
    assert (choice["selection_score_lsqml"], choice["selection_score_epie"]) == (2.0, 1.0)
    best = cube.sel({"method": BEST_ITERATIVE}).reset_coords(drop=True)
    np.testing.assert_array_equal(best.values, cube.sel({"method": "epie"}).values)
    written = pd.read_csv(store.results_dir / BEST_TABLE)
    assert written["chosen"].tolist() == ["epie"]
    assert BEST_ITERATIVE in set(differences(cube)["baseline"])
    assert main(["report", "--store", str(store.root), "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    rows = table[(table["method"] == BEST_ITERATIVE) & (table["part"] == "phase")]
    assert set(NEW_ROWS) <= set(rows["metric"])
    assert main(["report", "--store", str(store.root)]) == 0
    choices = capsys.readouterr().out.split("best_iterative: the baseline")[1]
    assert "epie" in choices.splitlines()[2]


def test_the_report_shows_the_limit_the_oracle_and_the_best_iterative_choice(limited):
    store, *_ = limited
    text = study_report(load_store_study(store.root)[1], store)
    assert "Shot-noise limit per dose and view" in text and "unbiased estimator" in text
    assert "best_iterative: the baseline of the lowest selection score" in text
    metrics = text.split('class="dataframe metrics"')[1].split("</table>")[0]
    for name in ("oracle_correlation", "rmse_ratio", "stop_epoch"):
        assert f"<td>{name}</td>" in metrics
    assert "<td>best_iterative</td>" in metrics and "<td>17 (1)</td>" in metrics  # lsqml's stop
    limits = text.split('class="dataframe limits"')[1].split("</table>")[0]
    assert "photons per object pixel (median)" in limits and "<th>correlation_bound</th>" in limits
    assert {"phase_vs_fluence", "phase_vs_dose"} <= set(re.findall(r'<img alt="([^"]+)"', text))
