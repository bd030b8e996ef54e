"""What the PINN's start buys: each refinement's quality against time beside its flat start.

A refinement ``pinn_gs<g>+<solver>`` runs ``<solver>`` from its PINN parent's stitched test
reconstruction; its flat-start sibling is the baseline ``<solver>`` cell of the same dose,
view and seed. The evaluate stage scores every iterative cell's object snapshots once (phase
correlation, registered and offset-removed on the cell's mask) into a :class:`Trace`, and
from the traces and the metrics cube writes ``warm_start.csv`` (:func:`warm_start_table`)
and the figure ``warm_start.png`` (:func:`warm_start_curves`).

Time: a solver's clock counts seconds since its first epoch began (its losses' ``seconds``;
0 at epoch 0, the starting object). A refinement's time adds its PINN parent's inference
seconds (the PINN's training is not counted: it is the PINN's, made once per cell).
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from fly64.metrics import correlation, register, remove_phase_offset
from fly64.study.settings.cells import Cell

WARM_COLUMNS = [
    "dose",
    "view",
    "seed",
    "method",
    "parent",
    "solver",
    "parent_correlation",
    "refined_correlation",
    "flat_correlation",
    "flat_epochs",
    "flat_seconds",
    "epochs_to_flat",
    "seconds_to_flat",
    "epoch_fraction",
    "seconds_fraction",
]
CURVE_COLUMNS = ["dose", "view", "seed", "method", "epoch", "seconds", "phase_correlation"]


@dataclass(frozen=True)
class Trace:
    """An iterative cell's scored snapshots and the time of its stop.

    curve : one ``{"epoch", "phase_correlation", "seconds"}`` per snapshot, by epoch; seconds
        on the solver's clock (NaN where no loss row has the epoch).
    stop_seconds : seconds on the solver's clock at the cell's stop epoch (NaN where not
        recorded).
    """

    curve: list[dict]
    stop_seconds: float


def snapshot_correlation(
    truth: np.ndarray, snapshot: np.ndarray, mask: np.ndarray, ramp: bool
) -> float:
    """Phase correlation of one object snapshot, registered and offset-removed on ``mask``
    as :func:`fly64.metrics.evaluate` does (no other score: snapshots are many).

    truth, snapshot : complex (H, W) on the truth's canvas; mask : bool (H, W), the cell's
    evaluation mask; ramp : also remove a linear phase ramp. NaN for a snapshot with
    non-finite values.
    """
    if not np.all(np.isfinite(snapshot)):  # the registration shifts the whole canvas
        return math.nan
    _, aligned = register(truth, snapshot, mask)
    phase = remove_phase_offset(np.angle(truth), np.angle(aligned), mask, ramp)
    return correlation(np.angle(truth)[mask], phase[mask])


def solver_trace(
    snapshots: list[tuple[int, np.ndarray]],
    truth: np.ndarray,
    mask: np.ndarray,
    ramp: bool,
    losses: list[dict],
    stop_epoch: float,
) -> Trace:
    """An iterative cell's :class:`Trace`: its ``(epoch, complex (H, W) object)`` snapshots
    scored by :func:`snapshot_correlation`, timed by its ``losses`` rows (``epoch``,
    ``seconds`` since the first epoch began); stop_epoch : the epoch its stop rule kept (NaN
    when not recorded)."""
    clock = {0: 0.0} | {
        int(row["epoch"]): _number(row.get("seconds"))
        for row in losses
        if row.get("epoch") is not None
    }
    curve = [
        {
            "epoch": int(epoch),
            "phase_correlation": snapshot_correlation(truth, obj, mask, ramp),
            "seconds": clock.get(int(epoch), math.nan),
        }
        for epoch, obj in sorted(snapshots, key=lambda s: s[0])
    ]
    stop = clock.get(int(stop_epoch), math.nan) if math.isfinite(stop_epoch) else math.nan
    return Trace(curve, stop)


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def _ratio(a: float, b: float) -> float:
    return a / b if math.isfinite(a) and math.isfinite(b) and b > 0 else math.nan


def _cell_value(cube: xr.DataArray, cell: Cell, metric: str) -> float:
    """A cell's phase ``metric``, or its timing coordinate of that name, in ``cube``; NaN
    where the cube has no such method."""
    if cell.label not in cube["method"].values:
        return math.nan
    at = {"dose": cell.dose, "view": cell.view, "method": cell.label, "seed": cell.seed}
    if metric in cube.coords:
        return float(cube[metric].sel(at))
    return float(cube.sel(at | {"part": "phase", "metric": metric}))


def flat_sibling(cell: Cell) -> Cell:
    """A refinement's flat-start cell: its solver, same dose, view and seed."""
    return Cell(cell.dose, cell.view, cell.solver, 1, cell.seed)


def warm_start_table(cube: xr.DataArray, traces: dict[Cell, Trace]) -> pd.DataFrame:
    """One row per scored refinement cell (see :data:`WARM_COLUMNS`), in ``traces`` order.

    cube : the metrics cube with its timing coordinates; traces : every scored iterative
    cell's :class:`Trace`. Correlations are the cells' scored phase correlations; flat_epochs
    the flat cell's stop epoch and flat_seconds its clock there; epochs_to_flat the first
    snapshot epoch whose phase correlation reaches flat_correlation (0: the PINN's own
    estimate already does) and seconds_to_flat its clock there plus the parent's inference
    seconds (both NaN if never reached); the fractions divide those by the flat cell's.
    """
    rows = []
    for cell, trace in traces.items():
        if cell.parent is None:
            continue
        flat = flat_sibling(cell)
        target = _cell_value(cube, flat, "correlation")
        reached = next((p for p in trace.curve if p["phase_correlation"] >= target), None)
        epochs = float(reached["epoch"]) if reached else math.nan
        start = _cell_value(cube, cell.parent, "inference_seconds")
        seconds = reached["seconds"] + start if reached else math.nan
        flat_epochs = _cell_value(cube, flat, "stop_epoch")
        flat_seconds = traces[flat].stop_seconds if flat in traces else math.nan
        rows.append(
            {
                "dose": cell.dose,
                "view": cell.view,
                "seed": cell.seed,
                "method": cell.label,
                "parent": cell.parent.label,
                "solver": cell.solver,
                "parent_correlation": _cell_value(cube, cell.parent, "correlation"),
                "refined_correlation": _cell_value(cube, cell, "correlation"),
                "flat_correlation": target,
                "flat_epochs": flat_epochs,
                "flat_seconds": flat_seconds,
                "epochs_to_flat": epochs,
                "seconds_to_flat": seconds,
                "epoch_fraction": _ratio(epochs, flat_epochs),
                "seconds_fraction": _ratio(seconds, flat_seconds),
            }
        )
    return pd.DataFrame(rows, columns=WARM_COLUMNS)


def warm_start_curves(cube: xr.DataArray, traces: dict[Cell, Trace]) -> pd.DataFrame:
    """The snapshot curves of every scored refinement (its time from its parent's inference
    seconds on) and of each flat-start sibling it has (see :data:`CURVE_COLUMNS`; seconds on
    the common clock, method the curve's own label; rows without a time left out)."""
    cells = [c for c in traces if c.parent is not None]
    cells += list(dict.fromkeys(flat_sibling(c) for c in cells if flat_sibling(c) in traces))
    rows = [
        {
            "dose": cell.dose,
            "view": cell.view,
            "seed": cell.seed,
            "method": cell.label,
            "epoch": point["epoch"],
            "seconds": point["seconds"]
            + (0.0 if cell.parent is None else _cell_value(cube, cell.parent, "inference_seconds")),
            "phase_correlation": point["phase_correlation"],
        }
        for cell in cells
        for point in traces[cell].curve
    ]
    return pd.DataFrame(rows, columns=CURVE_COLUMNS).dropna(subset=["seconds"])


def _cell_name(row) -> str:
    return f"dose {row.dose:g}, {row.view}, seed {row.seed}"


def warm_start_reading(table: pd.DataFrame) -> list[str]:
    """One sentence per refinement method of ``table`` (rows of :func:`warm_start_table`):
    in how many cells it reached its flat start's phase correlation, at what median fraction
    of the flat start's epochs and seconds, and where the flat start wins (the refinement
    ends below it, or needs more seconds to reach it)."""
    sentences = []
    for (method, solver), rows in table.groupby(["method", "solver"], sort=False):
        rows = rows[np.isfinite(rows["flat_correlation"])]
        if rows.empty:
            sentences.append(f"{method}: no scored flat-start {solver} cell to compare with.")
            continue
        reached = rows[np.isfinite(rows["epochs_to_flat"])]
        text = (
            f"{method} reached the flat-start {solver}'s phase correlation in {len(reached)} "
            f"of {len(rows)} cell(s)"
        )
        if len(reached):
            text += (
                f", at a median {reached['epoch_fraction'].median():.2f} of its epochs and "
                f"{reached['seconds_fraction'].median():.2f} of its seconds (PINN inference "
                "included)"
            )
        wins = [
            f"{_cell_name(r)} (ends at {r.refined_correlation:.3f} < {r.flat_correlation:.3f})"
            if r.refined_correlation < r.flat_correlation
            else f"{_cell_name(r)} ({r.seconds_fraction:.2f}× its seconds)"
            for r in rows.itertuples()
            if r.refined_correlation < r.flat_correlation or r.seconds_fraction > 1
        ]
        shown = "; ".join(wins[:4]) + (" …" if len(wins) > 4 else "")
        sentences.append(
            text
            + (f"; the flat start wins at {shown}." if wins else "; the flat start wins nowhere.")
        )
    return sentences
