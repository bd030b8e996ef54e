"""Read-only accessors of a store's comparison for display (the results page, the report,
notebooks): its files on disk by name and its tables as pandas DataFrames (empty when the
comparison has not written them).
"""

from pathlib import Path

import pandas as pd

from fly64.data.store import BEST_TABLE, CUBE, FIGURES, FRC_TABLE, TABLE, WARM_TABLE, Store


def result_files(store: Store) -> dict[str, Path]:
    """The comparison's files on disk by name: tidy, FRC, best-iterative and warm-start
    tables, cube, then the PNG figures."""
    folder = store.results_dir
    names = (TABLE, FRC_TABLE, BEST_TABLE, WARM_TABLE, CUBE)
    files = {name: folder / name for name in names if (folder / name).is_file()}
    figures = folder / FIGURES
    if figures.is_dir():
        files.update({p.name: p for p in sorted(figures.glob("*.png"))})
    return files


def _results_csv(store: Store, name: str) -> pd.DataFrame:
    """A table of the comparison (empty when there is none)."""
    path = store.results_dir / name
    return pd.read_csv(path) if path.is_file() else pd.DataFrame()


def frc_curves(store: Store) -> pd.DataFrame:
    """The FRC table of the comparison (columns of ``frc.csv``; empty when there is none)."""
    return _results_csv(store, FRC_TABLE)


def warm_start_rows(store: Store) -> pd.DataFrame:
    """What each refinement's PINN start bought (columns of ``warm_start.csv``,
    :data:`fly64.study.pipeline.warm_start.WARM_COLUMNS`; empty when there is none)."""
    return _results_csv(store, WARM_TABLE)
