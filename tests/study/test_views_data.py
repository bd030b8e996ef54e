"""Display accessors of a store (fly64.study.display.store_summary, view_summary and
result_summary) on one simulated ``quick`` dose."""

import numpy as np
import pytest

from fly64.data.store import Store
from fly64.study import Study
from fly64.study.display.result_summary import frc_curves, result_files
from fly64.study.display.store_summary import (
    change_stamp,
    dose_dataset,
    dose_summary,
    pattern,
    scene_summary,
    simulated_doses,
)
from fly64.study.display.view_summary import available_views, overlap_summary, split_box
from fly64.study.pipeline.overlap import cut_views
from fly64.study.pipeline.simulate import simulate_study

DOSE = 1e4


@pytest.fixture(scope="module")
def store_and_study(tmp_path_factory):
    study = Study.preset("quick", doses=[DOSE, 1e5])
    store = Store.create(tmp_path_factory.mktemp("views-data") / "store")
    simulate_study(study, store, doses=[DOSE])
    cut_views(study, store, doses=[DOSE], views=["dense"])
    return store, study


def test_only_what_is_on_disk_is_listed(store_and_study):
    store, study = store_and_study
    assert simulated_doses(store, study) == [DOSE]
    assert available_views(store, study, DOSE) == ["dense"]
    assert result_files(store) == {}
    assert frc_curves(store).empty


def test_dose_summary_counts_photons_against_the_nominal_dose(store_and_study):
    store, _ = store_and_study
    summary = dose_summary(store, DOSE)
    ds = dose_dataset(store, DOSE)
    n, side = ds.sizes["pattern"], ds.sizes["ky"]
    assert summary.n_patterns == n and summary.mean_pattern.shape == (side, side)
    assert summary.counts_per_pattern.sum() == int(ds["counts"].sum())
    stats = summary.count_stats()
    assert stats["nominal"] == DOSE and abs(stats["mean / nominal"] - 1) < 0.05
    np.testing.assert_allclose(summary.mean_pattern.sum(), summary.counts_per_pattern.mean())
    assert dose_summary(store, DOSE) is summary  # cached until the dataset changes


def test_pattern_reads_one_frame_and_names_a_bad_index(store_and_study):
    store, _ = store_and_study
    ds = dose_dataset(store, DOSE)
    np.testing.assert_array_equal(pattern(store, DOSE, 7), ds["counts"][7].values)
    with pytest.raises(IndexError, match="pattern index"):
        pattern(store, DOSE, ds.sizes["pattern"])


def test_split_box_holds_every_test_window_and_no_more(store_and_study):
    store, study = store_and_study
    rows, cols = split_box(store, DOSE, "test")
    ds = dose_dataset(store, DOSE)
    centres = ds["positions"].values[ds["split"].values == 1]
    first = centres - study.patch_size // 2
    assert first[:, 0].min() == rows.start and (first[:, 0] + study.patch_size).max() == rows.stop
    assert first[:, 1].min() == cols.start and (first[:, 1] + study.patch_size).max() == cols.stop


def test_overlap_summary_positions_are_the_accepted_base_positions(store_and_study):
    store, _ = store_and_study
    s = overlap_summary(store, DOSE, "dense", "train")
    np.testing.assert_array_equal(s.positions, s.base_positions[s.accepted])
    assert s.object_amplitude.shape == dose_dataset(store, DOSE)["object"].shape
    assert s.diagnostics["accepted"] == len(s.positions)
    with pytest.raises(FileNotFoundError):
        overlap_summary(store, DOSE, "sparse", "train")


def test_scene_summary_describes_the_probe_support_and_the_object(store_and_study):
    store, study = store_and_study
    s = scene_summary(store, DOSE)
    assert s.object_source == "builtin:probe_scale" and s.patch_size == study.patch_size
    np.testing.assert_allclose(s.footprint_px, study.footprint, rtol=1e-5)
    assert s.footprint_px < s.footprint_99_px <= study.patch_size / 2  # the default probe fits N/2
    assert 0.99 <= s.support_fraction <= 1
    np.testing.assert_array_equal(s.object, dose_dataset(store, DOSE)["object"].values)
    stats = s.object_stats
    assert abs(stats["amplitude_phase_correlation"]) < 0.2  # independent amplitude and phase
    assert 0 < stats["phase_power_below_2D"] < 1 and stats["phase_std_rad"] > 0
    assert s.spectrum_frequency.shape == s.spectrum_power.shape
    assert s.spectrum_frequency.max() < 0.5 and abs(s.spectrum_power.sum() - 1) < 1e-9
    assert s.cutoff_frequency == 1 / (2 * s.footprint_px)
    assert scene_summary(store, DOSE) is s  # cached until the dataset changes


def test_change_stamp_follows_a_dataset_metadata_and_a_file(store_and_study, tmp_path):
    store, _ = store_and_study
    dataset = store.dose_path(DOSE)
    assert change_stamp(dataset) == (dataset / "zarr.json").stat().st_mtime_ns
    file = tmp_path / "file.txt"
    file.write_text("x")
    assert change_stamp(file) == file.stat().st_mtime_ns
    assert change_stamp(tmp_path / "absent") is None
