"""`fly64 export`: a dose, or one view's split, in PtychoPINN's NPZ contract, read back."""

import json

import numpy as np
import pytest

from fly64.data.dataset import open_dose_dataset
from fly64.data.npz import load_npz
from fly64.data.views import load_view
from fly64.study import Study
from fly64.study.cli.main import main
from fly64.study.execution.workspace import prepare_store
from fly64.study.pipeline.overlap import cut_views
from fly64.study.pipeline.simulate import simulate_study


@pytest.fixture(scope="module")
def cut_store(tmp_path_factory):
    study = Study.preset(
        "quick", doses=[1e3], object_size=96, views={"dense": 0.7}, methods=["lsqml"]
    )
    store = prepare_store(tmp_path_factory.mktemp("export") / "store", study)
    simulate_study(study, store)
    cut_views(study, store)
    return store


def test_export_every_pattern_round_trips(cut_store, tmp_path, capsys):
    out = tmp_path / "all"
    assert (
        main(["export", "--store", str(cut_store.root), "--dose", "1e3", "--output", str(out)]) == 0
    )
    assert "wrote" in capsys.readouterr().out
    ds = open_dose_dataset(cut_store.dose_path(1e3))
    data = load_npz(tmp_path / "all.npz")
    np.testing.assert_allclose(data["diffraction"] ** 2, ds["counts"].values, rtol=1e-5)
    np.testing.assert_array_equal(data["positions"], ds["positions"].values)
    np.testing.assert_array_equal(data["probe"], ds["probe"].values)


def test_export_a_views_split_keeps_its_patterns_in_order(cut_store, tmp_path):
    out = tmp_path / "test.npz"
    assert (
        main(
            [
                "export",
                "--store",
                str(cut_store.root),
                "--dose",
                "1e3",
                "--view",
                "dense",
                "--split",
                "test",
                "--output",
                str(out),
            ]
        )
        == 0
    )
    indices = load_view(cut_store.view_path(1e3, "dense")).indices["test"]
    ds = open_dose_dataset(cut_store.dose_path(1e3))
    data = load_npz(out)
    np.testing.assert_array_equal(data["scan_index"], indices)
    np.testing.assert_array_equal(data["positions"], ds["positions"].values[indices])
    np.testing.assert_allclose(data["diffraction"] ** 2, ds["counts"].values[indices], rtol=1e-5)
    with np.load(out) as raw:
        assert set(json.loads(str(raw["_metadata"]))["split"]) == {1}  # test patterns only


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--dose", "5"], "not a dose of the study"),
        (["--dose", "1e3", "--split", "test"], "--split needs --view"),
        (["--dose", "1e3", "--view", "nope"], "no view 'nope'"),
        (["--dose", "1e3", "--repeat", "3"], "not a repeat of the study"),
    ],
)
def test_bad_export_requests_are_one_line_errors(cut_store, tmp_path, capsys, flags, message):
    assert (
        main(
            ["export", "--store", str(cut_store.root), *flags, "--output", str(tmp_path / "x.npz")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.npz").exists()


@pytest.mark.parametrize("fmt, suffix", [("npz", ".npz"), ("cxi", ".cxi")])
def test_export_into_an_existing_directory_writes_inside_it(cut_store, tmp_path, fmt, suffix):
    out = tmp_path / "exports"
    out.mkdir()
    flags = ["--view", "dense", "--split", "test", "--format", fmt, "--output", str(out)]
    assert main(["export", "--store", str(cut_store.root), "--dose", "1e3", *flags]) == 0
    assert [p.name for p in out.iterdir()] == [f"fly64-dose-1e3-r0-dense-test{suffix}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports"]  # nothing beside it


def test_products_need_finished_cells(cut_store, tmp_path, capsys):
    out = tmp_path / "products"
    flags = ["--dose", "1e3", "--format", "product", "--output", str(out)]
    assert main(["export", "--store", str(cut_store.root), *flags]) == 2
    err = capsys.readouterr().err
    assert "no finished cell of dose 1000" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
