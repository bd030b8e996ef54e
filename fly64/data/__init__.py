"""Data: the study store on disk, dose datasets (xarray/zarr), NPZ import/export, atomic writes."""

from fly64.data.atomic import atomic_dir, write_json_atomic
from fly64.data.dataset import (
    DoseDatasetError,
    build_dose_dataset,
    open_dose_dataset,
    validate_dose_dataset,
    write_dose_dataset,
)
from fly64.data.npz import NPZContractError, export_npz, load_npz
from fly64.data.store import Store, StoreError, dose_tag

__all__ = [
    "DoseDatasetError",
    "NPZContractError",
    "Store",
    "StoreError",
    "atomic_dir",
    "build_dose_dataset",
    "dose_tag",
    "export_npz",
    "load_npz",
    "open_dose_dataset",
    "validate_dose_dataset",
    "write_dose_dataset",
    "write_json_atomic",
]
