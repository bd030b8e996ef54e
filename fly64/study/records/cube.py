"""The comparison that :mod:`fly64.study.pipeline.compare` wrote, read back: its files, the metrics
cube, the tables derived from it, and whether it still matches the store.

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
    baseline's selection score (:func:`best_iterative_choices`; only with two baselines or more);
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
import math

import numpy as np
import pandas as pd
import xarray as xr

from fly64.data.store import Store
from fly64.metrics import METRICS, PARTS, frc_bands
from fly64.study.records.cell_result import RESULT, TIMING_FIELDS
from fly64.study.records.jobs import RERUN, JobState
from fly64.study.records.registry import Registry, finished_cells
from fly64.study.settings.cells import Cell, method_label
from fly64.study.settings.model import BASELINES, REFINEMENTS, Study, StudyError

CUBE, TABLE, FRC_TABLE, FIGURES, CELL_METRICS = (
    "metrics.nc",
    "metrics.csv",
    "frc.csv",
    "figures",
    "metrics.json",
)
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
BEST_TABLE = "best_iterative.csv"
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
    labels = [method_label("pinn", g) for g in study.gridsizes] if "pinn" in study.methods else []
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


def frc_band_table(curves: pd.DataFrame, part: str = "phase") -> pd.DataFrame:
    """Mean FRC against the truth per period band (:data:`fly64.metrics.PERIOD_BANDS`) of
    each scored cell: which spatial scales a method gets right.

    ``curves`` has the columns of ``frc.csv``; returns one row per dose, view, method and
    seed with one column per band (empty when ``curves`` is).
    """
    keys = ["dose", "view", "method", "seed"]
    if curves.empty:
        return pd.DataFrame(columns=keys)
    rows = [
        {**dict(zip(keys, key, strict=True)), **frc_bands(group["frequency"], group["frc"])}
        for key, group in curves[curves["part"] == part].groupby(keys, sort=False)
    ]
    return pd.DataFrame(rows)


def best_iterative_choices(cube: xr.DataArray) -> pd.DataFrame:
    """The baseline :data:`BEST_ITERATIVE` copies per dose, view and seed: the scored baseline
    cell of the lowest finite ``selection_score`` (the first in cube order on a tie).

    Columns: dose, view, seed, chosen (None where no scored baseline recorded a selection
    score), ``selection_score_<baseline>`` per baseline of the cube (NaN where that cell is
    not scored or recorded none); one row per dose, view and seed with a scored baseline, in
    cube order; no rows when the cube has no :data:`BEST_ITERATIVE` method.
    """
    methods = cube["method"].values.tolist()
    baselines = [m for m in methods if m in BASELINES]
    columns = ["dose", "view", "seed", "chosen", *(f"selection_score_{m}" for m in baselines)]
    if BEST_ITERATIVE not in methods:
        return pd.DataFrame(columns=columns)
    candidates = cube.sel({"method": baselines})
    frame = (
        candidates.sel(part="phase", metric="selection_score")
        .reset_coords(drop=True)
        .to_dataframe(name="score")
        .reset_index()
        .merge(scored_cells(candidates), on=CELL_KEYS)
    )
    rows = []
    for (dose, view, seed), group in frame.groupby(["dose", "view", "seed"], sort=False):
        scores = dict(zip(group["method"], group["score"], strict=True))
        finite = {m: v for m, v in scores.items() if math.isfinite(v)}
        rows.append(
            {
                "dose": dose,
                "view": view,
                "seed": seed,
                "chosen": min(finite, key=finite.get) if finite else None,
                **{f"selection_score_{m}": scores.get(m, math.nan) for m in baselines},
            }
        )
    return pd.DataFrame(rows, columns=columns)


def shot_noise_limits(cube: xr.DataArray) -> pd.DataFrame:
    """The shot-noise limit per dose and view: :data:`DATA_METRICS` of the phase part, mean
    over the scored methods and seeds (their evaluation masks may differ slightly).

    Columns: dose, view, ``fluence`` (photons per object pixel), ``rmse_bound`` (rad),
    ``correlation_bound``; rows only where the fluence is known, in cube order.
    """
    limits = (
        cube.sel(part="phase", metric=list(DATA_METRICS))
        .reset_coords(drop=True)
        .mean(["method", "seed"], skipna=True)
    )
    frame = limits.to_dataset("metric").to_dataframe().reset_index()
    return frame.dropna(subset=["fluence"]).reset_index(drop=True)[["dose", "view", *DATA_METRICS]]


#: the phase scores shown beside their limit, per cell (:func:`phase_against_limit`)
AGAINST_LIMIT = (
    "correlation",
    "correlation_bound",
    "oracle_correlation",
    "stop_epoch",
    "rmse",
    "rmse_bound",
    "rmse_ratio",
    "fluence",
)


def phase_against_limit(cube: xr.DataArray) -> pd.DataFrame:
    """Each scored cell's phase correlation and RMSE beside their shot-noise bounds, its
    oracle and stop epoch (NaN where not recorded).

    Columns: dose, view, method, seed and :data:`AGAINST_LIMIT`; rows in cube order.
    """
    values = cube.sel(part="phase", metric=list(AGAINST_LIMIT)).reset_coords(drop=True)
    frame = values.to_dataset("metric").to_dataframe().reset_index()
    return frame.merge(scored_cells(cube), on=CELL_KEYS)[[*CELL_KEYS, *AGAINST_LIMIT]]


def _pinn_against_baselines(
    values: xr.DataArray, combine, names: tuple[str, str, str]
) -> pd.DataFrame:
    """``combine(pinn, baseline)`` for every PINN gridsize (not its refinements) and baseline of
    ``values`` (dim method).

    Columns: the other dims of ``values`` with gridsize and baseline after the first two, then
    ``names`` (PINN value, baseline value, combined); rows only where the combination is finite.
    """
    methods = list(values["method"].values)
    values = values.drop_vars("gridsize", errors="ignore")
    keys = [d for d in values.dims if d != "method"]
    columns = [*keys[:2], "gridsize", "baseline", *keys[2:], *names]
    frames = []
    for pinn in filter(is_pinn, methods):
        for base in (m for m in methods if m in (*BASELINES, BEST_ITERATIVE)):
            a, b = (
                values.sel({"method": m}, drop=True) for m in (pinn, base)
            )  # "method" is also a sel keyword
            frame = (
                xr.Dataset(dict(zip(names, (a, b, combine(a, b)), strict=True)))
                .to_dataframe()
                .reset_index()
            )
            frames.append(frame.assign(gridsize=gridsize_of(pinn), baseline=base)[columns])
    if not frames:  # typed like a filled table: numeric filters work on it
        return pd.DataFrame(columns=columns).astype({name: float for name in names})
    table = pd.concat(frames, ignore_index=True)
    finite = table[names[2]].map(lambda v: math.isfinite(v))
    return table[finite].reset_index(drop=True)


def differences(cube: xr.DataArray) -> pd.DataFrame:
    """PINN − baseline per dose, view, PINN gridsize, baseline, seed, part and metric.

    Columns: dose, view, gridsize, baseline, seed, part, metric, pinn, baseline_value,
    difference; rows only where both values are finite. Baselines include
    :data:`BEST_ITERATIVE`. Quality metrics only: the timing compares as a ratio
    (:func:`speedups`), and :data:`DATA_METRICS` are the data's, not the methods'.
    """
    quality = cube.reset_coords(list(TIMING_FIELDS), drop=True)
    quality = quality.sel(metric=[m for m in quality["metric"].values if m not in DATA_METRICS])
    return _pinn_against_baselines(
        quality, lambda a, b: a - b, ("pinn", "baseline_value", "difference")
    )


def speedups(cube: xr.DataArray) -> pd.DataFrame:
    """The PINN's inference speed-up over each baseline (and :data:`BEST_ITERATIVE`): baseline
    seconds / PINN seconds.

    Both reconstruct the same test split (the PINN: forward passes and stitching; the
    baseline: its whole iterative reconstruction). Columns: dose, view, gridsize, baseline,
    seed, pinn_seconds, baseline_seconds, speedup; rows only where both times are recorded.
    """
    seconds = timing_dataset(cube)["inference_seconds"]
    return _pinn_against_baselines(
        seconds, lambda a, b: b / a, ("pinn_seconds", "baseline_seconds", "speedup")
    )
