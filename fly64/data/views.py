"""Overlap views on disk: index arrays into a dose dataset, groups, and spacing diagnostics.

A view never copies patterns: ``indices[split]`` are int64 pattern indices into the dose
dataset (sorted ascending), ``groups[split][gridsize]`` are (n_groups, C) pattern indices
(also into the dose dataset) whose first column is the group's anchor position, and
``diagnostics[split]`` maps names to scalars or arrays (spacing statistics, histograms,
acceptance mask over the split's base positions, coverage map …).

Each array member of the .npz carries the CRC-32 zip records when it is written; reading
checks it, so a truncated or changed view file is a :class:`ViewError`, never wrong indices.
"""

import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fly64.data.atomic import write_bytes_atomic
from fly64.data.store import view_name

SPLITS = ("train", "test")
SPLIT_LABEL = {"train": 0, "test": 1}


class ViewError(ValueError):
    """A view file that cannot be read back as written (truncated, changed or not a view)."""


@dataclass
class ViewRecord:
    """One overlap view of one dose (see the module docstring for the arrays)."""

    dose: float
    view: str
    spacing: float  # minimum centre spacing S, pixels
    settings_hash: str
    indices: dict[str, np.ndarray]
    groups: dict[str, dict[int, np.ndarray]] = field(default_factory=dict)
    diagnostics: dict[str, dict] = field(default_factory=dict)


def save_view(path: Path, record: ViewRecord) -> None:
    """Write a view atomically as one .npz (arrays) with a JSON header (scalars)."""
    arrays, scalars = {}, {}
    for split, idx in record.indices.items():
        arrays[f"indices__{split}"] = np.asarray(idx, np.int64)
    for split, by_size in record.groups.items():
        for gridsize, groups in by_size.items():
            arrays[f"groups__{split}__{gridsize}"] = np.asarray(groups, np.int64)
    for split, diag in record.diagnostics.items():
        for name, value in diag.items():
            if isinstance(value, np.ndarray):
                arrays[f"diag__{split}__{name}"] = value
            else:
                scalars.setdefault(split, {})[name] = value
    header = {
        "dose": record.dose,
        "view": record.view,
        "spacing": record.spacing,
        "settings_hash": record.settings_hash,
        "scalars": scalars,
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, header=np.array(json.dumps(header, default=float)), **arrays)
    write_bytes_atomic(Path(path), buffer.getvalue())


def load_view(path: Path) -> ViewRecord:
    """Read a view written by :func:`save_view` (:class:`ViewError` when it is damaged, or
    when a store's view holds another dose or view than its path ``dose-<tag>/<view>.npz``)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no overlap view at {path}: run `fly64 overlap` first")
    try:
        record = _read_view(path)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ViewError(
            f"overlap view {path} is damaged ({type(exc).__name__}: {exc}); {_recut_hint(path)}"
        ) from exc
    held = view_name(record.dose, record.view)
    if path.parent.name.startswith("dose-") and held != f"{path.parent.name}/{path.name}":
        raise ViewError(
            f"overlap view {path} holds view {record.view!r} of dose {record.dose:g}, not the one "
            f"its path says: it is a copy of {held}; {_recut_hint(path)}"
        )
    return record


def _recut_hint(path: Path) -> str:
    return (
        f"cut it again with `fly64 overlap --store {path.parents[2]} "
        f"--dose {path.parent.name.removeprefix('dose-')} "
        f"--view {path.stem}` (`fly64 run` re-cuts it too)"
    )


def _read_view(path: Path) -> ViewRecord:
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(str(data["header"]))
        record = ViewRecord(
            header["dose"], header["view"], header["spacing"], header["settings_hash"], {}
        )
        for split, scalars in header["scalars"].items():
            record.diagnostics.setdefault(split, {}).update(scalars)
        for key in data.files:
            kind, *rest = key.split("__")
            if kind == "indices":
                record.indices[rest[0]] = data[key]
            elif kind == "groups":
                record.groups.setdefault(rest[0], {})[int(rest[1])] = data[key]
            elif kind == "diag":
                record.diagnostics.setdefault(rest[0], {})[rest[1]] = data[key]
    return record
