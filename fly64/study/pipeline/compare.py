"""The evaluate stage: score every finished cell against the ground truth and write the comparison.

A cell is finished when the job registry reads its job as ``done``
(:func:`fly64.study.records.registry.finished_cells`; a ``damaged`` job, whose status or result
files cannot be trusted, is not). Every finished cell is scored the same way
(:func:`fly64.study.pipeline.cell_scoring.score_cell`). The files
written (the metrics cube, tables, figures, each cell's ``metrics.json``) and their readers
are :mod:`fly64.study.records.cube`.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from fly64.data.atomic import write_bytes_atomic
from fly64.data.store import BEST_TABLE, CUBE, FIGURES, FRC_TABLE, TABLE, WARM_TABLE, Store
from fly64.reporting import Reporter
from fly64.study.pipeline.cell_scoring import DoseTruth, Scores, load_dose, score_cell
from fly64.study.pipeline.warm_start import warm_start_curves, warm_start_table
from fly64.study.records.cube import (
    BEST_ITERATIVE,
    FRC_COLUMNS,
    NoResultsError,
    empty_cube,
    is_refinement,
    result_stamp,
)
from fly64.study.records.cube_tables import best_iterative_choices, tidy_table, timing_dataset
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


def fill_best_iterative(cube: xr.DataArray, times: xr.Dataset) -> pd.DataFrame:
    """Copy each dose, view and seed's chosen baseline cell (its metrics and timing) into the
    :data:`~fly64.study.records.cube.BEST_ITERATIVE` method of ``cube`` and ``times`` (in place);
    returns :func:`~fly64.study.records.cube_tables.best_iterative_choices`. The copied timing is
    the chosen cell's own: running every baseline to choose costs their sum."""
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
    ``Comparison.failed`` (see :func:`~fly64.study.pipeline.cell_scoring.score_cell`).
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
