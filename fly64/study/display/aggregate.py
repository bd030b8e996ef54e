"""Statistics over repeats: mean, standard deviation and count of a tidy table's values.

A repeat seed re-runs every cell of the grid; a table from :mod:`fly64.study.records.cube`
(metrics, PINN − baseline differences or speed-ups) holds one row per seed. Aggregating
drops the seed and summarises each group of rows that differ only in it.
"""

import numpy as np
import pandas as pd

#: the column of a tidy table that names the repeat
SEED = "seed"
#: the columns that identify a group of repeats (whichever of them a table has)
KEYS = ("dose", "view", "gridsize", "method", "baseline", "part", "metric")


def aggregate(table: pd.DataFrame, value: str) -> pd.DataFrame:
    """Mean, standard deviation and count of ``value`` over the repeats of each group.

    Parameters
    ----------
    table : one row per repeat (a ``seed`` column); the groups are the table's columns among
        :data:`KEYS`; other value columns are dropped.
    value : the column to summarise (e.g. ``value``, ``difference``, ``speedup``).

    Returns
    -------
    One row per group, in first-appearance order: the grouping columns, then ``mean``,
    ``std`` (sample standard deviation, NaN with one finite value), ``n`` (finite values
    counted; non-finite ones, e.g. a NaN metric of a flat part, are left out).
    """
    columns = list(table.columns)
    if value not in columns or SEED not in columns:
        raise ValueError(f"aggregate needs the columns {SEED!r} and {value!r}; got {columns}")
    keys = [c for c in columns if c in KEYS]
    values = table[value].astype(float)
    finite = values.where(np.isfinite(values))
    grouped = table.assign(**{value: finite}).groupby(keys, sort=False, dropna=False)[value]
    return grouped.agg(mean="mean", std="std", n="count").reset_index()
