"""Dose datasets: counts, positions, probe, ground truth and split labels in one xarray Dataset.

Variables (dims):

* ``counts`` (pattern, ky, kx) int32 — measured photons, fftshift-ed (DC at N//2);
* ``positions`` (pattern, axis) int64 — window centres, axis order (y, x), object pixels;
* ``split`` (pattern) int8 — 0 train (top of the object), 1 test (bottom);
* ``probe`` (py, px) complex64 — scaled so the expected counts are |F(probe·O[window])|²;
* ``object`` (y, x) complex64 — the ground truth.

Attributes: ``dose`` (expected photons per pattern), ``simulation_seed``, ``footprint_px``
(probe 90 % energy diameter), ``patch_size``, ``guard_rows``, ``settings_hash``,
``package_versions``, ``units``, ``checksums`` (the manifest of every file's checksum,
recorded when the dataset is written and verified each time it is opened).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from fly64.data.atomic import atomic_dir
from fly64.data.checksums import MANIFEST, checksum_problems, record_checksums
from fly64.data.store import dose_dataset_name, metadata_file

COUNTS_CHUNK = 256
REQUIRED = {
    "counts": (("pattern", "ky", "kx"), np.int32),
    "positions": (("pattern", "axis"), np.int64),
    "split": (("pattern",), np.int8),
    "probe": (("py", "px"), np.complex64),
    "object": (("y", "x"), np.complex64),
}
REQUIRED_ATTRS = ("dose", "simulation_seed", "footprint_px", "patch_size", "settings_hash")
UNITS = {
    "counts": "photons per detector pixel",
    "positions": "object pixels, (y, x) window centres",
    "dose": "expected photons per pattern",
    "footprint_px": "pixels, diameter of the disc holding 90 % of |P|^2",
    "probe": "sqrt(photons): expected counts = |fftshift(fft2(probe*O[window], ortho))|^2",
}


class DoseDatasetError(ValueError):
    """A dose dataset that breaks the data contract."""


def build_dose_dataset(
    counts: np.ndarray,
    positions: np.ndarray,
    split: np.ndarray,
    probe: np.ndarray,
    obj: np.ndarray,
    attrs: dict,
) -> xr.Dataset:
    """Assemble (and validate) a dose dataset from arrays; see the module docstring."""
    ds = xr.Dataset(
        {
            "counts": (("pattern", "ky", "kx"), np.asarray(counts, np.int32)),
            "positions": (("pattern", "axis"), np.asarray(positions, np.int64)),
            "split": (("pattern",), np.asarray(split, np.int8)),
            "probe": (("py", "px"), np.asarray(probe, np.complex64)),
            "object": (("y", "x"), np.asarray(obj, np.complex64)),
        },
        coords={"pattern": np.arange(len(counts))},
        attrs={**attrs, "units": UNITS},
    )
    validate_dose_dataset(ds)
    return ds


def validate_dose_dataset(ds: xr.Dataset) -> None:
    """Raise :class:`DoseDatasetError` naming the first broken rule of the contract."""
    for name, (dims, dtype) in REQUIRED.items():
        if name not in ds:
            raise DoseDatasetError(f"dose dataset has no variable {name!r}")
        var = ds[name]
        if var.dims != dims:
            raise DoseDatasetError(f"{name!r} has dims {var.dims}, expected {dims}")
        if var.dtype != dtype:
            raise DoseDatasetError(f"{name!r} has dtype {var.dtype}, expected {np.dtype(dtype)}")
    missing = [a for a in REQUIRED_ATTRS if a not in ds.attrs]
    if missing:
        raise DoseDatasetError(f"dose dataset lacks attributes {missing}")
    n_side = ds.sizes["py"]
    if (ds.sizes["ky"], ds.sizes["kx"], ds.sizes["px"]) != (n_side,) * 3:
        raise DoseDatasetError("patterns and probe must share one square side N")
    height, width = ds.sizes["y"], ds.sizes["x"]
    pos = ds["positions"].values
    lo, hi = n_side // 2, np.array([height, width]) - n_side + n_side // 2
    if len(pos) and ((pos < lo).any() or (pos > hi).any()):
        raise DoseDatasetError(f"positions put windows outside the {height}×{width} object")
    if not set(np.unique(ds["split"].values)) <= {0, 1}:
        raise DoseDatasetError("split labels must be 0 (train) or 1 (test)")


def write_dose_dataset(ds: xr.Dataset, path: Path) -> None:
    """Write atomically as zarr, counts chunked along patterns (lazy, memory-light reads),
    with the checksum of every file (see :mod:`fly64.data.checksums`)."""
    validate_dose_dataset(ds)
    n_side = ds.sizes["ky"]
    encoding = {"counts": {"chunks": (COUNTS_CHUNK, n_side, n_side)}}
    with atomic_dir(path) as tmp:
        ds.assign_attrs(checksums=MANIFEST).to_zarr(
            tmp, mode="w", encoding=encoding, consolidated=False, zarr_format=3
        )
        record_checksums(tmp)


def selected_patterns(ds: xr.Dataset, indices=None) -> tuple[np.ndarray, np.ndarray]:
    """The pattern indices ``indices`` (int (m,), None: every pattern) and their counts
    (m, N, N), in that order; each chunk is read once."""
    indices = np.arange(ds.sizes["pattern"]) if indices is None else np.asarray(indices, np.int64)
    unique, inverse = np.unique(indices, return_inverse=True)
    return indices, ds["counts"].isel(pattern=unique).values[inverse]


def _resimulate_hint(path: Path) -> str:
    tag = path.stem.removeprefix("dose-").split("-r")[0]  # dose-1e3-r2 (repeat 2): --dose 1e3
    return f"re-simulate it with `fly64 simulate --store {path.parent.parent} --dose {tag}`"


def _attributes(path: Path) -> dict:
    """The dataset's attributes as its metadata file records them (nothing else is read)."""
    return json.loads(metadata_file(path).read_text())["attributes"]


def _expects_checksums(path: Path) -> bool:
    """Whether the dataset's metadata says checksums were recorded (unreadable metadata: True)."""
    try:
        return bool(_attributes(path).get("checksums"))
    except (OSError, ValueError, KeyError, AttributeError):
        return True


def check_identity(path: Path, attrs: dict) -> None:
    """Raise :class:`DoseDatasetError` when a store dataset (``dose-<tag>[-r<r>].zarr``) holds
    another dose or repeat than its name says (e.g. another dose's dataset copied over it)."""
    path = Path(path)
    if not path.name.startswith("dose-"):
        return  # not a store dataset: its name promises nothing
    try:
        dose, repeat = float(attrs["dose"]), int(attrs.get("repeat", 0))
        held = dose_dataset_name(dose, repeat)
    except (KeyError, TypeError, ValueError) as exc:
        raise DoseDatasetError(
            f"dose dataset {path} does not say which dose it holds ({exc}); "
            f"{_resimulate_hint(path)}"
        ) from exc
    if held != path.name:
        raise DoseDatasetError(
            f"dose dataset {path} holds dose {dose:g} (repeat {repeat}), not the one its name "
            f"says: it is a copy of {held}; {_resimulate_hint(path)} (`fly64 run` does it too)"
        )


def dose_dataset_attrs(path: Path) -> dict:
    """The attributes of the dataset at ``path`` after its identity check, without opening it
    or verifying checksums (cheap: what deciding whether a dataset is current needs).

    Raises :class:`DoseDatasetError` when there is none, its metadata is unreadable, or it
    holds another dose or repeat than its name says.
    """
    path = Path(path)
    try:
        attrs = _attributes(path)
    except FileNotFoundError as exc:
        raise DoseDatasetError(f"no dose dataset at {path}: run `fly64 simulate`") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DoseDatasetError(
            f"dose dataset {path} has unreadable metadata ({exc}); {_resimulate_hint(path)}"
        ) from exc
    check_identity(path, attrs)
    return attrs


def verify_dose_dataset(path: Path) -> None:
    """Raise :class:`DoseDatasetError` when a file of the dataset at ``path`` is missing,
    added or changed since it was written (a dataset written before checksums passes)."""
    path = Path(path)
    problems = checksum_problems(path)
    if problems == [f"{MANIFEST} is missing"] and not _expects_checksums(path):
        return
    if problems:
        shown = "; ".join(problems[:3]) + (
            f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        )
        raise DoseDatasetError(
            f"dose dataset {path} is damaged ({shown}); {_resimulate_hint(path)}"
        )


def open_dose_dataset(path: Path) -> xr.Dataset:
    """Open a dose dataset lazily (counts are read chunk by chunk on access), after verifying
    its checksums; validate it against the contract and check that it holds the dose and
    repeat its name says (:func:`check_identity`)."""
    path = Path(path)
    if not path.is_dir():
        raise DoseDatasetError(f"no dose dataset at {path}: run `fly64 simulate` for this dose")
    verify_dose_dataset(path)
    try:
        with warnings.catch_warnings():  # zarr lists the manifest as a stray object of the group
            warnings.filterwarnings("ignore", message=f"Object at {MANIFEST} is not recognized")
            ds = xr.open_zarr(path, consolidated=False)
    except (OSError, ValueError, KeyError) as exc:
        raise DoseDatasetError(
            f"dose dataset {path} is unreadable ({exc}); {_resimulate_hint(path)}"
        ) from exc
    validate_dose_dataset(ds)
    check_identity(path, ds.attrs)
    return ds
