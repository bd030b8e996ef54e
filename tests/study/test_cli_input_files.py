"""A study's probe or object from a CXI file or a Ptychodus product: bad files are one-line
errors naming the file and the entry, exit code 2, with nothing archived."""

import h5py
import numpy as np
import pytest
import yaml

from fly64.study import Study
from fly64.study.cli.main import main
from fly64.study.execution.workspace import prepare_store
from fly64.study.pipeline.simulate import simulate_study


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    study = Study.preset("quick", doses=[1e3], object_size=96, views={"dense": 0.7})
    store = prepare_store(tmp_path_factory.mktemp("inputs") / "store", study)
    simulate_study(study, store)
    return store


def cxi_without_probe(path):
    with h5py.File(path, "w") as h5:
        h5["/entry_1/instrument_1/detector_1/data"] = np.zeros((2, 32, 32), np.int32)


def product_with_three_modes_of_48_px(path):
    with h5py.File(path, "w") as h5:
        h5["probe"] = np.ones((3, 48, 48), np.complex64)
        h5["object"] = np.ones((1, 96, 96), np.complex64)


def not_hdf5(path):
    path.write_text("probe = 1\n")


@pytest.mark.parametrize(
    "make, name, message",
    [
        (cxi_without_probe, "p.cxi", "entry /entry_1/image_1/data or "),
        (product_with_three_modes_of_48_px, "p.h5", "probe is 3 mode(s) of 48 × 48 px"),
        (not_hdf5, "p.txt", "not an HDF5 file"),
    ],
)
def test_a_bad_probe_file_stops_before_anything_is_archived(
    store, tmp_path, capsys, make, name, message
):
    make(tmp_path / name)
    settings = {"preset": "quick", "doses": [1e3], "object_size": 96, "views": {"dense": 0.7}}
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump({**settings, "probe_file": str(tmp_path / name)}))
    before = sorted(p.name for p in store.root.iterdir())
    code = main(["simulate", "--config", str(config), "--store", str(store.root), "--force"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("fly64 simulate: error: ")
    assert f"probe_file: {tmp_path / name}: " in err and message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert sorted(p.name for p in store.root.iterdir()) == before  # no archive/, doses kept
    assert store.dose_path(1e3).exists()


def test_an_object_file_without_an_object_is_named(store, tmp_path, capsys):
    cxi_without_probe(tmp_path / "o.cxi")
    config = tmp_path / "study.yaml"
    config.write_text(yaml.safe_dump({"preset": "quick", "object_file": str(tmp_path / "o.cxi")}))
    code = main(["simulate", "--config", str(config), "--store", str(store.root), "--force"])
    err = capsys.readouterr().err
    assert code == 2 and "object_file: " in err and "/entry_1/image_2/data is missing" in err
    assert not (store.root / "archive").exists()


def test_new_settings_keep_the_hashes_of_stores_made_before_them():
    """The geometry is in no stage hash, and a study.yaml written before the new settings
    reads back with their defaults and the same hashes (nothing re-run, nothing archived)."""
    study = Study.preset("quick")
    moved = Study.preset("quick", photon_energy_ev=12000.0, detector_distance_m=5.0)
    for stage in ("simulate", "overlap", "train", "reconstruct", "refine", "evaluate"):
        assert study.settings_hash(stage) == moved.settings_hash(stage)
    new = ("probe_file", "object_file", "photon_energy_ev", "detector_distance_m")
    old = "".join(
        line + "\n"
        for line in study.to_yaml(hashed=True).splitlines()
        if not line.startswith(new + ("detector_pixel_size_m",))
    )
    back = Study.from_bytes(old.encode(), "old/study.yaml", whole=True)
    assert back.settings_hash() == study.settings_hash()
