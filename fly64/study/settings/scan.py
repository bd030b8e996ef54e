"""The scan a study sets up: its object file, its base raster and each view's spacing cut.

These read only the study's settings (and the object file), so the settings checks
(:mod:`fly64.study.settings.checks`) and the simulate and overlap stages share them.
"""

from typing import TYPE_CHECKING

import numpy as np

from fly64.data.hdf5_inputs import InputFileError, load_object_file
from fly64.overlap.spacing import greedy_min_spacing, packing_bound
from fly64.physics import raster_scan, split_along_y
from fly64.study.settings.types import StudyError

if TYPE_CHECKING:  # typing only: the study model imports the checks, which import this
    from fly64.study.settings.model import Study


def load_object(study: "Study") -> np.ndarray:
    """The object of ``study.object_file``, complex64 (H, W); a bad file is a
    :class:`StudyError` naming ``object_file``, the file and the entry."""
    try:
        return load_object_file(study.object_file)
    except InputFileError as exc:
        raise StudyError(f"object_file: {exc}") from exc


def base_scan(study: "Study", object_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The base raster of a study over an object of ``object_shape`` (H, W) pixels, split along y.

    Returns
    -------
    positions : int64 (n, 2), (y, x) window centres in object pixels, guard band removed.
    split : int8 (n,), 0 train (top) / 1 test (bottom).

    Raises StudyError (naming ``object_size``) when the object cannot hold both splits.
    """
    n = study.patch_size
    positions = raster_scan(
        object_shape, n, study.base_step, jitter=study.scan_jitter, seed=study.simulation_seed
    )
    labels = split_along_y(positions, n, object_shape[0], study.guard_rows)
    keep = labels >= 0
    if not (labels == 0).any() or not (labels == 1).any():
        raise StudyError(
            f"object_size: a {object_shape[0]} px tall object leaves no room for both splits with "
            f"patch_size {n} and guard_rows {study.guard_rows}; use a larger object"
        )
    return positions[keep], labels[keep]


def accept_split(study: "Study", positions: np.ndarray, spacing: float) -> tuple[np.ndarray, int]:
    """The base positions of one split a view keeps, and the most it could keep.

    Parameters
    ----------
    positions : int (m, 2), one split's base scan, (y, x) window centres in object pixels.
    spacing : the view's minimum centre spacing S, pixels.

    Returns
    -------
    accepted : bool (m,), the greedy minimum-spacing cut in the study's seeded random order.
    bound : the geometric packing bound for the split's centre area (an upper bound on any cut).
    """
    accepted = greedy_min_spacing(positions, spacing, order="random", seed=study.subsample_seed)
    extent = np.ptp(positions, axis=0)
    return accepted, packing_bound(float(extent[0]), float(extent[1]), spacing)
