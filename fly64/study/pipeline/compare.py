"""The evaluate stage: score every finished cell against the ground truth and write the comparison.

A cell is finished when the job registry reads its job as ``done``
(:func:`fly64.study.records.registry.finished_cells`; a ``damaged`` job, whose status or result
files cannot be trusted, is not). Every finished cell is evaluated the same way
(:func:`fly64.metrics.evaluate`: registration, phase offset, amplitude scale,
mask ``weights ≥ study.mask_threshold·max|P|²``), plus the local correlation inside each
test footprint (disc of diameter D), which a reconstruction with the right structure at
wrong levels per footprint still passes and a blurred level map fails; the shot-noise limit
of the view's test scan on the cell's mask (:func:`fly64.metrics.shot_noise_limit`); and,
for an iterative cell (baseline or refinement), its stop (``stop_epoch``,
``selection_score`` from its result's info) and its object snapshots' phase correlation
against time (``snapshot_curve`` in its ``metrics.json``; the best is the oracle), which
also measure what a refinement's PINN start buys (:mod:`fly64.study.pipeline.warm_start`). The files
written (the metrics cube, tables, figures, each cell's ``metrics.json``) and their readers
are :mod:`fly64.study.records.cube`.
"""

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
from fly64.metrics import (
    METRICS,
    PARTS,
    Evaluation,
    evaluate,
    footprint_core,
    local_correlation,
    shot_noise_limit,
)
from fly64.overlap.metrics import coverage_map
from fly64.reporting import Reporter
from fly64.study.pipeline.warm_start import (
    WARM_TABLE,
    Trace,
    solver_trace,
    warm_start_curves,
    warm_start_table,
)
from fly64.study.records.cell_result import TIMING_FIELDS, load_result, load_snapshots
from fly64.study.records.cube import (
    BEST_ITERATIVE,
    BEST_TABLE,
    CELL_METRICS,
    CUBE,
    CUBE_METRICS,
    FIGURES,
    FRC_COLUMNS,
    FRC_TABLE,
    TABLE,
    NoResultsError,
    best_iterative_choices,
    empty_cube,
    is_refinement,
    result_stamp,
    tidy_table,
    timing_dataset,
)
from fly64.study.records.registry import finished_cells
from fly64.study.settings.cells import Cell
from fly64.study.settings.model import Study


@dataclass
class Comparison:
    """What :func:`compare_study` wrote, and the cells it could not score."""

    cube: Path
    table: Path
    frc: Path
    figures: list[Path] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)  # job ids scored
    failed: dict[str, str] = field(default_factory=dict)  # job id → why it was not scored


@dataclass(frozen=True)
class DoseTruth:
    """What scoring the cells of one dose reads once.

    truth : complex64 (H, W), the ground-truth object.
    probe_peak : max|P|² of the probe (photons): the unit of the evaluation mask's threshold.
    core : bool (N, N), the footprint disc of diameter D inside a window.
    test_positions : {view: int64 (n, 2)} each cut view's test positions, (y, x) window
        centres in object pixels.
    illumination : {view: float64 (H, W)} Σ|P|² over each view's test positions, photons.
    """

    truth: np.ndarray
    probe_peak: float
    core: np.ndarray
    test_positions: dict[str, np.ndarray]
    illumination: dict[str, np.ndarray]


@dataclass
class Scores:
    """The scores gathered so far: the cube (filled in place), the cells' timing, FRC rows,
    the first repeat's panels for the figures, the cells scored or not, and the iterative
    cells' scored snapshots (:class:`~fly64.study.pipeline.warm_start.Trace`)."""

    cube: xr.DataArray
    times: xr.Dataset
    frc_rows: list[dict] = field(default_factory=list)
    panels: dict = field(default_factory=dict)  # (dose, view, method) → figures.Panel
    scored: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    traces: dict[Cell, Trace] = field(default_factory=dict)  # iterative cells only

    def add(
        self,
        cell: Cell,
        evaluation: Evaluation,
        extra: dict[str, dict[str, float]],
        info: dict,
        panel: bool,
    ) -> None:
        """Put one scored cell in: its metrics (``extra``: {part: {metric: value}} beyond
        :data:`METRICS`, NaN for a cube metric in neither), timing (from its result's
        ``info``), FRC curves and, with ``panel``, its aligned images."""
        from fly64.study.pipeline.figures import crop_panel  # matplotlib: only when comparing

        at = {"dose": cell.dose, "view": cell.view, "method": cell.label, "seed": cell.seed}
        for name in TIMING_FIELDS:
            self.times[name].loc[at] = info_number(info, name)
        for part in PARTS:
            scores = getattr(evaluation, part)
            values = {m: getattr(scores, m) for m in METRICS} | extra[part]
            self.cube.loc[at | {"part": part}] = [values.get(m, math.nan) for m in CUBE_METRICS]
            self.frc_rows += [
                {
                    **at,
                    "gridsize": cell.gridsize,
                    "part": part,
                    "frequency": f,
                    "frc": v,
                    "halfbit": h,
                }
                for f, v, h in zip(scores.frc_freq, scores.frc, scores.frc_halfbit, strict=True)
            ]
        if panel:
            self.panels[(cell.dose, cell.view, cell.label)] = crop_panel(
                evaluation.mask, evaluation.phase_aligned, evaluation.amplitude_aligned
            )
        self.scored.append(cell.job_id)


def info_number(info: dict, name: str) -> float:
    """A number of a result's ``info`` (a timing field, ``stop_epoch``, ``selection_score``)
    as float; NaN when not recorded."""
    value = info.get(name)
    return float(value) if isinstance(value, int | float) else math.nan


def stop_scores(info: dict, trace: Trace | None) -> dict[str, float]:
    """A cell's :data:`~fly64.study.records.cube.STOP_METRICS`: ``stop_epoch`` and
    ``selection_score`` from its result's ``info``, the best phase correlation over its
    scored snapshots (``trace``); NaN where not recorded."""
    oracle = [p["phase_correlation"] for p in trace.curve] if trace else []
    return {
        "oracle_correlation": float(np.nanmax(oracle)) if np.isfinite(oracle).any() else math.nan,
        "stop_epoch": info_number(info, "stop_epoch"),
        "selection_score": info_number(info, "selection_score"),
    }


def limit_scores(
    truth: np.ndarray, evaluation: Evaluation, illumination: np.ndarray | None
) -> dict[str, float]:
    """The shot-noise limit of the cell's test scan on its evaluation mask
    (:data:`~fly64.study.records.cube.LIMIT_METRICS`; NaN without the view's illumination)."""
    if illumination is None:
        return {}
    limit = shot_noise_limit(truth, illumination, evaluation.mask)
    return {
        "fluence": limit.fluence,
        "rmse_bound": limit.rmse_bound,
        "correlation_bound": limit.correlation_bound,
        "rmse_ratio": evaluation.phase.rmse / limit.rmse_bound,
    }


def local_scores(
    truth: np.ndarray, evaluation: Evaluation, positions: np.ndarray, core: np.ndarray
) -> dict:
    """Local correlation of each part as scored (registered, scaled / offset removed)."""
    parts = {
        "amplitude": (np.abs(truth), evaluation.amplitude_aligned),
        "phase": (np.angle(truth), evaluation.phase_aligned),
    }
    return {part: local_correlation(a, b, positions, core) for part, (a, b) in parts.items()}


def load_dose(study: Study, store: Store, dose: float, repeat: int) -> DoseTruth:
    """The truth, probe peak, footprint core and test positions of one dose (a repeat's
    dataset: the object and scan are every repeat's; views are cut from repeat 0)."""
    ds = open_dose_dataset(store.dose_path(dose, repeat))
    positions, truth, intensity = ds["positions"].values, ds["object"].values, ds["probe"].values
    intensity = np.abs(intensity) ** 2  # photons
    test_positions = {
        view: positions[load_view(store.view_path(dose, view)).indices["test"]]
        for view in study.views
        if store.view_path(dose, view).is_file()
    }
    return DoseTruth(
        truth,
        float(intensity.max()),
        footprint_core(ds.sizes["ky"], float(ds.attrs["footprint_px"])),
        test_positions,
        {view: coverage_map(p, intensity, truth.shape) for view, p in test_positions.items()},
    )


def score_cell(study: Study, store: Store, cell: Cell, dose: DoseTruth, scores: Scores) -> None:
    """Evaluate one finished cell, write its ``metrics.json`` and add it to ``scores``.

    A cell that cannot be scored (e.g. a reconstruction with NaN values) gets
    ``{"error": …}`` as its ``metrics.json`` and goes to ``scores.failed``.
    """
    job_dir = store.job_dir(cell.job_id)
    result = load_result(job_dir)
    try:
        # weights are Σ|P|² over the positions: the mask keeps pixels lit at
        # ≥ mask_threshold of one probe's peak, the same rule for dense and sparse views
        evaluation = evaluate(
            dose.truth,
            result.object,
            result.weights,
            mask_threshold=study.mask_threshold,
            illumination_unit=dose.probe_peak,
            ramp=study.phase_ramp,
        )
    except ValueError as exc:
        scores.failed[cell.job_id] = str(exc)
        write_bytes_atomic(job_dir / CELL_METRICS, json.dumps({"error": str(exc)}).encode())
        return
    positions = dose.test_positions.get(cell.view)
    local = (
        local_scores(dose.truth, evaluation, positions, dose.core)
        if positions is not None
        else dict.fromkeys(PARTS, math.nan)
    )
    extra = {part: {"local_correlation": local[part]} for part in PARTS}
    extra["phase"] |= limit_scores(dose.truth, evaluation, dose.illumination.get(cell.view))
    trace = None
    if cell.solver is not None:  # an iterative cell: score its snapshots
        trace = solver_trace(
            load_snapshots(job_dir),
            dose.truth,
            evaluation.mask,
            study.phase_ramp,
            result.losses,
            info_number(result.info, "stop_epoch"),
        )
    extra["phase"] |= stop_scores(result.info, trace)
    record = {
        "job_id": cell.job_id,
        "dose": cell.dose,
        "view": cell.view,
        "method": cell.label,
        "gridsize": cell.gridsize,
        "seed": cell.seed,
        **evaluation.to_dict(curves=True),
    }
    for part in PARTS:
        record[part] |= extra[part]
    if trace is not None:
        record |= {"snapshot_curve": trace.curve, "stop_seconds": trace.stop_seconds}
        scores.traces[cell] = trace
    write_bytes_atomic(job_dir / CELL_METRICS, (json.dumps(record, indent=2) + "\n").encode())
    scores.add(cell, evaluation, extra, result.info, panel=cell.seed == study.repeats[0])


def fill_best_iterative(cube: xr.DataArray, times: xr.Dataset) -> pd.DataFrame:
    """Copy each dose, view and seed's chosen baseline cell (its metrics and timing) into the
    :data:`~fly64.study.records.cube.BEST_ITERATIVE` method of ``cube`` and ``times`` (in place);
    returns :func:`~fly64.study.records.cube.best_iterative_choices`. The copied timing is the
    chosen cell's own: running every baseline to choose costs their sum."""
    choices = best_iterative_choices(cube)
    for row in choices.dropna(subset=["chosen"]).itertuples():
        at = {"dose": row.dose, "view": row.view, "seed": row.seed}
        chosen, best = at | {"method": row.chosen}, at | {"method": BEST_ITERATIVE}
        cube.loc[best] = cube.loc[chosen].values
        for name in times.data_vars:
            times[name].loc[best] = float(times[name].loc[chosen])
    return choices


def _write_table(path: Path, frame: pd.DataFrame, wanted: bool) -> None:
    """Write ``frame`` as CSV to ``path`` when ``wanted``, else remove an older one."""
    if wanted:
        write_bytes_atomic(path, frame.to_csv(index=False).encode())
    else:
        path.unlink(missing_ok=True)


def write_comparison(
    study: Study, store: Store, cells: list[Cell], scores: Scores, truths: dict[float, np.ndarray]
) -> Comparison:
    """Fill :data:`~fly64.study.records.cube.BEST_ITERATIVE`, then write the cube (its
    attributes name the settings and every finished cell's result stamp), the tidy, FRC,
    best-iterative and warm-start tables and the figures under ``store.results_dir``."""
    from fly64.study.pipeline.figures import write_figures  # matplotlib: only when comparing

    out = store.results_dir
    out.mkdir(parents=True, exist_ok=True)
    choices = fill_best_iterative(scores.cube, scores.times)
    methods = scores.cube["method"].values.tolist()
    _write_table(out / BEST_TABLE, choices, BEST_ITERATIVE in methods)  # ≥ 2 baselines
    cube = scores.cube.assign_coords(scores.times.data_vars)
    _write_table(
        out / WARM_TABLE,
        warm_start_table(cube, scores.traces),
        any(map(is_refinement, methods)),
    )
    cube.attrs.update(
        mask_threshold=study.mask_threshold,
        phase_ramp=int(study.phase_ramp),
        settings_hash=study.settings_hash("evaluate"),
        cells=len(scores.scored),
        results=json.dumps({cell.job_id: result_stamp(store, cell) for cell in cells}),
    )
    write_bytes_atomic(out / CUBE, bytes(cube.to_dataset().to_netcdf(engine="h5netcdf")))
    write_bytes_atomic(out / TABLE, tidy_table(cube).to_csv(index=False).encode())
    frc = pd.DataFrame(scores.frc_rows, columns=FRC_COLUMNS)
    write_bytes_atomic(out / FRC_TABLE, frc.to_csv(index=False).encode())
    figures = (
        write_figures(
            cube,
            frc,
            scores.panels,
            truths,
            out / FIGURES,
            warm_start_curves(cube, scores.traces),
        )
        if scores.scored
        else []
    )
    return Comparison(
        out / CUBE, out / TABLE, out / FRC_TABLE, figures, scores.scored, scores.failed
    )


def compare_study(study: Study, store: Store, reporter: Reporter | None = None) -> Comparison:
    """Evaluate every finished cell of the study and write the cube, tables and figures.

    Raises :class:`~fly64.study.records.cube.NoResultsError` when no cell of the study is
    finished. A finished cell that cannot be scored keeps NaN in the cube and is listed in
    ``Comparison.failed`` (see :func:`score_cell`).
    """
    reporter = reporter or Reporter()
    cells = finished_cells(study, store)
    if not cells:
        raise NoResultsError(
            f"no finished cell in {store.root}: run `fly64 run --store {store.root}` "
            "(or train/reconstruct) first"
        )
    cube = empty_cube(study)
    scores = Scores(cube, timing_dataset(cube))  # timing per scored cell, then put on the cube
    doses: dict[float, DoseTruth] = {}
    for i, cell in enumerate(cells):
        reporter.progress(i / len(cells), f"scoring {cell.job_id}")
        reporter.check_cancel()
        if cell.dose not in doses:
            doses[cell.dose] = load_dose(study, store, cell.dose, cell.seed)
        score_cell(study, store, cell, doses[cell.dose], scores)
    comparison = write_comparison(
        study, store, cells, scores, {d: t.truth for d, t in doses.items()}
    )
    failed = f", {len(scores.failed)} failed" if scores.failed else ""
    reporter.progress(1.0, f"scored {len(scores.scored)} cells" + failed)
    return comparison
