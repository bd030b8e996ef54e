"""Phase G: score every finished cell against the ground truth and gather the metrics cube.

A cell is finished when the job registry reads its job as ``done``
(:func:`fly64.study.registry.read_job`; a ``damaged`` job, whose status or result files cannot
be trusted, is not). Every finished cell is evaluated the same way
(:func:`fly64.metrics.evaluate`: registration, phase offset, amplitude scale,
mask ``weights ≥ study.mask_threshold·max|P|²``), plus the local correlation inside each
test footprint (disc of diameter D), which a reconstruction with the right structure at
wrong levels per footprint still passes and a blurred level map fails; the results are
written under ``store.results_dir``:

``metrics.nc``
    the cube, an xarray Dataset with one variable ``value`` of dims
    (dose, view, method, seed, part, metric) — metric one of :data:`CUBE_METRICS`, method is the cell label (``pinn_gs1``,
    ``pinn_gs2``, ``lsqml`` …, with a ``gridsize`` coordinate), NaN where a cell is not
    finished (netCDF4 via h5netcdf). Each cell's timing (:data:`TIMING_FIELDS`: training
    seconds, inference seconds for the whole test split, test patterns per second) rides
    along as coordinates of dims (dose, view, method, seed), like ``gridsize`` does along
    method: NaN where a cell is not scored or its result predates the timing fields;
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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from fly64.data.atomic import write_bytes_atomic
from fly64.data.dataset import open_dose_dataset
from fly64.data.store import Store
from fly64.data.views import load_view
from fly64.metrics import METRICS, PARTS, Evaluation, evaluate, footprint_core, local_correlation
from fly64.reporting import Reporter
from fly64.study.cells import Cell, iter_cells
from fly64.study.jobs import DAMAGED, DONE, RERUN
from fly64.study.model import BASELINES, Study, StudyError
from fly64.study.registry import read_job
from fly64.study.results import RESULT, TIMING_FIELDS, load_result

CUBE, TABLE, FRC_TABLE, FIGURES, CELL_METRICS = (
    "metrics.nc", "metrics.csv", "frc.csv", "figures", "metrics.json",
)
DIMS = ("dose", "view", "method", "seed", "part", "metric")
#: the cube's metrics: :data:`fly64.metrics.METRICS` and the local correlation inside each
#: test footprint (:func:`fly64.metrics.local_correlation`)
CUBE_METRICS = (*METRICS, "local_correlation")
TABLE_COLUMNS = ["dose", "view", "gridsize", "method", "seed", "part", "metric", "value"]
#: the tidy table's ``part`` of the timing rows (the cube's own parts are amplitude and phase)
TIME_PART = "time"
CELL_KEYS = ["dose", "view", "method", "seed"]


class NoResultsError(StudyError):
    """The store has nothing to compare or report yet."""


@dataclass
class Comparison:
    """What :func:`compare_study` wrote, and the cells it could not score."""

    cube: Path
    table: Path
    frc: Path
    figures: list[Path] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)  # job ids scored
    failed: dict[str, str] = field(default_factory=dict)  # job id → why it was not scored


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


def job_state(store: Store, job_id: str) -> str | None:
    """The state the job registry reads for a job (``damaged`` when its files cannot be
    trusted); None when the store holds no such job."""
    job = read_job(store.job_dir(job_id))
    return job and job.state


def is_finished(store: Store, cell: Cell) -> bool:
    """The cell's job reads as done in the registry (a damaged one does not)."""
    return job_state(store, cell.job_id) == DONE


def result_stamp(store: Store, cell: Cell) -> int:
    """When a finished cell's result was written (ns): a re-run cell gets a new stamp."""
    return (store.job_dir(cell.job_id) / RESULT).stat().st_mtime_ns


def finished_cells(study: Study, store: Store) -> list[Cell]:
    """The study's finished cells, in grid order."""
    return [cell for cell in iter_cells(study) if is_finished(store, cell)]


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
    """The cube with every timing coordinate it lacks added as NaN (dims dose, view, method, seed)."""
    cell = xr.full_like(cube.isel(part=0, metric=0, drop=True), np.nan).drop_vars(
        ["gridsize", *TIMING_FIELDS], errors="ignore")
    return cube.assign_coords({f: cell.copy() for f in TIMING_FIELDS if f not in cube.coords})


def timing_value(info: dict, name: str) -> float:
    """A timing field of a result's ``info`` as float seconds (or patterns/s); NaN when not recorded."""
    value = info.get(name)
    return float(value) if isinstance(value, int | float) else math.nan


def _cell_record(cell: Cell, evaluation: Evaluation, local: dict[str, float]) -> dict:
    record = {
        "job_id": cell.job_id, "dose": cell.dose, "view": cell.view, "method": cell.label,
        "gridsize": cell.gridsize, "seed": cell.seed, **evaluation.to_dict(curves=True),
    }
    for part in PARTS:
        record[part]["local_correlation"] = local[part]
    return record


def local_scores(truth: np.ndarray, evaluation: Evaluation, positions: np.ndarray, core: np.ndarray) -> dict:
    """Local correlation of each part as scored (registered, scaled / offset removed)."""
    parts = {"amplitude": (np.abs(truth), evaluation.amplitude_aligned),
             "phase": (np.angle(truth), evaluation.phase_aligned)}
    return {part: local_correlation(a, b, positions, core) for part, (a, b) in parts.items()}


def compare_study(study: Study, store: Store, reporter: Reporter | None = None) -> Comparison:
    """Evaluate every finished cell of the study and write the cube, tables and figures.

    Raises :class:`NoResultsError` when no cell of the study is finished. A finished cell
    that cannot be scored (e.g. a reconstruction with NaN values) keeps NaN in the cube,
    gets ``{"error": …}`` as its ``metrics.json`` and is listed in ``Comparison.failed``.
    """
    from fly64.study.figures import crop_panel, write_figures  # matplotlib: only when comparing

    reporter = reporter or Reporter()
    cells = finished_cells(study, store)
    if not cells:
        raise NoResultsError(
            f"no finished cell in {store.root}: run `fly64 run --store {store.root}` "
            "(or train/reconstruct) first"
        )
    cube = empty_cube(study)
    times = timing_dataset(cube)  # filled per scored cell, then put back on the cube
    frc_rows, panels, scored, failed = [], {}, [], {}
    truths: dict[float, np.ndarray] = {}
    probe_peaks: dict[float, float] = {}
    cores: dict[float, np.ndarray] = {}
    test_positions: dict[tuple[float, str], np.ndarray] = {}
    for i, cell in enumerate(cells):
        reporter.progress(i / len(cells), f"scoring {cell.job_id}")
        reporter.check_cancel()
        if cell.dose not in truths:
            ds = open_dose_dataset(store.dose_path(cell.dose, cell.seed))  # object and scan: every repeat's
            truths[cell.dose] = ds["object"].values
            probe_peaks[cell.dose] = float(np.abs(ds["probe"].values).max() ** 2)
            cores[cell.dose] = footprint_core(ds.sizes["ky"], float(ds.attrs["footprint_px"]))
            positions = ds["positions"].values
            for view in study.views:
                if store.view_path(cell.dose, view).is_file():
                    indices = load_view(store.view_path(cell.dose, view)).indices["test"]
                    test_positions[(cell.dose, view)] = positions[indices]
        truth, probe_peak = truths[cell.dose], probe_peaks[cell.dose]
        job_dir = store.job_dir(cell.job_id)
        result = load_result(job_dir)
        try:
            # weights are Σ|P|² over the positions: the mask keeps pixels lit at
            # ≥ mask_threshold of one probe's peak, the same rule for dense and sparse views
            evaluation = evaluate(
                truth, result.object, result.weights, mask_threshold=study.mask_threshold,
                illumination_unit=probe_peak, ramp=study.phase_ramp,
            )
        except ValueError as exc:
            failed[cell.job_id] = str(exc)
            write_bytes_atomic(job_dir / CELL_METRICS, json.dumps({"error": str(exc)}).encode())
            continue
        local = (local_scores(truth, evaluation, test_positions[(cell.dose, cell.view)], cores[cell.dose])
                 if (cell.dose, cell.view) in test_positions else dict.fromkeys(PARTS, math.nan))
        record = _cell_record(cell, evaluation, local)
        write_bytes_atomic(job_dir / CELL_METRICS, (json.dumps(record, indent=2) + "\n").encode())
        at = {"dose": cell.dose, "view": cell.view, "method": cell.label, "seed": cell.seed}
        for name in TIMING_FIELDS:
            times[name].loc[at] = timing_value(result.info, name)
        for part in PARTS:
            scores = getattr(evaluation, part)
            cube.loc[at | {"part": part}] = [getattr(scores, m) for m in METRICS] + [local[part]]
            frc_rows += [
                {**at, "gridsize": cell.gridsize, "part": part, "frequency": f, "frc": v, "halfbit": h}
                for f, v, h in zip(scores.frc_freq, scores.frc, scores.frc_halfbit, strict=True)
            ]
        if cell.seed == study.repeats[0]:
            panels[(cell.dose, cell.view, cell.label)] = crop_panel(
                evaluation.mask, evaluation.phase_aligned, evaluation.amplitude_aligned
            )
        scored.append(cell.job_id)

    out = store.results_dir
    out.mkdir(parents=True, exist_ok=True)
    cube = cube.assign_coords(times.data_vars)
    cube.attrs.update(
        mask_threshold=study.mask_threshold, phase_ramp=int(study.phase_ramp),
        settings_hash=study.settings_hash("evaluate"), cells=len(scored),
        results=json.dumps({cell.job_id: result_stamp(store, cell) for cell in cells}),
    )
    write_bytes_atomic(out / CUBE, bytes(cube.to_dataset().to_netcdf(engine="h5netcdf")))
    table = tidy_table(cube)
    write_bytes_atomic(out / TABLE, table.to_csv(index=False).encode())
    frc = pd.DataFrame(frc_rows, columns=["dose", "view", "gridsize", "method", "seed", "part",
                                          "frequency", "frc", "halfbit"])
    write_bytes_atomic(out / FRC_TABLE, frc.to_csv(index=False).encode())
    figures = write_figures(cube, frc, panels, truths, out / FIGURES) if scored else []
    reporter.progress(1.0, f"scored {len(scored)} cells" + (f", {len(failed)} failed" if failed else ""))
    return Comparison(out / CUBE, out / TABLE, out / FRC_TABLE, figures, scored, failed)


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
    damaged = [j for j in gone if job_state(store, j) == DAMAGED]
    for label, ids in (
        ("finished after it", [j for j in now if j not in compared]),
        ("were re-run after it", [j for j in now if j in compared and now[j] != compared[j]]),
        (f"are damaged ({RERUN})", damaged),
        ("are no longer finished", [j for j in gone if j not in damaged]),
    ):
        if ids:
            reasons.append(f"{len(ids)} cell(s) {label}: {', '.join(sorted(ids)[:3])}"
                           + (" …" if len(ids) > 3 else ""))
    return reasons


def scored_cells(cube: xr.DataArray) -> pd.DataFrame:
    """dose, view, method and seed of the cells the cube scored (any metric not NaN)."""
    present = cube.notnull().any(["part", "metric"]).reset_coords(drop=True)
    frame = present.to_dataframe(name="present").reset_index()
    return frame.loc[frame["present"], CELL_KEYS].reset_index(drop=True)


def timing_dataset(cube: xr.DataArray) -> xr.Dataset:
    """The cube's timing coordinates as variables :data:`TIMING_FIELDS` of dims (dose, view, method, seed)."""
    return cube.coords.to_dataset().reset_coords(list(TIMING_FIELDS))[list(TIMING_FIELDS)]


def timing_table(cube: xr.DataArray) -> pd.DataFrame:
    """The timing of every scored cell.

    Columns: dose, view, gridsize, method, seed and :data:`TIMING_FIELDS` (seconds, and
    test patterns per second of inference; NaN where the cell's result did not record them).
    """
    frame = timing_dataset(cube).to_dataframe().reset_index()
    frame = frame.merge(scored_cells(cube), on=CELL_KEYS)
    return frame[["dose", "view", "gridsize", "method", "seed", *TIMING_FIELDS]]


def quality_time(cube: xr.DataArray, part: str = "phase", metric: str = "correlation") -> pd.DataFrame:
    """One metric against the timing per dose, view and method, mean over repeat seeds.

    Columns: dose, view, gridsize, method, ``metric`` and :data:`TIMING_FIELDS`; one row
    per scored (dose, view, method), in cube order (the means skip NaN).
    """
    frame = timing_table(cube)
    scores = cube.sel(part=part, metric=metric).reset_coords(drop=True).to_dataframe(name=metric).reset_index()
    frame = frame.merge(scores, on=CELL_KEYS)
    means = frame.groupby(["dose", "view", "gridsize", "method"], sort=False)[[metric, *TIMING_FIELDS]].mean()
    return means.reset_index()


def tidy_table(cube: xr.DataArray) -> pd.DataFrame:
    """The scored cells' entries as rows (see :data:`TABLE_COLUMNS`), in cube order.

    A cell counts as scored when any of its metrics is not NaN (an ``inf`` PSNR or a NaN
    metric of a flat part stays in the table). Each scored cell also has one row per timing
    field (part :data:`TIME_PART`, metric the field; NaN when not recorded).
    """
    quality = cube.reset_coords(list(TIMING_FIELDS), drop=True).to_dataframe().reset_index()
    timing = timing_table(cube).melt(id_vars=["dose", "view", "gridsize", "method", "seed"],
                                     var_name="metric", value_name="value").assign(part=TIME_PART)
    frame = pd.concat([quality.merge(scored_cells(cube), on=CELL_KEYS), timing], ignore_index=True)
    order = {key: {v: i for i, v in enumerate(cube[key].values.tolist())} for key in CELL_KEYS}
    frame = frame.sort_values(CELL_KEYS, key=lambda column: column.map(order[column.name]), kind="stable")
    return frame[TABLE_COLUMNS].reset_index(drop=True)


def load_cube(store: Store) -> xr.DataArray:
    """The cube written by :func:`compare_study` (:class:`NoResultsError` when there is none)."""
    path = store.results_dir / CUBE
    if not path.is_file():
        raise NoResultsError(
            f"no comparison in {store.root}: run `fly64 compare --store {store.root}` first"
        )
    with xr.open_dataset(io.BytesIO(path.read_bytes()), engine="h5netcdf") as ds:
        return _with_timing(ds["value"].load())  # a comparison older than the timing fields: NaN


def _pinn_against_baselines(values: xr.DataArray, combine, names: tuple[str, str, str]) -> pd.DataFrame:
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
            a, b = (values.sel({"method": m}, drop=True) for m in (pinn, base))  # "method" is also a sel keyword
            frame = xr.Dataset(dict(zip(names, (a, b, combine(a, b)), strict=True))).to_dataframe().reset_index()
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
    return _pinn_against_baselines(quality, lambda a, b: a - b, ("pinn", "baseline_value", "difference"))


def speedups(cube: xr.DataArray) -> pd.DataFrame:
    """The PINN's inference speed-up over each baseline: baseline seconds / PINN seconds.

    Both reconstruct the same test split (the PINN: forward passes and stitching; the
    baseline: its whole iterative reconstruction). Columns: dose, view, gridsize, baseline,
    seed, pinn_seconds, baseline_seconds, speedup; rows only where both times are recorded.
    """
    seconds = timing_dataset(cube)["inference_seconds"]
    return _pinn_against_baselines(seconds, lambda a, b: b / a, ("pinn_seconds", "baseline_seconds", "speedup"))
