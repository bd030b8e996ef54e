"""Scoring one finished cell of the evaluate stage (:mod:`fly64.study.pipeline.compare`).

Every finished cell is evaluated the same way
(:func:`fly64.metrics.evaluate`: registration, phase offset, amplitude scale,
mask ``weights ≥ study.mask_threshold·max|P|²``), plus the local correlation inside each
test footprint (disc of diameter D), which a reconstruction with the right structure at
wrong levels per footprint still passes and a blurred level map fails; the shot-noise limit
of the view's test scan on the cell's mask (:func:`fly64.metrics.shot_noise_limit`); and,
for an iterative cell (baseline or refinement), its stop (``stop_epoch``,
``selection_score`` from its result's info) and its object snapshots' phase correlation
against time (``snapshot_curve`` in its ``metrics.json``; the best is the oracle), which
also measure what a refinement's PINN start buys (:mod:`fly64.study.pipeline.warm_start`).
"""

import json
import math
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from fly64.data.atomic import write_bytes_atomic
from fly64.data.dataset import open_dose_dataset
from fly64.data.store import CELL_METRICS, Store
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
from fly64.study.pipeline.warm_start import Trace, solver_trace
from fly64.study.records.cell_result import TIMING_FIELDS, load_result, load_snapshots
from fly64.study.records.cube import CUBE_METRICS
from fly64.study.settings.cells import Cell
from fly64.study.settings.model import Study


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
