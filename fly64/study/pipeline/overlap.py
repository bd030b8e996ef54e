"""The overlap stage: cut the views of each dose's scan, group their positions, check spacing."""

from collections.abc import Callable

import numpy as np
import xarray as xr

from fly64.data.dataset import open_dose_dataset
from fly64.data.store import Store
from fly64.data.views import SPLIT_LABEL, ViewRecord, load_view, save_view
from fly64.overlap.grouping import neighbour_groups
from fly64.overlap.metrics import (
    coverage_map,
    covered_fraction,
    disc_overlap_fraction,
    linear_overlap,
)
from fly64.overlap.spacing import (
    nearest_neighbour_distances,
    spacing_stats,
)
from fly64.study.settings.methods import Method
from fly64.study.settings.model import Study, StudyError
from fly64.study.settings.scan import accept_split

HIST_BINS = 40


class InfeasibleViewError(StudyError):
    """A view whose spacing cannot keep the positions a method needs."""


def _split_diagnostics(positions, mask, spacing, footprint, probe_intensity, object_shape, bins):
    kept = positions[mask]
    base_nn = nearest_neighbour_distances(positions)
    view_nn = nearest_neighbour_distances(kept)
    coverage = coverage_map(kept, probe_intensity, object_shape)
    diag = {
        "spacing_threshold": spacing,
        "accepted": int(mask.sum()),
        "rejected": int((~mask).sum()),
        "acceptance_mask": mask,
        "base_positions": positions,
        "footprint_px": footprint,
        "disc_overlap_mean": float(np.mean(disc_overlap_fraction(view_nn, footprint))),
        "linear_overlap_median": float(np.median(linear_overlap(view_nn, footprint))),
        "coverage": coverage.astype(np.float32),
        "covered_fraction": float(covered_fraction(coverage)),
        "nn_view": view_nn,
    }
    for prefix, distances in (("base_nn", base_nn), ("view_nn", view_nn)):
        stats = spacing_stats(distances, bins)
        for key, value in stats.items():
            diag[f"{prefix}_{key}"] = value if np.ndim(value) == 0 else np.asarray(value)
    return diag


def cut_view(study: Study, ds: xr.Dataset, view: str) -> ViewRecord:
    """Cut one view of one dose dataset for both splits; raise when it is infeasible."""
    dose = float(ds.attrs["dose"])
    spacing = study.spacing(view)
    positions = ds["positions"].values
    split = ds["split"].values
    probe_intensity = np.abs(ds["probe"].values) ** 2
    footprint = float(ds.attrs["footprint_px"])
    object_shape = (ds.sizes["y"], ds.sizes["x"])
    bins = np.linspace(0, max(2.5 * spacing, 1.0), HIST_BINS + 1)
    record = ViewRecord(dose, view, spacing, study.settings_hash("overlap"), {})
    for name, label in SPLIT_LABEL.items():
        members = np.flatnonzero(split == label)
        pos = positions[members]
        mask, bound = accept_split(study, pos, spacing)
        extent = np.ptp(pos, axis=0)
        kept = int(mask.sum())
        if kept < study.min_positions:
            raise InfeasibleViewError(
                f"dose {dose:g}, view {view!r} (S = {spacing:.1f} px), {name} split: spacing keeps "
                f"{kept} positions but methods need min_positions = {study.min_positions} (the "
                f"geometric bound for this split's {extent[0]}×{extent[1]} px centre area is "
                f"{bound}); use a larger object_size, a higher overlap fraction (smaller S), "
                f"fewer min_positions, or another preset"
            )
        diag = _split_diagnostics(
            pos, mask, spacing, footprint, probe_intensity, object_shape, bins
        )
        diag.update(bound=int(bound), needed=study.min_positions)
        record.indices[name] = members[mask]
        record.diagnostics[name] = diag
        if Method.PINN in study.methods:
            record.groups[name] = {}
            for gridsize in study.gridsizes:
                size = gridsize**2
                n_groups = kept * (study.groups_per_position if size > 1 else 1)
                groups = neighbour_groups(
                    pos[mask],
                    size,
                    study.neighbor_count if size > 1 else 1,
                    n_groups=n_groups,
                    seed=study.grouping_seed,
                )
                record.groups[name][gridsize] = members[mask][groups]
    return record


def is_cut(store: Store, study: Study, dose: float, view: str) -> bool:
    path = store.view_path(dose, view)
    try:
        return load_view(path).settings_hash == study.settings_hash("overlap")
    except (FileNotFoundError, ValueError, KeyError):
        return False


def load_current_view(
    store: Store, study: Study, dose: float, view: str, before: str
) -> ViewRecord:
    """A view cut with the study's current settings (StudyError naming ``before`` otherwise)."""
    record = load_view(store.view_path(dose, view))
    if record.settings_hash != study.settings_hash("overlap"):
        raise StudyError(
            f"view {view!r} of dose {dose:g} was cut with other settings; "
            f"run `fly64 overlap` again before {before}"
        )
    return record


def cut_views(
    study: Study, store: Store, doses=None, views=None, progress: Callable | None = None
) -> list[tuple[ViewRecord, bool]]:
    """Cut (or reuse) every requested view; returns (record, reused) pairs.

    Feasibility is checked for every requested view before anything is written, so an
    infeasible view stops the phase without leaving part of the views from other settings.
    """
    doses = study.doses if doses is None else doses
    views = list(study.views) if views is None else views
    for view in views:
        study.spacing(view)  # unknown view → StudyError
    out = []
    for dose in doses:
        ds = open_dose_dataset(store.dose_path(dose))
        for view in views:
            if is_cut(store, study, dose, view):
                out.append((load_view(store.view_path(dose, view)), True))
            else:
                out.append((cut_view(study, ds, view), False))
            if progress is not None:
                progress(dose, view)
    for record, reused in out:
        if not reused:
            save_view(store.view_path(record.dose, record.view), record)
    return out
