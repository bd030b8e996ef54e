"""PtychoPINN's NPZ contract: import a user's object and probe, export any dose.

Keys: ``diffraction`` float32 (n, N, N) amplitude (√photons, fftshift-ed), ``probeGuess``
complex (N, N), ``objectGuess`` complex (H, W), ``xcoords`` / ``ycoords`` float (n,) window
centres in object pixels, optional ``scan_index`` int (n,) and ``_metadata`` (a JSON string).
Files are read with ``allow_pickle=False``: a pickled ``_metadata`` is ignored, never unpickled.
"""

import json
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import xarray as xr

from fly64.data.dataset import selected_patterns
from fly64.data.geometry import Geometry

REQUIRED_KEYS = ("diffraction", "probeGuess", "objectGuess", "xcoords", "ycoords")


class NPZContractError(ValueError):
    """An NPZ file that breaks PtychoPINN's data contract."""


def _metadata(data) -> dict:
    if "_metadata" not in data.files:
        return {}
    try:
        raw = data["_metadata"]
    except ValueError:
        warnings.warn("_metadata is a pickled object; ignored (never unpickled)", stacklevel=3)
        return {}
    try:
        return json.loads(str(raw))
    except json.JSONDecodeError:
        warnings.warn("_metadata is not a JSON string; ignored", stacklevel=3)
        return {}


def _array(data, key: str, path: Path) -> np.ndarray:
    """One member of an open .npz; a pickled or damaged member is a :class:`NPZContractError`."""
    try:
        return data[key]
    except ValueError as exc:  # an object array: never unpickled
        raise NPZContractError(
            f"{path}: {key} is a pickled object array, which fly64 never loads; "
            "store it as a numeric array"
        ) from exc
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise NPZContractError(
            f"{path}: {key} cannot be read ({exc}); the file is damaged"
        ) from exc


def _read_members(path: Path) -> tuple[dict, np.ndarray | None, dict]:
    """The required arrays, ``scan_index`` (None when absent) and the metadata of an NPZ file."""
    if not path.is_file():
        raise NPZContractError(f"{path}: no such file")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise NPZContractError(
            f"{path} is not a readable .npz file ({exc}); save the arrays with numpy.savez"
        ) from exc
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise NPZContractError(
            f"{path} holds one array (a .npy file), not an .npz archive of "
            f"{list(REQUIRED_KEYS)}; save them with numpy.savez"
        )
    with data:
        missing = [k for k in REQUIRED_KEYS if k not in data.files]
        if missing:
            raise NPZContractError(f"{path.name} lacks required keys {missing}")
        arrays = {k: _array(data, k, path) for k in REQUIRED_KEYS}
        scan_index = _array(data, "scan_index", path) if "scan_index" in data.files else None
        return arrays, scan_index, _metadata(data)


def _check_contract(arrays: dict, scan_index: np.ndarray | None) -> None:
    """Dtypes, shapes, lengths and finite, non-negative values of the contract's arrays."""
    diffraction, probe, obj = arrays["diffraction"], arrays["probeGuess"], arrays["objectGuess"]
    for key, kind, what in (
        ("diffraction", "f", "real floating"),
        ("xcoords", "fiu", "numeric"),
        ("ycoords", "fiu", "numeric"),
        ("probeGuess", "c", "complex"),
        ("objectGuess", "c", "complex"),
    ):
        if arrays[key].dtype.kind not in kind:
            raise NPZContractError(f"{key} must be {what}, got dtype {arrays[key].dtype}")
    if diffraction.ndim != 3 or diffraction.shape[1] != diffraction.shape[2]:
        raise NPZContractError(f"diffraction must be (n, N, N), got {diffraction.shape}")
    if probe.ndim != 2 or probe.shape[0] != probe.shape[1]:
        raise NPZContractError(f"probeGuess must be square (N, N), got {probe.shape}")
    if obj.ndim != 2:
        raise NPZContractError(f"objectGuess must be 2-D (H, W), got {obj.shape}")
    if probe.shape != diffraction.shape[1:]:
        raise NPZContractError(
            f"probeGuess {probe.shape} and diffraction patterns {diffraction.shape[1:]} differ"
        )
    if probe.shape[0] > min(obj.shape):
        raise NPZContractError(f"probeGuess {probe.shape} is larger than objectGuess {obj.shape}")
    n = len(diffraction)
    lengths = {"xcoords": arrays["xcoords"].shape, "ycoords": arrays["ycoords"].shape}
    if scan_index is not None:
        lengths["scan_index"] = scan_index.shape
    bad = {k: v for k, v in lengths.items() if v != (n,)}
    if bad:
        raise NPZContractError(f"lengths do not match diffraction's {n} patterns: {bad}")
    if not np.isfinite(diffraction).all():
        raise NPZContractError("diffraction holds NaN or infinite values")
    if (diffraction < 0).any():
        raise NPZContractError("diffraction holds negative amplitudes")
    for key in ("probeGuess", "objectGuess", "xcoords", "ycoords"):
        if not np.isfinite(arrays[key]).all():
            raise NPZContractError(f"{key} holds NaN or infinite values")


def load_npz(path: str | Path) -> dict:
    """Read and validate a PtychoPINN NPZ.

    Returns
    -------
    dict with ``diffraction`` float32 (n, N, N), ``probe`` complex64 (N, N), ``object``
    complex64 (H, W), ``positions`` float64 (n, 2) as (y, x) centres, ``scan_index`` int64
    (n,), ``metadata`` dict.
    """
    arrays, scan_index, metadata = _read_members(Path(path))
    _check_contract(arrays, scan_index)
    diffraction, n = arrays["diffraction"], len(arrays["diffraction"])
    positions = np.stack([arrays["ycoords"], arrays["xcoords"]], axis=1).astype(np.float64)
    return {
        "diffraction": diffraction.astype(np.float32),
        "probe": arrays["probeGuess"].astype(np.complex64),
        "object": arrays["objectGuess"].astype(np.complex64),
        "positions": positions,
        "scan_index": np.arange(n) if scan_index is None else scan_index.astype(np.int64),
        "metadata": metadata,
    }


#: NPZ layouts: PtychoPINN's contract (patterns first, the default) and the one Ptychodus's
#: SLAC NPZ reader expects (patterns last, ``xcoords_start`` / ``ycoords_start``)
LAYOUTS = ("ptychopinn", "ptychodus-slac")


def export_npz(
    ds: xr.Dataset,
    path: str | Path,
    indices: np.ndarray | None = None,
    layout: str = "ptychopinn",
    geometry: Geometry | None = None,
) -> Path:
    """Write a dose dataset in PtychoPINN's contract; amplitude = √counts (float32).

    ``indices`` (int, pattern indices into the dataset, e.g. a view's split) exports those
    patterns only, in that order; ``scan_index`` then holds them, and ``_metadata`` names
    their split labels. ``layout="ptychodus-slac"`` writes ``diffraction`` as (N, N, n)
    (patterns last) and adds ``xcoords_start`` / ``ycoords_start`` (the same centres), as
    Ptychodus's SLAC NPZ readers expect; ``geometry`` adds ``photon_energy_eV``,
    ``detector_distance_m`` and ``detector_pixel_size_m``, from which Ptychodus converts the
    pixel coordinates to metres. Returns the written path (``.npz`` is appended when missing,
    as numpy does).
    """
    if layout not in LAYOUTS:
        raise NPZContractError(f"layout: unknown NPZ layout {layout!r}; choose from {LAYOUTS}")
    path = Path(path).with_suffix(".npz")
    indices, counts = selected_patterns(ds, indices)
    if indices.size == 0:
        raise NPZContractError(f"{path}: no patterns to export (the selection is empty)")
    positions = ds["positions"].values[indices]
    metadata = {
        "source": "fly64",
        "dose_photons_per_pattern": float(ds.attrs["dose"]),
        "simulation_seed": int(ds.attrs["simulation_seed"]),
        "footprint_px": float(ds.attrs["footprint_px"]),
        "diffraction_units": "sqrt(photons), fftshift-ed",
        "coords": "window centres in object pixels",
        "split": ds["split"].values[indices].tolist(),
    }
    arrays = {
        "diffraction": np.sqrt(counts.astype(np.float32)),
        "probeGuess": ds["probe"].values,
        "objectGuess": ds["object"].values,
        "xcoords": positions[:, 1].astype(np.float64),
        "ycoords": positions[:, 0].astype(np.float64),
        "scan_index": indices,
    }
    if layout == "ptychodus-slac":
        arrays["diffraction"] = np.ascontiguousarray(arrays["diffraction"].transpose(1, 2, 0))
        arrays["xcoords_start"], arrays["ycoords_start"] = arrays["xcoords"], arrays["ycoords"]
        metadata["layout"] = "ptychodus-slac: diffraction (N, N, n), patterns last"
    if geometry is not None:
        arrays["photon_energy_eV"] = np.float64(geometry.photon_energy_ev)
        arrays["detector_distance_m"] = np.float64(geometry.detector_distance_m)
        arrays["detector_pixel_size_m"] = np.float64(geometry.detector_pixel_m)
    np.savez(path, **arrays, _metadata=np.array(json.dumps(metadata)))
    return path
