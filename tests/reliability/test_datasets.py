"""Damaged dose datasets and views: a named error that says what to run, then repaired by a run."""

import shutil

import numpy as np
import pytest

from fly64.data.dataset import DoseDatasetError, open_dose_dataset
from fly64.data.views import ViewError, load_view
from fly64.study.cli.main import main
from tests.reliability.tinystore import CELLS, run_grid

DOSE = "doses/dose-1e3.zarr"
VIEW = "views/dose-1e3/dense.npz"


def counts(root):
    return open_dose_dataset(root / DOSE)["counts"].values


def test_missing_counts_chunk_is_named_and_rerun_resimulates_it(store, capsys):
    intact = counts(store)
    (store / DOSE / "counts/c/0/0/0").unlink()  # read back as zeros by zarr
    with pytest.raises(
        DoseDatasetError, match=r"counts/c/0/0/0 is missing.*fly64 simulate --store .* --dose 1e3"
    ):
        open_dose_dataset(store / DOSE)
    assert main(["compare", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "counts/c/0/0/0 is missing" in err and "Traceback" not in err
    shutil.rmtree(
        store / "jobs" / CELLS[0]
    )  # the repro: re-run one cell on the damaged data
    ran = run_grid(store)
    assert ran["simulate-d1e3"].state == "done" and ran[CELLS[0]].state == "done"
    assert np.array_equal(counts(store), intact)


def test_changed_chunk_is_named(store):
    chunk = store / DOSE / "counts/c/0/0/0"
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    with pytest.raises(DoseDatasetError, match="counts/c/0/0/0 is damaged"):
        open_dose_dataset(store / DOSE)


def test_simulate_repairs_a_damaged_dose(store, capsys):
    (store / DOSE / "object/c/0/0").write_bytes(b"\x00" * 7)  # the truncated object chunk
    assert main(["compare", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "object/c/0/0 is damaged" in err and "fly64 simulate" in err and "Traceback" not in err
    assert main(["simulate", "--store", str(store), "--dose", "1e3"]) == 0
    assert "dose 1000: wrote" in capsys.readouterr().out
    open_dose_dataset(store / DOSE)


@pytest.mark.parametrize(
    "damage", [lambda b: b[: len(b) // 2], lambda b: b"", lambda b: b[:-40] + b"\0" * 40]
)
def test_damaged_view_is_named(store, damage):
    path = store / VIEW
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(
        ViewError, match=r"dense.npz is damaged.*fly64 overlap --store .* --dose 1e3 --view dense"
    ):
        load_view(path)


def test_truncated_view_is_recut_by_run(store):
    path = store / VIEW
    intact = load_view(path).indices["train"]
    path.write_bytes(path.read_bytes()[:100])
    shutil.rmtree(store / "jobs" / CELLS[1])
    ran = run_grid(store)
    assert ran["overlap-d1e3-dense"].state == "done" and ran[CELLS[1]].state == "done"
    assert np.array_equal(load_view(path).indices["train"], intact)
