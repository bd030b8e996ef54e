"""Tiny scenes for the PINN tests: a 64×64 object, N = 16, simulated with fly64.physics."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from fly64.data import Store, open_dose_dataset
from fly64.data.views import ViewRecord, save_view
from fly64.physics import make_probe, make_test_object, raster_scan, simulate_counts
from fly64.study import Study
from fly64.study.pipeline.simulate import simulate_study

N = 16


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The tests' tensors are tiny: one thread avoids contention on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def scene():
    """Object complex64 (64, 64), photon-scaled probe (16, 16), raster positions, counts."""
    obj = make_test_object((64, 64))
    positions = raster_scan(obj.shape, N, 4.0)
    counts, probe = simulate_counts(obj, make_probe(N), positions, 1e4, seed=1)
    return SimpleNamespace(object=obj, probe=probe, positions=positions, counts=counts, dose=1e4)


def nearest_groups(positions: np.ndarray, members: np.ndarray, size: int) -> np.ndarray:
    """Each member with its size − 1 nearest neighbours (column 0 = the member itself)."""
    _, nearest = cKDTree(positions[members]).query(positions[members], k=size)
    return members[np.asarray(nearest).reshape(len(members), size)]


@pytest.fixture(scope="session")
def tiny_study() -> Study:
    return Study.preset(
        "quick",
        patch_size=N,
        object_size=64,
        scan_step=4.0,
        spacing_basis="window",
        doses=[1e4],
        views={"dense": 0.7},
        epochs=3,
        batch_size=8,
        model_width=4,
        model_depth=2,
        snapshot_every=1,
        patience=5,
    )


@pytest.fixture(scope="session")
def tiny_store(tmp_path_factory, tiny_study) -> Store:
    """A store with one simulated dose and a hand-made view (every position, kNN groups)."""
    store = Store.create(tmp_path_factory.mktemp("store"))
    simulate_study(tiny_study, store)
    ds = open_dose_dataset(store.dose_path(1e4))
    positions, split = ds["positions"].values, ds["split"].values
    record = ViewRecord(
        1e4, "dense", tiny_study.spacing("dense"), tiny_study.settings_hash("overlap"), {}
    )
    for name, label in (("train", 0), ("test", 1)):
        members = np.flatnonzero(split == label)
        record.indices[name] = members
        record.groups[name] = {g: nearest_groups(positions, members, g * g) for g in (1, 2)}
    save_view(store.view_path(1e4, "dense"), record)
    return store
