"""A full disk while a dose is written leaves nothing half-written, and the next run resumes."""

import errno

import numpy as np
import pytest

import fly64.data.dataset as dataset
from fly64.data.dataset import open_dose_dataset
from fly64.study.execution.workspace import prepare_store
from fly64.study.pipeline.simulate import simulate_study
from tests.study.jobkinds import tiny_study


def test_a_full_disk_mid_write_leaves_no_dataset_and_a_rerun_completes(tmp_path, monkeypatch):
    study = tiny_study(object_size=64, views={"dense": 0.7}, repeats=[0, 1], gridsizes=[1, 2])
    store = prepare_store(tmp_path / "store", study)

    def full(path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    with monkeypatch.context() as patch:
        patch.setattr(
            dataset, "record_checksums", full
        )  # the chunks are written, then the disk fills
        with pytest.raises(OSError, match="No space left"):
            simulate_study(study, store)
    doses_dir = store.dose_path(1e3).parent
    assert sorted(p.name for p in doses_dir.iterdir()) == []  # no dataset, no temporary left behind
    report = simulate_study(study, store)
    assert [skipped for *_, skipped in report] == [False, False]
    clean = prepare_store(tmp_path / "clean", study)
    simulate_study(study, clean)
    for repeat in (0, 1):
        np.testing.assert_array_equal(
            open_dose_dataset(store.dose_path(1e3, repeat))["counts"].values,
            open_dose_dataset(clean.dose_path(1e3, repeat))["counts"].values,
        )
