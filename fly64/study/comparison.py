"""The comparison that :mod:`fly64.study.compare` wrote, read back: its files, the metrics cube,
the tables derived from it, and whether it still matches the store.

The comparison's files, under ``store.results_dir``:

``metrics.nc``
    the cube, an xarray Dataset with one variable ``value`` of dims
    (dose, view, method, seed, part, metric) — metric one of :data:`CUBE_METRICS`, method is
    the cell label (``pinn_gs1``, ``pinn_gs2``, ``lsqml`` …, with a ``gridsize`` coordinate),
    NaN where a cell is not finished (netCDF4 via h5netcdf). Each cell's timing
    (:data:`~fly64.study.results.TIMING_FIELDS`: training seconds, inference seconds for the
    whole test split, test patterns per second) rides along as coordinates of dims (dose,
    view, method, seed), like ``gridsize`` does along method: NaN where a cell is not scored
    or its result predates the timing fields;
``metrics.csv``
    the same values, tidy: dose, view, gridsize, method, seed, part, metric, value
    (scored cells only); the timing fields are rows with part ``time``;
``frc.csv``
    FRC curves: dose, view, gridsize, method, seed, part, frequency (cycles/pixel), frc,
    halfbit (the ½-bit threshold curve);
``figures/*.png``
    see :mod:`fly64.study.figures`.

Each finished cell's job directory also gets ``metrics.json`` (the scores with FRC curves).
"""

import io
import json
import math

import numpy as np
import pandas as pd
import xarray as xr

from fly64.data.store import Store
from fly64.metrics import METRICS, PARTS
from fly64.study.cells import Cell
from fly64.study.jobs import RERUN, JobState
from fly64.study.model import BASELINES, Study, StudyError
from fly64.study.registry import Registry, finished_cells
from fly64.study.results import RESULT, TIMING_FIELDS

CUBE, TABLE, FRC_TABLE, FIGURES, CELL_METRICS = (
    "metrics.nc",
    "metrics.csv",
    "frc.csv",
    "figures",
    "metrics.json",
)
DIMS = ("dose", "view", "method", "seed", "part", "metric")
#: the cube's metrics: :data:`fly64.metrics.METRICS` and the local correlation inside each
#: test footprint (:func:`fly64.metrics.local_correlation`)
CUBE_METRICS = (*METRICS, "local_correlation")
TABLE_COLUMNS = ["dose", "view", "gridsize", "method", "seed", "part", "metric", "value"]
FRC_COLUMNS = ["dose", "view", "gridsize", "method", "seed", "part", "frequency", "frc", "halfbit"]
#: the tidy table's ``part`` of the timing rows (the cube's own parts are amplitude and phase)
TIME_PART = "time"
CELL_KEYS = ["dose", "view", "method", "seed"]


class NoResultsError(StudyError):
    """The store has nothing to compare or report yet."""


def method_labels(study: Study) -> list[str]:
    """Cube methods in study order: ``pinn_gs<g>`` per gridsize, then each baseline."""
    labels = []
    for method in study.methods:
        if method == "pinn":
            labels += [f"pinn_gs{g}" for g in study.gridsizes]
        else:
            labels.append(method)
    return labels


def gridsize_of(label: str) -> int:
    """The gridsize a method label carries (baselines: 1)."""
    return int(label.removeprefix("pinn_gs")) if label.startswith("pinn_gs") else 1


def empty_cube(study: Study) -> xr.DataArray:
    """An all-NaN cube over the study's grid (see the module docstring)."""
    labels = method_labels(study)
    coords = {
        "dose": [float(d) for d in study.doses],
        "view": list(study.views),
        "method": labels,
        "seed": list(study.repeats),
        "part": list(PARTS),
        "metric": list(CUBE_METRICS),
    }
    shape = tuple(len(coords[d]) for d in DIMS)
    cube = xr.DataArray(np.full(shape, np.nan), dims=DIMS, coords=coords, name="value")
    return _with_timing(cube.assign_coords(gridsize=("method", [gridsize_of(m) for m in labels])))


def _with_timing(cube: xr.DataArray) -> xr.DataArray:
    """The cube with every timing coordinate it lacks added as NaN (dims dose,
    view, method, seed).
    """
    cell = xr.full_like(cube.isel(part=0, metric=0, drop=True), np.nan).drop_vars(
        ["gridsize", *TIMING_FIELDS], errors="ignore"
    )
    return cube.assign_coords({f: cell.copy() for f in TIMING_FIELDS if f not in cube.coords})


def load_cube(store: Store) -> xr.DataArray:
    """The cube written by :func:`~fly64.study.compare.compare_study` (:class:`NoResultsError`
    when there is none)."""
    path = store.results_dir / CUBE
    if not path.is_file():
        raise NoResultsError(
            f"no comparison in {store.root}: run `fly64 compare --store {store.root}` first"
        )
    with xr.open_dataset(io.BytesIO(path.read_bytes()), engine="h5netcdf") as ds:
        return _with_timing(ds["value"].load())  # a comparison older than the timing fields: NaN


def result_stamp(store: Store, cell: Cell) -> int:
    """When a finished cell's result was written (ns): a re-run cell gets a new stamp."""
    return (store.job_dir(cell.job_id) / RESULT).stat().st_mtime_ns


def stale_reasons(study: Study, store: Store, cube: xr.DataArray) -> list[str]:
    """Why the stored comparison no longer matches the store (empty when it does).

    It is stale when evaluation settings changed, or when a cell finished, was re-run,
    lost its result or was damaged after the comparison was made.
    """
    reasons = []
    if cube.attrs.get("settings_hash") != study.settings_hash("evaluate"):
        reasons.append("the evaluation settings changed since the comparison")
    compared = json.loads(cube.attrs.get("results", "{}"))
    now = {cell.job_id: result_stamp(store, cell) for cell in finished_cells(study, store)}
    gone = [j for j in compared if j not in now]
    registry = Registry(store)
    damaged = [j for j in gone if (job := registry.get(j)) and job.state == JobState.DAMAGED]
    for label, ids in (
        ("finished after it", [j for j in now if j not in compared]),
        ("were re-run after it", [j for j in now if j in compared and now[j] != compared[j]]),
        (f"are damaged ({RERUN})", damaged),
        ("are no longer finished", [j for j in gone if j not in damaged]),
    ):
        if ids:
            reasons.append(
                f"{len(ids)} cell(s) {label}: {', '.join(sorted(ids)[:3])}"
                + (" …" if len(ids) > 3 else "")
            )
    return reasons


def scored_cells(cube: xr.DataArray) -> pd.DataFrame:
    """dose, view, method and seed of the cells the cube scored (any metric not NaN)."""
    present = cube.notnull().any(["part", "metric"]).reset_coords(drop=True)
    frame = present.to_dataframe(name="present").reset_index()
    return frame.loc[frame["present"], CELL_KEYS].reset_index(drop=True)


def timing_dataset(cube: xr.DataArray) -> xr.Dataset:
    """The cube's timing coordinates as variables :data:`TIMING_FIELDS` of dims (dose,
    view, method, seed).
    """
    return cube.coords.to_dataset().reset_coords(list(TIMING_FIELDS))[list(TIMING_FIELDS)]


def timing_table(cube: xr.DataArray) -> pd.DataFrame:
    """The timing of every scored cell.

    Columns: dose, view, gridsize, method, seed and :data:`TIMING_FIELDS` (seconds, and
    test patterns per second of inference; NaN where the cell's result did not record them).
    """
    frame = timing_dataset(cube).to_dataframe().reset_index()
    frame = frame.merge(scored_cells(cube), on=CELL_KEYS)
    return frame[["dose", "view", "gridsize", "method", "seed", *TIMING_FIELDS]]


def quality_time(
    cube: xr.DataArray, part: str = "phase", metric: str = "correlation"
) -> pd.DataFrame:
    """One metric against the timing per dose, view and method, mean over repeat seeds.

    Columns: dose, view, gridsize, method, ``metric`` and :data:`TIMING_FIELDS`; one row
    per scored (dose, view, method), in cube order (the means skip NaN).
    """
    frame = timing_table(cube)
    scores = (
        cube.sel(part=part, metric=metric)
        .reset_coords(drop=True)
        .to_dataframe(name=metric)
        .reset_index()
    )
    frame = frame.merge(scores, on=CELL_KEYS)
    means = frame.groupby(["dose", "view", "gridsize", "method"], sort=False)[
        [metric, *TIMING_FIELDS]
    ].mean()
    return means.reset_index()


def tidy_table(cube: xr.DataArray) -> pd.DataFrame:
    """The scored cells' entries as rows (see :data:`TABLE_COLUMNS`), in cube order.

    A cell counts as scored when any of its metrics is not NaN (an ``inf`` PSNR or a NaN
    metric of a flat part stays in the table). Each scored cell also has one row per timing
    field (part :data:`TIME_PART`, metric the field; NaN when not recorded).
    """
    quality = cube.reset_coords(list(TIMING_FIELDS), drop=True).to_dataframe().reset_index()
    timing = (
        timing_table(cube)
        .melt(
            id_vars=["dose", "view", "gridsize", "method", "seed"],
            var_name="metric",
            value_name="value",
        )
        .assign(part=TIME_PART)
    )
    frame = pd.concat([quality.merge(scored_cells(cube), on=CELL_KEYS), timing], ignore_index=True)
    order = {key: {v: i for i, v in enumerate(cube[key].values.tolist())} for key in CELL_KEYS}
    frame = frame.sort_values(
        CELL_KEYS, key=lambda column: column.map(order[column.name]), kind="stable"
    )
    return frame[TABLE_COLUMNS].reset_index(drop=True)


def _pinn_against_baselines(
    values: xr.DataArray, combine, names: tuple[str, str, str]
) -> pd.DataFrame:
    """``combine(pinn, baseline)`` for every PINN gridsize and baseline of ``values`` (dim method).

    Columns: the other dims of ``values`` with gridsize and baseline after the first two, then
    ``names`` (PINN value, baseline value, combined); rows only where the combination is finite.
    """
    methods = list(values["method"].values)
    values = values.drop_vars("gridsize", errors="ignore")
    keys = [d for d in values.dims if d != "method"]
    columns = [*keys[:2], "gridsize", "baseline", *keys[2:], *names]
    frames = []
    for pinn in (m for m in methods if m.startswith("pinn_gs")):
        for base in (m for m in methods if m in BASELINES):
            a, b = (
                values.sel({"method": m}, drop=True) for m in (pinn, base)
            )  # "method" is also a sel keyword
            frame = (
                xr.Dataset(dict(zip(names, (a, b, combine(a, b)), strict=True)))
                .to_dataframe()
                .reset_index()
            )
            frames.append(frame.assign(gridsize=gridsize_of(pinn), baseline=base)[columns])
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True)
    finite = table[names[2]].map(lambda v: math.isfinite(v))
    return table[finite].reset_index(drop=True)


def differences(cube: xr.DataArray) -> pd.DataFrame:
    """PINN − baseline per dose, view, PINN gridsize, baseline, seed, part and metric.

    Columns: dose, view, gridsize, baseline, seed, part, metric, pinn, baseline_value,
    difference; rows only where both values are finite. Quality metrics only: the timing
    compares as a ratio (:func:`speedups`).
    """
    quality = cube.reset_coords(list(TIMING_FIELDS), drop=True)
    return _pinn_against_baselines(
        quality, lambda a, b: a - b, ("pinn", "baseline_value", "difference")
    )


def speedups(cube: xr.DataArray) -> pd.DataFrame:
    """The PINN's inference speed-up over each baseline: baseline seconds / PINN seconds.

    Both reconstruct the same test split (the PINN: forward passes and stitching; the
    baseline: its whole iterative reconstruction). Columns: dose, view, gridsize, baseline,
    seed, pinn_seconds, baseline_seconds, speedup; rows only where both times are recorded.
    """
    seconds = timing_dataset(cube)["inference_seconds"]
    return _pinn_against_baselines(
        seconds, lambda a, b: b / a, ("pinn_seconds", "baseline_seconds", "speedup")
    )
