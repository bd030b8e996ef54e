"""The comparison that :mod:`fly64.study.pipeline.compare` wrote, read back: its files, the metrics
cube and whether it still matches the store (the tables derived from the cube are
:mod:`fly64.study.records.cube_tables`).

The comparison's files, under ``store.results_dir``:

``metrics.nc``
    the cube, an xarray Dataset with one variable ``value`` of dims
    (dose, view, method, seed, part, metric) — metric one of :data:`CUBE_METRICS`, method is
    the cell label (``pinn_gs1``, ``pinn_gs2``, ``lsqml``, ``pinn_gs1+epie`` …, with a
    ``gridsize`` coordinate),
    NaN where a cell is not finished (netCDF4 via h5netcdf). Each cell's timing
    (:data:`~fly64.study.records.cell_result.TIMING_FIELDS`: training seconds, inference seconds for
    the whole test split, test patterns per second) rides along as coordinates of dims (dose,
    view, method, seed), like ``gridsize`` does along method: NaN where a cell is not scored
    or its result predates the timing fields;
``metrics.csv``
    the same values, tidy: dose, view, gridsize, method, seed, part, metric, value
    (scored cells only); the timing fields are rows with part ``time``;
``frc.csv``
    FRC curves: dose, view, gridsize, method, seed, part, frequency (cycles/pixel), frc,
    halfbit (the ½-bit threshold curve);
``best_iterative.csv``
    which baseline the ``best_iterative`` method copies per dose, view and seed, and every
    baseline's selection score
    (:func:`~fly64.study.records.cube_tables.best_iterative_choices`; only with two baselines
    or more);
``warm_start.csv``
    what each refinement's PINN start buys against its flat-start solver
    (:func:`fly64.study.pipeline.warm_start.warm_start_table`; only with refinements);
``figures/*.png``
    see :mod:`fly64.study.pipeline.figures`.

Each finished cell's job directory also gets ``metrics.json`` (the scores with FRC curves;
an iterative cell's also its ``snapshot_curve`` and ``stop_seconds``,
:class:`fly64.study.pipeline.warm_start.Trace`).

Besides the scores of :func:`fly64.metrics.evaluate`, the cube's phase part holds the
shot-noise limit of the cell's data on its evaluation mask (:data:`LIMIT_METRICS`:
photons per pixel and the Cramér–Rao bounds of :func:`fly64.metrics.shot_noise_limit`, which
assume a weak-phase object, a known probe and an unbiased estimator, so a regularised or
learned method may beat the RMSE bound) and what an iterative cell recorded about its stop
(:data:`STOP_METRICS`); the amplitude part holds NaN there. With two baselines or more, the
method ``best_iterative`` is a copy of the baseline cell of the lowest ``selection_score`` per
dose, view and seed (chosen from the data, never from the truth).
"""

import io
import json

import numpy as np
import xarray as xr

from fly64.data.store import (
    CUBE,
    RESULT,
    Store,
)
from fly64.metrics import METRICS, PARTS
from fly64.study.records.cell_result import TIMING_FIELDS
from fly64.study.records.jobs import RERUN, JobState
from fly64.study.records.registry import Registry, finished_cells
from fly64.study.settings.cells import Cell, method_label
from fly64.study.settings.methods import REFINEMENTS, Method
from fly64.study.settings.model import Study, StudyError

DIMS = ("dose", "view", "method", "seed", "part", "metric")
#: properties of the cell's data on its evaluation mask, not of its method (phase part):
#: ``fluence`` median photons per object pixel incident over the test scan, ``rmse_bound``
#: (radians) and ``correlation_bound`` of :class:`fly64.metrics.ShotNoiseLimit`
DATA_METRICS = ("fluence", "rmse_bound", "correlation_bound")
#: the shot-noise limit (phase part): :data:`DATA_METRICS` and ``rmse_ratio``, the measured
#: phase RMSE ÷ ``rmse_bound`` (below 1 only for a biased, e.g. regularised or learned, method)
LIMIT_METRICS = (*DATA_METRICS, "rmse_ratio")
#: what a cell recorded about its stop (phase part, NaN where not recorded):
#: ``oracle_correlation`` the phase correlation of its best object snapshot (iterative cells;
#: chosen by the truth: a diagnostic, not a result), ``stop_epoch`` the epoch its stop rule
#: ended at and ``selection_score`` the score ranking the baselines of one dose, view and seed
#: (lower is better; from the data)
STOP_METRICS = ("oracle_correlation", "stop_epoch", "selection_score")
#: the cube's metrics: :data:`fly64.metrics.METRICS`, the local correlation inside each
#: test footprint (:func:`fly64.metrics.local_correlation`), :data:`LIMIT_METRICS` and
#: :data:`STOP_METRICS`
CUBE_METRICS = (*METRICS, "local_correlation", *LIMIT_METRICS, *STOP_METRICS)
#: the phase scores that have a shot-noise bound, and the bound's metric
PHASE_BOUNDS = {"correlation": "correlation_bound", "rmse": "rmse_bound"}
#: the derived method: per dose, view and seed, the baseline of the lowest selection score
BEST_ITERATIVE = "best_iterative"
TABLE_COLUMNS = ["dose", "view", "gridsize", "method", "seed", "part", "metric", "value"]
FRC_COLUMNS = ["dose", "view", "gridsize", "method", "seed", "part", "frequency", "frc", "halfbit"]
#: the tidy table's ``part`` of the timing rows (the cube's own parts are amplitude and phase)
TIME_PART = "time"
CELL_KEYS = ["dose", "view", "method", "seed"]


class NoResultsError(StudyError):
    """The store has nothing to compare or report yet."""


def method_labels(study: Study) -> list[str]:
    """Cube methods: ``pinn_gs<g>`` per gridsize, each baseline, :data:`BEST_ITERATIVE` when
    the study has two baselines or more, then ``pinn_gs<g>+<solver>`` per refinement and
    gridsize (baselines and refinements in study order)."""
    labels = (
        [method_label(Method.PINN, g) for g in study.gridsizes]
        if Method.PINN in study.methods
        else []
    )
    labels += study.baseline_methods
    labels += [BEST_ITERATIVE] if len(study.baseline_methods) > 1 else []
    refinements = [m for m in study.methods if m in REFINEMENTS]
    return labels + [method_label(m, g) for m in refinements for g in study.gridsizes]


def gridsize_of(label: str) -> int:
    """The gridsize a method label carries (``pinn_gs2``, ``pinn_gs2+epie``: 2; baselines: 1)."""
    if not label.startswith("pinn_gs"):
        return 1
    return int(label.removeprefix("pinn_gs").partition("+")[0])


def is_refinement(label: str) -> bool:
    """Whether a method label is a PINN-initialised refinement (``pinn_gs<g>+<solver>``)."""
    return label.startswith("pinn_gs") and "+" in label


def is_pinn(label: str) -> bool:
    """Whether a method label is the PINN alone (``pinn_gs<g>``, not a refinement of it)."""
    return label.startswith("pinn_gs") and not is_refinement(label)


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
    """The cube written by :func:`~fly64.study.pipeline.compare.compare_study`
    (:class:`NoResultsError` when there is none)."""
    path = store.results_dir / CUBE
    if not path.is_file():
        raise NoResultsError(
            f"no comparison in {store.root}: run `fly64 compare --store {store.root}` first"
        )
    with xr.open_dataset(io.BytesIO(path.read_bytes()), engine="h5netcdf") as ds:
        cube = ds["value"].load()
    # a comparison older than the timing fields or than some metrics: NaN there
    return _with_timing(cube.reindex(metric=list(CUBE_METRICS)))


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
