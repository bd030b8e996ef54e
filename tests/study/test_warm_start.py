"""Refinement cells in the comparison: their labels, their absence from PINN − baseline, and
what the PINN's start buys against the flat-start solver (``warm_start.csv``, figure, report)."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from fly64.data.store import WARM_TABLE
from fly64.study import Study
from fly64.study.display.html_report import study_report
from fly64.study.display.result_summary import result_files
from fly64.study.pipeline.compare import compare_study
from fly64.study.pipeline.warm_start import WARM_COLUMNS, warm_start_reading
from fly64.study.records.cell_result import CellResult, save_result, timing
from fly64.study.records.cube import gridsize_of, load_cube, method_labels
from fly64.study.records.cube_tables import differences, speedups
from fly64.study.settings.cells import Cell, iter_cells
from tests.study.test_compare import job_files, simulated_store

PINN = Cell(1e3, "dense", "pinn", 1, 0)
FLAT = Cell(1e3, "dense", "lsqml", 1, 0)
REFINED = Cell(1e3, "dense", "pinn+lsqml", 1, 0)
PINN_SECONDS = 2.0  # the parent's inference
FLAT_STOP, REFINED_REACHES = 8, 2  # epochs: the flat start's stop, the refinement reaching it


def test_refinement_labels_follow_the_baselines_and_carry_their_gridsize():
    study = Study.preset(
        "quick",
        methods=["pinn", "lsqml", "epie", "pinn+lsqml", "pinn+epie"],
        gridsizes=[1, 2],
    )
    labels = method_labels(study)
    assert labels == [
        "pinn_gs1",
        "pinn_gs2",
        "lsqml",
        "epie",
        "best_iterative",
        "pinn_gs1+lsqml",
        "pinn_gs2+lsqml",
        "pinn_gs1+epie",
        "pinn_gs2+epie",
    ]
    assert {c.label for c in iter_cells(study)} == set(labels) - {"best_iterative"}
    assert [gridsize_of(m) for m in ("pinn_gs2+epie", "pinn_gs1+lsqml", "pinn_gs2", "epie")] == [
        2,
        1,
        2,
        1,
    ]


@pytest.fixture(scope="module")
def warmed(tmp_path_factory):
    """A PINN cell, its flat-start LSQML sibling (stops at epoch 8, 1 s per epoch) and its
    refinement (0.5 s per epoch), whose epoch-2 snapshot beats the flat start."""
    study, store, truth, weights = simulated_store(
        tmp_path_factory.mktemp("warm") / "store",
        methods=["pinn", "lsqml", "pinn+lsqml"],
        gridsizes=[1],
    )
    rng = np.random.default_rng(3)

    def noisy(sigma):
        return (truth * np.exp(1j * sigma * rng.standard_normal(truth.shape))).astype(np.complex64)

    def losses(epochs, per_epoch):
        return [
            {"epoch": e, "cost": 1.0 / e, "seconds": per_epoch * e} for e in range(1, epochs + 1)
        ]

    start, flat = noisy(0.6), noisy(0.2)
    cells = {
        PINN: CellResult(start, weights, info=timing(30.0, PINN_SECONDS, 100)),
        FLAT: CellResult(
            flat,
            weights,
            losses(10, 1.0),
            info={"stop_epoch": FLAT_STOP, **timing(0.0, 10.0, 100)},
            snapshots=[(2, noisy(0.8)), (4, noisy(0.4)), (FLAT_STOP, flat)],
        ),
        REFINED: CellResult(
            noisy(0.05),
            weights,
            losses(3, 0.5),
            info={"stop_epoch": 3, **timing(30.0, PINN_SECONDS + 1.5, 100)},
            snapshots=[
                (0, start),
                (1, noisy(0.5)),
                (REFINED_REACHES, noisy(0.05)),
                (3, noisy(0.05)),
            ],
        ),
    }
    for cell, result in cells.items():
        save_result(job_files(store, cell), result)
    compare_study(study, store)
    return study, store, load_cube(store)


def phase(cube, cell, metric="correlation"):
    at = {"dose": cell.dose, "view": cell.view, "method": cell.label, "seed": cell.seed}
    return float(cube.sel(at | {"part": "phase", "metric": metric}))


def test_warm_start_table_finds_when_the_refinement_reaches_the_flat_start(warmed):
    _, store, cube = warmed
    table = pd.read_csv(store.results_dir / WARM_TABLE)
    assert list(table.columns) == WARM_COLUMNS
    (row,) = table.to_dict("records")
    assert (row["method"], row["parent"], row["solver"]) == ("pinn_gs1+lsqml", "pinn_gs1", "lsqml")
    assert row["parent_correlation"] == pytest.approx(phase(cube, PINN))
    assert row["refined_correlation"] == pytest.approx(phase(cube, REFINED))
    assert row["flat_correlation"] == pytest.approx(phase(cube, FLAT))
    assert row["parent_correlation"] < row["flat_correlation"] < row["refined_correlation"]
    assert (row["flat_epochs"], row["flat_seconds"]) == (FLAT_STOP, 8.0)
    assert (row["epochs_to_flat"], row["seconds_to_flat"]) == (REFINED_REACHES, 1.0 + PINN_SECONDS)
    assert row["epoch_fraction"] == pytest.approx(2 / 8)
    assert row["seconds_fraction"] == pytest.approx(3 / 8)
    metrics = json.loads((store.job_dir(REFINED.job_id) / "metrics.json").read_text())
    curve = metrics["snapshot_curve"]
    assert [(p["epoch"], p["seconds"]) for p in curve] == [(0, 0.0), (1, 0.5), (2, 1.0), (3, 1.5)]
    assert curve[0]["phase_correlation"] == pytest.approx(phase(cube, PINN), abs=1e-3)  # its start
    best = max(p["phase_correlation"] for p in curve)
    assert phase(cube, REFINED, "oracle_correlation") == pytest.approx(best)
    assert "snapshot_curve" not in json.loads(
        (store.job_dir(PINN.job_id) / "metrics.json").read_text()
    )


def test_refinements_are_not_on_either_side_of_pinn_minus_baseline(warmed):
    _, _, cube = warmed
    for table in (differences(cube), speedups(cube)):
        assert set(table["baseline"]) == {"lsqml"} and set(table["gridsize"]) == {1}
    diff = differences(cube)
    row = diff[(diff["part"] == "phase") & (diff["metric"] == "correlation")]
    assert row["pinn"].tolist() == pytest.approx([phase(cube, PINN)])


def test_the_figure_report_and_downloads_show_the_warm_start(warmed):
    study, store, _ = warmed
    files = result_files(store)
    assert {WARM_TABLE, "warm_start.png"} <= set(files)
    text = study_report(study, store)
    section = text.split("What the PINN's start buys")[1]
    assert (
        "pinn_gs1+lsqml reached the flat-start lsqml&#x27;s phase correlation in 1 of 1" in section
    )
    assert "0.25 of its epochs and 0.38 of its seconds" in section
    assert "the flat start wins nowhere" in section and 'alt="warm_start"' in section


def test_the_reading_says_where_the_flat_start_wins():
    table = pd.DataFrame(
        [
            dict(dose=1e3, view="dense", seed=0, refined=0.9, flat=0.8, epochs=2, fraction=0.5),
            dict(dose=1e4, view="sparse", seed=1, refined=0.7, flat=0.8, epochs=math.nan),
            dict(dose=1e5, view="dense", seed=0, refined=0.95, flat=0.9, epochs=5, fraction=1.5),
        ]
    ).rename(columns={"refined": "refined_correlation", "flat": "flat_correlation"})
    table = table.assign(
        method="pinn_gs1+epie",
        solver="epie",
        epochs_to_flat=table["epochs"],
        epoch_fraction=table["fraction"],
        seconds_fraction=table["fraction"],
    )
    (sentence,) = warm_start_reading(table)
    assert sentence.startswith("pinn_gs1+epie reached the flat-start epie's phase correlation in")
    assert "in 2 of 3 cell(s), at a median 1.00 of its epochs" in sentence
    assert "dose 10000, sparse, seed 1 (ends at 0.700 < 0.800)" in sentence
    assert "dose 100000, dense, seed 0 (1.50× its seconds)" in sentence
    assert "dose 1000," not in sentence
    no_flat = table.assign(flat_correlation=math.nan)
    assert warm_start_reading(no_flat) == [
        "pinn_gs1+epie: no scored flat-start epie cell to compare with."
    ]
