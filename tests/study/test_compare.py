"""The evaluate stage: the metrics cube covers exactly the finished cells, with their timing;
`compare` and `report` CLI."""

import json
import math
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from fly64.data.atomic import write_json_atomic
from fly64.data.dataset import open_dose_dataset
from fly64.data.store import CUBE, FRC_TABLE, TABLE, Store
from fly64.metrics import PARTS
from fly64.overlap.metrics import coverage_map
from fly64.study import Study
from fly64.study.cli.main import main
from fly64.study.execution.workspace import prepare_store, read_store_study
from fly64.study.pipeline.compare import compare_study
from fly64.study.pipeline.simulate import simulate_study
from fly64.study.records.cell_result import TIMING_FIELDS, CellResult, save_result, timing
from fly64.study.records.cube import CUBE_METRICS, load_cube
from fly64.study.records.cube_tables import differences, speedups, tidy_table
from fly64.study.settings.cells import Cell

DOSES = [1e3, 1e4]
#: (training s, inference s, test patterns) of the done cells that record their timing,
#: by label and dose
TIMES = {
    ("pinn_gs1", 1e3): (30.0, 0.5, 100),
    ("lsqml", 1e3): (0.0, 20.0, 100),
    ("lsqml", 1e4): (0.0, 8.0, 40),
}


def small_study() -> Study:
    return Study.preset(
        "quick",
        doses=DOSES,
        object_size=96,
        views={"dense": 0.7, "sparse": 0.2},
        methods=["pinn", "lsqml"],
        gridsizes=[1, 2],
    )


def job_files(store, cell: Cell, state="done"):
    """The job and status files of ``cell``'s job (its directory), made with the store's
    settings."""
    job_dir = store.job_dir(cell.job_id)
    job_dir.mkdir(parents=True, exist_ok=True)
    made_with = read_store_study(store).settings_hash(cell.stage)
    write_json_atomic(
        job_dir / "job.json",
        {"kind": cell.stage, "params": {"cell": asdict(cell)}, "settings_hash": made_with},
    )
    write_json_atomic(job_dir / "status.json", {"state": state})
    return job_dir


def finish(store, cell: Cell, obj, weights, state="done", info=None):
    save_result(
        job_files(store, cell, state),
        CellResult(obj.astype(np.complex64), weights, [{"epoch": 1, "cost": 1.0}], info=info or {}),
    )


def simulated_store(root, **settings):
    """A quick study of one dose (1e3) simulated in a store at ``root``, with the truth and the
    stitching weights of a small patch of test positions: (study, store, truth, weights)."""
    study = Study.preset("quick", doses=[1e3], object_size=96, views={"dense": 0.7}, **settings)
    store = prepare_store(root, study)
    simulate_study(study, store)
    ds = open_dose_dataset(store.dose_path(1e3))
    truth, probe = ds["object"].values, ds["probe"].values
    positions = np.array([(y, x) for y in range(40, 60, 6) for x in range(20, 76, 6)])
    weights = coverage_map(positions, np.abs(probe) ** 2, truth.shape).astype(np.float32)
    return study, store, truth, weights


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A store with some cells done, some not, and one that cannot be scored.

    The done cells record their timing (:data:`TIMES`), except pinn_gs2, whose result
    predates the timing fields.
    """
    root = tmp_path_factory.mktemp("compare") / "store"
    study = small_study()
    store = prepare_store(root, study)
    simulate_study(study, store)
    ds = open_dose_dataset(store.dose_path(DOSES[0]))
    truth, probe = ds["object"].values, ds["probe"].values
    positions = np.array([(y, x) for y in range(40, 60, 6) for x in range(20, 76, 6)])
    weights = coverage_map(positions, np.abs(probe) ** 2, truth.shape).astype(np.float32)
    rng = np.random.default_rng(0)
    noisy = lambda s: truth * np.exp(1j * s * rng.standard_normal(truth.shape))  # noqa: E731
    done = [
        Cell(1e3, "dense", "pinn", 1, 0),
        Cell(1e3, "dense", "pinn", 2, 0),
        Cell(1e3, "dense", "lsqml", 1, 0),
        Cell(1e4, "sparse", "lsqml", 1, 0),
    ]
    for i, cell in enumerate(done):
        times = TIMES.get((cell.label, cell.dose))
        finish(
            store,
            cell,
            noisy(0.05 * (i + 1)),
            weights,
            info=timing(*times) if times else {"epochs": 3},
        )
    finish(store, Cell(1e4, "dense", "lsqml", 1, 0), truth, weights, state="running")
    finish(store, Cell(1e4, "dense", "pinn", 1, 0), truth, weights, state="failed")
    job_files(store, Cell(1e4, "sparse", "pinn", 1, 0))  # done, but its result files are gone
    broken = Cell(1e3, "sparse", "lsqml", 1, 0)
    finish(store, broken, np.full(truth.shape, np.nan + 0j), weights)
    comparison = compare_study(study, store)
    return store, study, done, broken, comparison


def test_cube_has_an_entry_per_finished_cell_and_nan_elsewhere(graded):
    store, study, done, broken, comparison = graded
    with xr.open_dataset(comparison.cube, engine="h5netcdf") as ds:
        cube = ds["value"].load()
    assert cube.dims == ("dose", "view", "method", "seed", "part", "metric")
    assert list(cube["method"].values) == ["pinn_gs1", "pinn_gs2", "lsqml"]
    present = cube.notnull().any(["part", "metric"]).drop_vars("gridsize").to_series()
    expected = {(c.dose, c.view, c.label, c.seed) for c in done}
    got = {(float(d), v, m, int(s)) for (d, v, m, s), ok in present.items() if ok}
    assert got == expected
    assert sorted(comparison.cells) == sorted(c.job_id for c in done)
    assert set(comparison.failed) == {broken.job_id}
    # noisier phase → lower phase correlation, so the values are the cells' own
    phase_corr = [
        float(
            cube.loc[
                {
                    "dose": c.dose,
                    "view": c.view,
                    "method": c.label,
                    "seed": 0,
                    "part": "phase",
                    "metric": "correlation",
                }
            ]
        )
        for c in done[:3]
    ]
    assert phase_corr == sorted(phase_corr, reverse=True)
    # the timing rides along per cell: as recorded, NaN for a result without it
    # and for unscored cells
    assert cube["inference_seconds"].dims == ("dose", "view", "method", "seed")
    for cell in done:
        at = {"dose": cell.dose, "view": cell.view, "method": cell.label, "seed": cell.seed}
        expected = (
            timing(*TIMES[(cell.label, cell.dose)]) if (cell.label, cell.dose) in TIMES else {}
        )
        for name in TIMING_FIELDS:
            assert float(cube[name].loc[at]) == pytest.approx(
                expected.get(name, math.nan), nan_ok=True
            )
    assert int(cube["training_seconds"].notnull().sum()) == len(TIMES)


def test_tidy_table_frc_and_per_cell_metrics(graded):
    store, study, done, broken, comparison = graded
    table = pd.read_csv(store.results_dir / TABLE)
    assert list(table.columns) == [
        "dose",
        "view",
        "gridsize",
        "method",
        "seed",
        "part",
        "metric",
        "value",
    ]
    assert len(table) == len(done) * (len(PARTS) * len(CUBE_METRICS) + len(TIMING_FIELDS))
    times = (
        table[table["part"] == "time"].set_index(["method", "dose", "metric"]).sort_index()["value"]
    )
    assert times[("pinn_gs1", 1e3, "patterns_per_second")] == pytest.approx(100 / 0.5)
    assert times[("lsqml", 1e4, "inference_seconds")] == 8.0
    assert times.loc[("pinn_gs2", 1e3)].isna().all()  # its result predates the timing fields
    assert set(table.loc[table["method"] == "pinn_gs2", "gridsize"]) == {2}
    frc = pd.read_csv(store.results_dir / FRC_TABLE)
    assert set(zip(frc["method"], frc["dose"], frc["view"], strict=True)) == {
        (c.label, c.dose, c.view) for c in done
    }
    for cell in done:
        record = json.loads((store.job_dir(cell.job_id) / "metrics.json").read_text())
        assert record["method"] == cell.label and "frc" in record["phase"]
    assert "error" in json.loads((store.job_dir(broken.job_id) / "metrics.json").read_text())
    assert not (store.job_dir(Cell(1e4, "dense", "lsqml", 1, 0).job_id) / "metrics.json").exists()
    names = {p.name for p in comparison.figures}
    assert {
        "phase_vs_dose.png",
        "amplitude_vs_dose.png",
        "frc_phase.png",
        "cell_d1e3_dense.png",
        "quality_vs_time.png",
    } <= names
    assert all(p.stat().st_size > 1000 for p in comparison.figures)


def test_report_prints_metrics_and_pinn_minus_baseline(graded, capsys):
    store, *_ = graded
    assert main(["report", "--store", str(store.root), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {row["method"] for row in out["metrics"]} == {"pinn_gs1", "pinn_gs2", "lsqml"}
    diffs = out["differences"]
    assert {(row["gridsize"], row["baseline"], row["dose"], row["view"]) for row in diffs} == {
        (1, "lsqml", 1e3, "dense"),
        (2, "lsqml", 1e3, "dense"),
    }
    row = next(r for r in diffs if r["metric"] == "correlation" and r["part"] == "phase")
    assert row["difference"] == pytest.approx(row["pinn"] - row["baseline_value"])
    assert {r["part"] for r in diffs} == set(PARTS)  # timing is no difference: it is a speed-up
    # pinn_gs2 has no timing: the speed-up over LSQML is known for gridsize 1 only
    (speedup,) = out["speedups"]
    assert (speedup["dose"], speedup["view"], speedup["gridsize"], speedup["baseline"]) == (
        1e3,
        "dense",
        1,
        "lsqml",
    )
    assert speedup["speedup"] == pytest.approx(20.0 / 0.5)
    assert {r["metric"] for r in out["metrics"] if r["part"] == "time"} == set(TIMING_FIELDS)
    assert main(["report", "--store", str(store.root)]) == 0
    text = capsys.readouterr().out
    assert "PINN − baseline" in text
    timing_block = text.split("\ntiming")[1].split("\nPINN − baseline")[0]
    assert all(name in timing_block for name in ("training s", "inference s", "patterns/s"))
    assert (
        "200" in timing_block and "pinn_gs2" in timing_block
    )  # 100 patterns in 0.5 s; gs2 untimed (NaN)
    assert "speed-up" in text and " 40" in text.split("speed-up")[1]


def test_a_comparison_older_than_the_timing_fields_reads_as_nan(graded, tmp_path):
    store, *_ = graded
    old = load_cube(store).reset_coords(list(TIMING_FIELDS), drop=True)  # as written before timing
    elsewhere = Store(tmp_path)
    elsewhere.results_dir.mkdir()
    (elsewhere.results_dir / CUBE).write_bytes(bytes(old.to_dataset().to_netcdf(engine="h5netcdf")))
    cube = load_cube(elsewhere)
    assert all(bool(cube[name].isnull().all()) for name in TIMING_FIELDS)
    table = tidy_table(cube)
    assert table.loc[table["part"] == "time", "value"].isna().all()
    assert speedups(cube).empty
    pd.testing.assert_frame_equal(differences(cube), differences(load_cube(store)))


def test_report_warns_when_cells_finish_after_the_comparison(tmp_path, capsys):
    study, store, truth, weights = simulated_store(tmp_path / "store", methods=["pinn", "lsqml"])
    first, later = Cell(1e3, "dense", "pinn", 1, 0), Cell(1e3, "dense", "lsqml", 1, 0)
    finish(store, first, truth, weights)
    compare_study(study, store)
    assert main(["report", "--store", str(store.root), "--format", "csv"]) == 0
    assert "out of date" not in capsys.readouterr().err
    finish(store, later, truth, weights)
    assert main(["report", "--store", str(store.root), "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert "1 cell(s) finished after it" in captured.err and later.job_id in captured.err
    assert captured.out.startswith("dose,view")  # the table itself stays parseable
    assert "\n\n" not in captured.out.strip()  # one table (differences: --differences)
    compare_study(study, store)
    assert main(["report", "--store", str(store.root)]) == 0
    assert "out of date" not in capsys.readouterr().err


@pytest.mark.parametrize("command", ["report", "compare"])
def test_a_store_without_finished_cells_is_a_clear_error(tmp_path, capsys, command):
    root = tmp_path / "empty"
    prepare_store(root, small_study())
    assert main([command, "--store", str(root)]) == 2
    assert "no finished cell" in capsys.readouterr().err


def test_report_on_a_missing_store_is_an_error(tmp_path, capsys):
    assert main(["report", "--store", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err
