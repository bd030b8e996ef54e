"""PtychoPINN NPZ contract: export → import round trip and every bad input."""

import json

import numpy as np
import pytest

from fly64.data import NPZContractError, export_npz, load_npz
from fly64.study import Study
from fly64.study.pipeline.simulate import simulate_dose


@pytest.fixture(scope="module")
def dataset():
    study = Study.preset(
        "quick", object_size=96, scan_step=8.0, spacing_basis="window", doses=[1e4]
    )
    return simulate_dose(study, 1e4)


def good_arrays(n=4, size=16):
    rng = np.random.default_rng(0)
    return dict(
        diffraction=rng.random((n, size, size)).astype(np.float32),
        probeGuess=np.ones((size, size), np.complex64),
        objectGuess=np.ones((64, 64), np.complex64),
        xcoords=np.full(n, 30.0),
        ycoords=np.full(n, 30.0),
    )


def test_export_import_round_trip(dataset, tmp_path):
    path = export_npz(dataset, tmp_path / "d.npz")
    back = load_npz(path)
    assert np.allclose(back["diffraction"] ** 2, dataset["counts"].values, atol=1e-3)
    assert np.array_equal(back["probe"], dataset["probe"].values)
    assert np.array_equal(back["object"], dataset["object"].values)
    assert np.array_equal(back["positions"], dataset["positions"].values)
    assert back["metadata"]["dose_photons_per_pattern"] == 1e4


def test_user_object_and_probe_drive_the_simulation(tmp_path):
    arrays = good_arrays(size=32)
    arrays["objectGuess"] = (np.exp(0.2j * np.random.default_rng(1).random((96, 96)))).astype(
        np.complex64
    )
    arrays["diffraction"] = np.ones((4, 32, 32), np.float32)
    np.savez(tmp_path / "mine.npz", **arrays)
    study = Study.preset(
        "quick", object_npz=str(tmp_path / "mine.npz"), scan_step=8.0, spacing_basis="window"
    )
    ds = simulate_dose(study, 1e3)
    assert np.array_equal(ds["object"].values, arrays["objectGuess"])
    assert ds.attrs["object_source"] == "npz:mine.npz"


def bad(**changes):
    arrays = good_arrays()
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    return arrays


@pytest.mark.parametrize(
    "arrays, match",
    [
        (bad(probeGuess=None), "lacks required keys"),
        (bad(diffraction=np.ones((4, 16, 16), np.complex64)), "diffraction must be real"),
        (bad(objectGuess=np.ones((64, 64), np.float32)), "objectGuess must be complex"),
        (bad(xcoords=np.zeros(3)), "lengths"),
        (bad(diffraction=np.full((4, 16, 16), np.nan, np.float32)), "NaN"),
        (bad(diffraction=-np.ones((4, 16, 16), np.float32)), "negative"),
        (bad(objectGuess=np.ones((8, 8), np.complex64)), "larger than objectGuess"),
        (bad(probeGuess=np.ones((8, 8), np.complex64)), "differ"),
    ],
)
def test_bad_npz_is_named(tmp_path, arrays, match):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(NPZContractError, match=match):
        load_npz(tmp_path / "bad.npz")


def test_pickled_metadata_is_never_unpickled(tmp_path):
    arrays = good_arrays()
    np.savez(tmp_path / "p.npz", _metadata=np.array([{"evil": 1}], dtype=object), **arrays)
    with pytest.warns(UserWarning, match="pickled"):
        assert load_npz(tmp_path / "p.npz")["metadata"] == {}


def test_json_metadata_is_read(tmp_path):
    np.savez(tmp_path / "m.npz", _metadata=np.array(json.dumps({"a": 1})), **good_arrays())
    assert load_npz(tmp_path / "m.npz")["metadata"] == {"a": 1}


def test_not_an_npz(tmp_path):
    (tmp_path / "x.npz").write_text("hello")
    with pytest.raises(NPZContractError, match="not a readable"):
        load_npz(tmp_path / "x.npz")
