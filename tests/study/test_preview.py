"""The set-up preview of an unsaved study, and the study's overlap and scan warnings."""

import os

import holoviews as hv
import numpy as np
import pytest
from scipy.spatial.distance import pdist

from fly64.data.dataset import open_dose_dataset
from fly64.data.views import SPLIT_LABEL, load_view
from fly64.metrics import evaluation_mask, shot_noise_limit
from fly64.overlap.metrics import coverage_map
from fly64.study import Study
from fly64.study.display.preview import NO_OVERLAP, PATTERN_POSITIONS, preview_study
from fly64.study.display.preview_figures import preview_layout
from fly64.study.execution.workspace import prepare_store
from fly64.study.pipeline.overlap import cut_views
from fly64.study.pipeline.simulate import simulate_study


def small(**overrides) -> Study:
    return Study.preset("quick", **{"object_size": 96, "doses": [1e3, 1e5], **overrides})


@pytest.fixture(scope="module")
def preview():
    return preview_study(small())


def test_probe_and_object_are_the_study_s(preview):
    study = small()
    assert preview.probe.shape == (32, 32) and np.allclose(preview.probe, study.make_probe())
    assert preview.scene.footprint_px == pytest.approx(study.footprint)
    assert preview.scene.footprint_99_px > preview.scene.footprint_px
    assert preview.scene.support_fraction >= 0.99  # the default probe fits N/2
    assert preview.scene.object.shape == (96, 96)
    assert abs(preview.scene.object_stats["amplitude_phase_correlation"]) < 0.5


def test_one_pattern_per_dose_with_the_dose_s_photons_and_the_same_seed(preview):
    assert list(preview.patterns) == [1e3, 1e5]
    for dose, counts in preview.patterns.items():
        assert counts.shape == (PATTERN_POSITIONS, 32, 32) and counts.dtype == np.int32
        assert counts.sum(axis=(1, 2)).mean() == pytest.approx(dose, rel=0.2)
    again = preview_study(small(doses=[1e5, 1e3]))  # same settings, other order: same draws
    assert np.array_equal(again.patterns[1e3], preview.patterns[1e3])


def test_each_view_keeps_positions_at_least_S_apart_within_the_bound(preview):
    for view in preview.views.values():
        assert view.accepted.sum() == sum(view.kept.values())
        for name, label in SPLIT_LABEL.items():
            kept = preview.base_positions[view.accepted & (preview.split == label)]
            assert len(kept) == view.kept[name] <= view.bound[name]
            assert pdist(kept).min() >= view.spacing
    dense, sparse = preview.views["dense"], preview.views["sparse"]
    assert dense.nominal_overlap == pytest.approx(0.7) and sparse.nominal_overlap == pytest.approx(
        0.2
    )
    assert dense.linear_overlap > sparse.linear_overlap and dense.disc_overlap > sparse.disc_overlap
    assert dense.label != NO_OVERLAP and sparse.label == NO_OVERLAP
    assert [row["view"] for row in preview.view_rows()] == ["dense", "sparse"]


def test_each_view_s_photons_per_pixel_and_bound_are_the_simulated_data_s(preview, tmp_path):
    dense, sparse = preview.limits["dense"], preview.limits["sparse"]
    assert dense[1e5].fluence == pytest.approx(100 * dense[1e3].fluence)  # linear in the dose
    assert dense[1e3].fluence > sparse[1e3].fluence
    assert dense[1e3].correlation_bound > sparse[1e3].correlation_bound
    assert sparse[1e5].correlation_bound > sparse[1e3].correlation_bound
    rows = {row["view"]: row for row in preview.view_rows()}
    assert rows["dense"]["photons/px at 1000"] == round(dense[1e3].fluence, 1)
    study = small(doses=[1e3], views={"dense": 0.7})  # the stages' own data, same raster
    store = prepare_store(tmp_path / "store", study)
    simulate_study(study, store)
    cut_views(study, store)
    ds = open_dose_dataset(store.dose_path(1e3))
    truth, intensity = ds["object"].values, np.abs(ds["probe"].values) ** 2
    test = ds["positions"].values[load_view(store.view_path(1e3, "dense")).indices["test"]]
    illumination = coverage_map(test, intensity, truth.shape)
    mask = evaluation_mask(illumination, study.mask_threshold, intensity.max())
    simulated = shot_noise_limit(truth, illumination, mask)
    assert dense[1e3].fluence == pytest.approx(simulated.fluence, rel=1e-4)
    assert dense[1e3].correlation_bound == pytest.approx(simulated.correlation_bound, rel=1e-4)


def test_a_changed_view_is_recut_and_the_rest_reused(preview):
    changed = preview_study(small(views={"dense": 0.7, "sparse": 0.3}))
    assert changed.scene is preview.scene and changed.views["dense"] is preview.views["dense"]
    assert changed.views["sparse"].spacing < preview.views["sparse"].spacing
    sparser = preview_study(small(views={"dense": 0.5, "sparse": 0.2}))  # moves the base raster
    assert (
        sparser.scene is not preview.scene
        and sparser.scene.footprint_px == preview.scene.footprint_px
    )
    assert sparser.views["dense"].spacing > preview.views["dense"].spacing
    wider = preview_study(small(probe_pupil_radius=6.0))  # a smaller pupil: a wider beam
    assert wider.scene.footprint_px > preview.scene.footprint_px
    assert wider.views["dense"].spacing > preview.views["dense"].spacing


def test_the_preview_and_its_layout_write_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    layout = preview_layout(preview_study(small(simulation_seed=7)), scale="sqrt")
    assert (
        isinstance(layout, hv.Layout) and len(layout) == 2 + 3 + 2 + 2
    )  # probe, object, doses, views
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="scale"):
        preview_layout(preview_study(small(simulation_seed=7)), scale="cubic")


def test_no_ptychographic_overlap_in_any_view_warns_under_views_until_fixed():
    (message,) = Study.preset("quick", views={"dense": 0.3, "sparse": 0.2}).warnings()
    assert message.startswith("views: no ptychographic overlap") and "'dense' 30%" in message
    assert (
        Study.preset("quick", views={"dense": 0.7, "sparse": 0.2}).warnings() == []
    )  # a sparse contrast is expected


def test_a_view_below_min_positions_and_an_object_without_room_for_both_splits_warn():
    messages = small(min_positions=40).warnings()
    assert messages and all(
        m.startswith("views: view 'sparse'") and "min_positions = 40" in m for m in messages
    )
    (message,) = small(object_size=68, guard_rows=8).warnings()
    assert message.startswith("object_size:") and "both splits" in message
