"""The train stage end to end on a tiny store: one cell trained, stitched, checked, checkpointed."""

import numpy as np
import pytest

from fly64.data import open_dose_dataset
from fly64.data.views import load_view
from fly64.study.pipeline.train import train_cell
from fly64.study.settings.cells import Cell
from fly64.study.settings.model import StudyError

from .test_train import Recorder


@pytest.mark.parametrize("gridsize", [1, 2])
def test_train_cell_returns_a_stitched_reconstruction(tiny_study, tiny_store, tmp_path, gridsize):
    reporter = Recorder()
    result = train_cell(
        tiny_study, tiny_store, Cell(1e4, "dense", "pinn", gridsize, 0), reporter, tmp_path
    )
    truth = open_dose_dataset(tiny_store.dose_path(1e4))["object"].values
    view = load_view(tiny_store.view_path(1e4, "dense"))
    assert result.object.shape == truth.shape and result.object.dtype == np.complex64
    assert result.weights.shape == truth.shape and (result.weights > 0).any()
    assert np.all(result.object[result.weights == 0] == 0)
    assert len(result.losses) == result.info["epochs_run"] == tiny_study.epochs
    assert result.info["n_test_positions"] == len(view.indices["test"])
    assert result.info["n_train_groups"] + result.info["n_validation_groups"] == len(
        view.groups["train"][gridsize]
    )
    assert len(reporter.snapshots) == tiny_study.epochs
    assert {"flat_loss", "collapsed", "phase_correlation", "underfit"} <= set(result.health)
    assert result.health["nll_to_noise_floor"] > 0.5  # judged on held-out groups, no ground truth
    assert (tmp_path / "checkpoint.pt").is_file()
    info = result.info
    assert info["training_seconds"] > 0 and 0 < info["inference_seconds"] < info["training_seconds"]
    assert info["patterns_per_second"] == pytest.approx(
        info["n_test_positions"] / info["inference_seconds"]
    )
    assert info["stitching"] == tiny_study.stitching


def test_train_cell_is_deterministic_on_cpu(tiny_study, tiny_store, tmp_path):
    cell = Cell(1e4, "dense", "pinn", 1, 0)
    a = train_cell(tiny_study, tiny_store, cell, None, tmp_path / "a")
    b = train_cell(tiny_study, tiny_store, cell, None, tmp_path / "b")
    assert [r["train"] for r in a.losses] == [r["train"] for r in b.losses]
    np.testing.assert_array_equal(a.object, b.object)


def test_a_view_cut_with_other_settings_is_refused(tiny_study, tiny_store, tmp_path):
    study = type(tiny_study).from_dict({**tiny_study.to_dict(), "grouping_seed": 5})
    with pytest.raises(StudyError, match="cut with other settings"):
        train_cell(study, tiny_store, Cell(1e4, "dense", "pinn", 1, 0), None, tmp_path)
