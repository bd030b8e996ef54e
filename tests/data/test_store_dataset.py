"""Store layout, dose dataset contract, atomic writes."""

import json

import numpy as np
import pytest

from fly64.data import (
    DoseDatasetError,
    Store,
    StoreError,
    atomic_dir,
    build_dose_dataset,
    dose_tag,
    open_dose_dataset,
    write_dose_dataset,
)


def small_dataset(n=6, size=16, height=48):
    rng = np.random.default_rng(0)
    pos = np.stack([rng.integers(8, height - 8, n), rng.integers(8, 40, n)], axis=1)
    attrs = dict(
        dose=1e3, simulation_seed=1, footprint_px=9.0, patch_size=size, settings_hash="abc"
    )
    return build_dose_dataset(
        rng.poisson(2.0, (n, size, size)),
        pos,
        np.arange(n) % 2,
        np.ones((size, size), np.complex64),
        np.ones((height, 48), np.complex64),
        attrs,
    )


@pytest.mark.parametrize(
    "dose, tag", [(1e3, "1e3"), (1e4, "1e4"), (2.5e4, "2.5e4"), (1e9, "1e9"), (512, "512")]
)
def test_dose_tags(dose, tag):
    assert dose_tag(dose) == tag


def test_dose_tag_refuses_non_positive():
    with pytest.raises(ValueError, match="positive"):
        dose_tag(0)


def test_store_create_open_and_refusals(tmp_path):
    store = Store.create(tmp_path / "s")
    assert Store.open(tmp_path / "s") == store
    assert store.dose_path(1e4).name == "dose-1e4.zarr"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a fly64 store"):
        Store.open(tmp_path / "other")
    with pytest.raises(StoreError, match="not a fly64 store"):
        Store.create(tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"  # nothing lost
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "missing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "fly64-store.json").write_text(json.dumps({"format": "x/9"}))
    with pytest.raises(StoreError, match="format"):
        Store.open(tmp_path / "bad")


def test_dataset_round_trip_is_lazy_and_exact(tmp_path):
    ds = small_dataset()
    write_dose_dataset(ds, tmp_path / "d.zarr")
    back = open_dose_dataset(tmp_path / "d.zarr")
    assert back["counts"].chunks is not None  # lazy, chunked
    for name in ("counts", "positions", "split", "probe", "object"):
        assert np.array_equal(back[name].values, ds[name].values)
    assert back.attrs["dose"] == 1e3 and "units" in back.attrs


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda ds: ds.drop_vars("probe"), "probe"),
        (lambda ds: ds.assign(split=ds["split"] * 3), "split"),
        (lambda ds: ds.assign(positions=ds["positions"] + 100), "outside"),
        (lambda ds: ds.assign(counts=ds["counts"].astype("float64")), "dtype"),
    ],
)
def test_contract_violations_are_named(mutate, match):
    from fly64.data import validate_dose_dataset

    with pytest.raises(DoseDatasetError, match=match):
        validate_dose_dataset(mutate(small_dataset()))


def test_missing_dataset_says_what_to_run(tmp_path):
    with pytest.raises(DoseDatasetError, match="fly64 simulate"):
        open_dose_dataset(tmp_path / "nope.zarr")


def test_interrupted_write_leaves_previous_version(tmp_path):
    target = tmp_path / "x"
    with atomic_dir(target) as tmp:
        (tmp / "a").write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_dir(target) as tmp:
        (tmp / "a").write_text("half")
        raise KeyboardInterrupt
    assert (target / "a").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x"]  # no temporary left behind
