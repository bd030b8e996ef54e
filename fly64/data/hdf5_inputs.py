"""A probe or object from a CXI file or a Ptychodus HDF5 product, validated.

Where each is read: CXI ``/entry_1/image_1/data`` (else ``source_1/illumination``) for the
probe and ``/entry_1/image_2/data`` for the object (:mod:`fly64.data.cxi`); a product's
``probe`` and ``object`` datasets (:mod:`fly64.data.product`). Every problem is an
:class:`InputFileError` naming the file and the entry.
"""

from pathlib import Path

import h5py
import numpy as np

from fly64.data import cxi, product


class InputFileError(ValueError):
    """A probe or object file that cannot drive a study (message: file, entry, problem)."""


def _candidates(h5: h5py.File, part: str) -> list[str]:
    if "entry_1" in h5:
        return [cxi.PROBE, cxi.ILLUMINATION] if part == "probe" else [cxi.OBJECT]
    return [product.PROBE if part == "probe" else product.OBJECT]


def _read(path: str | Path, part: str) -> tuple[np.ndarray, str]:
    """The complex array of ``part`` (``probe`` or ``object``) in an HDF5 file, and its entry."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    if not h5py.is_hdf5(path):
        raise InputFileError(
            f"{path}: not an HDF5 file; a {part} is read from a CXI file or a Ptychodus product"
        )
    try:
        with h5py.File(path, "r") as h5:
            entries = _candidates(h5, part)
            entry = next((e for e in entries if isinstance(h5.get(e), h5py.Dataset)), None)
            if entry is None:
                kind = "CXI file" if "entry_1" in h5 else "Ptychodus product"
                raise InputFileError(
                    f"{path}: no {part} in this {kind}: entry {' or '.join(entries)} is missing"
                )
            array = h5[entry][()]
    except (OSError, KeyError) as exc:
        raise InputFileError(f"{path}: cannot be read as HDF5 ({exc})") from exc
    if not np.iscomplexobj(array):
        raise InputFileError(f"{path}: {entry} must be complex, got dtype {array.dtype}")
    if not np.isfinite(array).all():
        raise InputFileError(f"{path}: {entry} holds NaN or infinite values")
    return array, entry


def load_probe_file(path: str | Path, n: int) -> np.ndarray:
    """The probe of a CXI file or Ptychodus product, complex64 (N, N), scaled to Σ|P|² = 1
    (the built-in probe's convention; simulation scales it to each dose).

    ``n`` is the study's patch size N. A probe of several modes, of another side than N, or
    without power is an :class:`InputFileError`.
    """
    array, entry = _read(path, "probe")
    shape = array.shape
    modes = int(np.prod(shape[:-2])) if array.ndim >= 2 else 0
    if array.ndim not in (2, 3, 4) or shape[-1] != shape[-2]:
        raise InputFileError(f"{path}: {entry} must be a square probe (…, N, N), got {shape}")
    if shape[-1] != n:
        raise InputFileError(
            f"{path}: {entry} is {modes} mode(s) of {shape[-1]} × {shape[-2]} px; "
            f"the study's patch_size is {n} px"
        )
    if modes != 1:
        raise InputFileError(
            f"{path}: {entry} holds {modes} probe modes {shape}; fly64 simulates one coherent "
            "mode: save the dominant mode alone"
        )
    probe = array.reshape(n, n).astype(np.complex64)
    power = float(np.sum(np.abs(probe) ** 2))
    if not power > 0:
        raise InputFileError(f"{path}: {entry} is zero everywhere")
    return (probe / np.sqrt(power)).astype(np.complex64)


def load_object_file(path: str | Path) -> np.ndarray:
    """The object of a CXI file or Ptychodus product, complex64 (H, W) (one layer)."""
    array, entry = _read(path, "object")
    if array.ndim == 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        raise InputFileError(f"{path}: {entry} must be one 2-D layer (H, W), got {array.shape}")
    return array.astype(np.complex64)
