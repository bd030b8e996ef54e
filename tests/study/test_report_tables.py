"""Statistics over repeats, and `fly64 report` printing one parseable table per output."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from fly64.study import Study
from fly64.study.cli.main import main
from fly64.study.display.aggregate import aggregate
from fly64.study.records.cube import TABLE_COLUMNS, empty_cube
from fly64.study.records.cube_tables import differences

from .test_compare import graded  # noqa: F401  (the finished store fixture)


def test_aggregate_summarises_each_group_over_its_repeats():
    table = pd.DataFrame(
        {
            "dose": [1e3, 1e3, 1e3, 1e4, 1e4],
            "method": ["lsqml"] * 5,
            "seed": [0, 1, 2, 0, 1],
            "metric": ["correlation"] * 5,
            "value": [0.5, 0.7, np.nan, 0.9, np.inf],
        }
    )
    out = aggregate(table, "value")
    assert list(out.columns) == ["dose", "method", "metric", "mean", "std", "n"]
    low, high = out.itertuples(index=False)
    assert (low.dose, low.n) == (1e3, 2) and low.mean == pytest.approx(0.6)
    assert low.std == pytest.approx(np.std([0.5, 0.7], ddof=1))  # the NaN repeat is left out
    assert (high.n, high.mean) == (1, 0.9) and np.isnan(high.std)  # one finite value: no spread


def test_aggregate_of_differences_keeps_the_baseline_and_drops_the_paired_values():
    table = pd.DataFrame(
        {
            "dose": [1e3, 1e3],
            "gridsize": [1, 1],
            "baseline": ["lsqml"] * 2,
            "seed": [0, 1],
            "metric": ["ssim"] * 2,
            "pinn": [0.4, 0.6],
            "baseline_value": [0.5, 0.5],
            "difference": [-0.1, 0.1],
        }
    )
    (row,) = aggregate(table, "difference").to_dict("records")
    assert set(row) == {"dose", "gridsize", "baseline", "metric", "mean", "std", "n"}
    assert row["mean"] == pytest.approx(0.0) and row["n"] == 2
    with pytest.raises(ValueError, match="'seed'"):
        aggregate(table.drop(columns="seed"), "difference")


@pytest.mark.parametrize(
    "flags, columns",
    [
        ([], TABLE_COLUMNS),
        (
            ["--differences"],
            [
                "dose",
                "view",
                "gridsize",
                "baseline",
                "seed",
                "part",
                "metric",
                "pinn",
                "baseline_value",
                "difference",
            ],
        ),
        (
            ["--speedups"],
            [
                "dose",
                "view",
                "gridsize",
                "baseline",
                "seed",
                "pinn_seconds",
                "baseline_seconds",
                "speedup",
            ],
        ),
        (
            ["--aggregate"],
            ["dose", "view", "gridsize", "method", "part", "metric", "mean", "std", "n"],
        ),
    ],
)
def test_report_csv_is_one_table(graded, capsys, flags, columns):  # noqa: F811
    store, *_ = graded
    assert main(["report", "--store", str(store.root), "--format", "csv", *flags]) == 0
    out = capsys.readouterr().out
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == columns and len(frame) > 0
    assert "\n\n" not in out.strip()  # one block, nothing after it


def test_report_aggregate_as_json_and_text(graded, capsys):  # noqa: F811
    store, *_ = graded
    assert main(["report", "--store", str(store.root), "--format", "json", "--aggregate"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"metrics", "differences", "speedups"}
    assert all(row["n"] == 1 for row in out["metrics"] if row["mean"] is not None)  # one repeat
    assert main(["report", "--store", str(store.root), "--aggregate"]) == 0
    assert "mean, std, n over the repeats" in capsys.readouterr().out


def test_a_study_without_a_pinn_has_an_empty_numeric_difference_table():
    """The Results page filters the differences numerically: empty must still be numeric."""
    cube = empty_cube(Study.preset("quick", methods=["lsqml", "epie"]))
    table = differences(cube)
    assert table.empty and list(table.columns[-3:]) == ["pinn", "baseline_value", "difference"]
    assert not np.isfinite(table["difference"]).any()  # a TypeError on object columns
