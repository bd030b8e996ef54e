"""Checksums of dose datasets: recorded at write time, verified on open;
older datasets still open.
"""

import json

import pytest

from fly64.data.checksums import MANIFEST, checksum_problems
from fly64.data.dataset import DoseDatasetError, open_dose_dataset, write_dose_dataset
from tests.data.test_store_dataset import small_dataset


@pytest.fixture
def written(tmp_path):
    path = tmp_path / "doses" / "dose-1e3.zarr"
    write_dose_dataset(small_dataset(), path)
    return path


def test_intact_dataset_has_no_problems(written):
    assert checksum_problems(written) == []
    assert open_dose_dataset(written).attrs["checksums"] == MANIFEST


def test_added_and_missing_files_are_named(written):
    (written / "counts" / "stray").write_bytes(b"x")
    (written / "positions" / "zarr.json").unlink()
    assert checksum_problems(written) == [
        "positions/zarr.json is missing",
        "counts/stray was not written with the data",
    ]


def test_deleted_manifest_is_damage(written):
    (written / MANIFEST).unlink()
    with pytest.raises(DoseDatasetError, match=f"{MANIFEST} is missing.*--dose 1e3"):
        open_dose_dataset(written)


def test_dataset_written_before_checksums_still_opens(written):
    (written / MANIFEST).unlink()
    meta = json.loads((written / "zarr.json").read_text())
    del meta["attributes"]["checksums"]
    (written / "zarr.json").write_text(json.dumps(meta))
    assert open_dose_dataset(written).attrs["dose"] == 1e3
