"""Tables derived from the comparison's metrics cube (:mod:`fly64.study.records.cube`):
what the report, the CLI and the app read instead of the cube itself.

Each function takes the cube (an xarray DataArray of dims (dose, view, method, seed, part,
metric) with the timing coordinates :data:`~fly64.study.records.cell_result.TIMING_FIELDS`)
or the FRC curves of ``frc.csv`` and returns a pandas DataFrame in cube order: the tidy
table and the timing (seconds, test patterns per second), the mean FRC per period band, the
baseline ``best_iterative`` copies, the shot-noise limits (photons per object pixel, radians)
and the phase scores beside them, and the PINN against each baseline (differences of the
quality metrics, speed-ups of the inference seconds).
"""

import math

import pandas as pd
import xarray as xr

from fly64.metrics import frc_bands
from fly64.study.records.cell_result import TIMING_FIELDS
from fly64.study.records.cube import (
    BEST_ITERATIVE,
    CELL_KEYS,
    DATA_METRICS,
    TABLE_COLUMNS,
    TIME_PART,
    gridsize_of,
    is_pinn,
)
from fly64.study.settings.methods import BASELINES


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
