"""Read-only accessors of a store's overlap views for display (the scan & overlap page,
notebooks): which views are cut, one view's positions and diagnostics, the object region a
split's windows touch.

Nothing here computes a result of the study: these functions read what the overlap stage
wrote. Positions are (y, x) window centres in object pixels.
"""

from dataclasses import dataclass

import numpy as np

from fly64.data.store import Store
from fly64.data.views import SPLIT_LABEL, load_view
from fly64.study.display.store_summary import dose_dataset
from fly64.study.pipeline.overlap import is_cut
from fly64.study.settings.model import Study


def available_views(store: Store, study: Study, dose: float) -> list[str]:
    """The study's views of ``dose`` that are on disk with the study's overlap settings."""
    return [view for view in study.views if is_cut(store, study, dose, view)]


@dataclass(frozen=True)
class OverlapSummary:
    """What the scan & overlap page shows of one view of one dose and one split.

    positions : int64 (n, 2) the view's positions, (y, x) window centres in object pixels.
    base_positions : int64 (m, 2) the split's base-scan positions the view was cut from.
    accepted : bool (m,), True where a base position was kept by the spacing filter.
    object_amplitude : float32 (H, W), ground-truth |O| for the backdrop.
    diagnostics : the view's spacing / overlap diagnostics for this split (see
        :func:`fly64.study.pipeline.overlap.cut_view`).
    """

    dose: float
    view: str
    split: str
    spacing: float
    footprint_px: float
    positions: np.ndarray
    base_positions: np.ndarray
    accepted: np.ndarray
    object_amplitude: np.ndarray
    diagnostics: dict


def overlap_summary(store: Store, dose: float, view: str, split: str) -> OverlapSummary:
    """Positions, acceptance and diagnostics of one view and split
    (FileNotFoundError when not cut).
    """
    record = load_view(store.view_path(dose, view))
    if split not in record.indices:
        raise KeyError(f"view {view!r} of dose {dose:g} has no split {split!r}")
    ds = dose_dataset(store, dose)
    diag = record.diagnostics[split]
    positions = ds["positions"].values[record.indices[split]]
    return OverlapSummary(
        dose,
        view,
        split,
        float(record.spacing),
        float(ds.attrs["footprint_px"]),
        positions,
        np.asarray(diag["base_positions"]),
        np.asarray(diag["acceptance_mask"], bool),
        np.abs(ds["object"].values).astype(np.float32),
        diag,
    )


def split_box(store: Store, dose: float, split: str = "test") -> tuple[slice, slice]:
    """Rows and columns of the object touched by the windows of one split's positions.

    Positions are (y, x) window centres; the window of centre c spans [c − N//2, c − N//2 + N).
    """
    ds = dose_dataset(store, dose)
    positions = ds["positions"].values[ds["split"].values == SPLIT_LABEL[split]]
    n = int(ds.attrs["patch_size"])
    first = positions.min(axis=0) - n // 2
    last = positions.max(axis=0) - n // 2 + n
    return slice(int(first[0]), int(last[0])), slice(int(first[1]), int(last[1]))
