"""The overlap stage on a quick store: feasible views, stored indices and groups, the
infeasible-view error.
"""

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from fly64.data import open_dose_dataset
from fly64.data.views import load_view
from fly64.study import Study
from fly64.study.execution.workspace import prepare_store
from fly64.study.pipeline.overlap import InfeasibleViewError, cut_views
from fly64.study.pipeline.simulate import simulate_study


@pytest.fixture(scope="module")
def quick_store(tmp_path_factory):
    study = Study.preset("quick", doses=[1e4])
    store = prepare_store(tmp_path_factory.mktemp("q") / "store", study)
    simulate_study(study, store)
    return study, store


def test_quick_views_are_feasible_and_dense_keeps_several_times_more(quick_store):
    study, store = quick_store
    records = {rec.view: rec for rec, _ in cut_views(study, store)}
    ds = open_dose_dataset(store.dose_path(1e4))
    positions, split = ds["positions"].values, ds["split"].values
    for view, rec in records.items():
        loaded = load_view(store.view_path(1e4, view))
        for name, label in (("train", 0), ("test", 1)):
            idx = loaded.indices[name]
            assert np.array_equal(idx, rec.indices[name])
            assert (split[idx] == label).all()
            assert pdist(positions[idx].astype(float)).min() >= study.spacing(view)
            diag = loaded.diagnostics[name]
            assert diag["accepted"] == len(idx) <= diag["bound"]
            assert diag["accepted"] + diag["rejected"] == (split == label).sum()
            assert diag["view_nn_min"] >= study.spacing(view)
            assert diag["coverage"].shape == (ds.sizes["y"], ds.sizes["x"])
            groups = loaded.groups[name][2]
            assert groups.shape == (len(idx), 4)
            assert np.isin(groups, idx).all()  # groups stay inside the view and split
            assert all(len(set(g)) == 4 for g in groups)
    for name in ("train", "test"):
        assert len(records["dense"].indices[name]) >= 4 * len(records["sparse"].indices[name])


def test_second_cut_reuses_the_stored_views(quick_store):
    study, store = quick_store
    cut_views(study, store)
    assert all(reused for _, reused in cut_views(study, store))


def test_infeasible_view_names_dose_view_split_and_bound(quick_store):
    _, store = quick_store
    study = Study.preset(
        "quick", doses=[1e4], views={"dense": 0.7, "sparse": 0.2}, min_positions=60
    )
    with pytest.raises(InfeasibleViewError) as err:
        cut_views(study, store, views=["sparse"])
    message = str(err.value)
    for part in (
        "dose 10000",
        "'sparse'",
        "train split",
        "bound",
        "min_positions = 60",
        "larger object_size",
    ):
        assert part in message
