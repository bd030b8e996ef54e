"""What the Results page shows, read from the comparison's files (worker thread: no Panel)."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from fly64.data import Store
from fly64.study import (
    Cell,
    Study,
    change_stamp,
    finished_cells,
    frc_curves,
    result_files,
    warm_start_rows,
)


@dataclass
class ResultsData:
    """What the comparison left in the store."""

    cube: xr.DataArray  # (dose, view, method, seed, part, metric)
    differences: pd.DataFrame  # PINN − baseline rows (see fly64.study.differences)
    quality_time: pd.DataFrame  # phase correlation and timing per dose, view, method
    limits: pd.DataFrame  # shot-noise limit per dose and view (comparison.shot_noise_limits)
    against_limit: pd.DataFrame  # phase scores beside bounds per cell (phase_against_limit)
    choices: pd.DataFrame  # the baseline best_iterative copies (best_iterative_choices)
    frc: pd.DataFrame  # FRC curves (see fly64.study.frc_curves)
    warm_start: pd.DataFrame  # refinements against their flat start (views_data.warm_start_rows)
    files: dict[str, Path]  # downloadable files by name
    cells: list[Cell]  # the finished cells (each downloadable as a Ptychodus product)
    stale: list[str]  # why the comparison no longer matches the store (comparison.stale_reasons)


def results_key(store: Store | None, jobs) -> tuple | None:
    """Changes whenever what the Results page shows may have: the files under results/ (names and
    modification times), the store's settings, and the cells that ended (when, in which state),
    which decide whether the comparison is out of date. None without a store."""
    if store is None:
        return None
    folder = store.results_dir
    files = (
        sorted((p.name, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file())
        if folder.is_dir()
        else []
    )
    ended = [(j.job_id, j.state, j.finished) for j in jobs if j.cell is not None and j.terminal]
    return tuple(files), change_stamp(store.study_path), tuple(ended)


def read_results(store: Store) -> ResultsData | str | None:
    """The comparison's data; None when there is none, a message when it cannot be read."""
    from fly64.study import (  # the comparison's cube: imported when first read
        NoResultsError,
        best_iterative_choices,
        differences,
        load_cube,
        phase_against_limit,
        quality_time,
        shot_noise_limits,
        stale_reasons,
    )

    try:
        cube = load_cube(store)
        study = Study.load(store.study_path, whole=True)
        stale = stale_reasons(study, store, cube)
        return ResultsData(
            cube,
            differences(cube),
            quality_time(cube),
            shot_noise_limits(cube),
            phase_against_limit(cube),
            best_iterative_choices(cube),
            frc_curves(store),
            warm_start_rows(store),
            result_files(store),
            finished_cells(study, store),
            stale,
        )
    except NoResultsError:
        return None
    except Exception as exc:  # noqa: BLE001 - a half-written or foreign result: say so
        return f"{type(exc).__name__}: {exc}"
