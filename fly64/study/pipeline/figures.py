"""Figures of the comparison (PNG, matplotlib's Agg backend, no display needed): writing them
all, and the cell images drawn here (the metric figures are
:mod:`fly64.study.pipeline.metric_figures`, the curves :mod:`fly64.study.pipeline.curve_figures`).

* ``<part>_vs_dose.png`` — SSIM, MS-SSIM, correlation, PSNR and FRC resolution against
  dose, one column per view, one line per method (mean over repeat seeds, bars min–max);
  the phase correlation with its shot-noise bound (dashed);
* ``phase_vs_fluence.png`` — phase correlation, RMSE, SSIM and local correlation against
  the photons per object pixel (log), both views on one axis (marker per view), with the
  shot-noise bounds of the correlation and RMSE (only where some fluence is known and > 0);
* ``frc_<part>.png`` — FRC curves per dose (rows) and view (columns), one line per method,
  with the ½-bit threshold;
* ``quality_vs_time.png`` — phase correlation against inference seconds for the whole test
  split (log), one panel per dose, one marker per method (colour) and view (shape), mean
  over repeat seeds (only when some scored cell recorded its timing);
* ``warm_start.png`` — what the PINN's start buys: phase correlation of each refinement's
  snapshots against seconds from its PINN's inference time on (solid, the first point is the
  PINN's own estimate), beside its flat-start solver's (dashed), one panel per dose (rows)
  and view (columns), every repeat seed (only when some refinement was scored);
* ``cell_d<dose>_<view>.png`` — ground truth and every method's aligned phase (top) and
  amplitude (bottom) on the evaluation mask's bounding box.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

from fly64.data.store import dose_tag  # noqa: E402
from fly64.metrics.evaluate import mask_box  # noqa: E402
from fly64.study.pipeline.curve_figures import frc_vs_frequency, warm_start  # noqa: E402
from fly64.study.pipeline.metric_figures import (  # noqa: E402
    metric_vs_dose,
    phase_vs_fluence,
    quality_vs_time,
)
from fly64.study.records.cube_tables import quality_time, shot_noise_limits  # noqa: E402

PAD = 4  # pixels around the mask in the side-by-side panels

#: one panel of a cell: (bounding box (y0, y1, x0, x1), mask, phase, amplitude) crops
Panel = tuple[tuple[int, int, int, int], np.ndarray, np.ndarray, np.ndarray]


def crop_panel(mask: np.ndarray, phase: np.ndarray, amplitude: np.ndarray) -> Panel:
    """The aligned phase and amplitude of one cell on its mask's bounding box (+PAD px)."""
    rows, cols = mask_box(mask, PAD)
    box = (rows.start, rows.stop, cols.start, cols.stop)
    return box, mask[rows, cols], phase[rows, cols], amplitude[rows, cols]


def write_figures(
    cube: xr.DataArray,
    frc: pd.DataFrame,
    panels: dict[tuple[float, str, str], Panel],
    truths: dict[float, np.ndarray],
    folder: Path,
    curves: pd.DataFrame,
) -> list[Path]:
    """Write every figure of the comparison into ``folder``; returns their paths.

    cube : the metrics cube; frc : the FRC table; panels : {(dose, view, method): Panel}
    of the first repeat seed; truths : {dose: complex (H, W) ground truth}; curves : the
    snapshot curves of :func:`fly64.study.pipeline.warm_start.warm_start_curves`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    limits = shot_noise_limits(cube)
    for part in cube["part"].values:
        bounds = limits if part == "phase" else limits.iloc[:0]
        paths.append(_save(metric_vs_dose(cube, str(part), bounds), folder / f"{part}_vs_dose.png"))
        if len(frc):
            paths.append(_save(frc_vs_frequency(frc, str(part)), folder / f"frc_{part}.png"))
    lit = limits[limits["fluence"] > 0]  # on a log axis
    if len(lit):
        paths.append(_save(phase_vs_fluence(cube, lit), folder / "phase_vs_fluence.png"))
    timed = quality_time(cube).dropna(subset=["correlation", "inference_seconds"])
    if len(timed):
        views, methods = ([str(v) for v in cube[d].values] for d in ("view", "method"))
        paths.append(_save(quality_vs_time(timed, views, methods), folder / "quality_vs_time.png"))
    if len(curves):
        methods = [str(m) for m in cube["method"].values]
        paths.append(_save(warm_start(curves, methods), folder / "warm_start.png"))
    for dose, view in sorted({(d, v) for d, v, _ in panels}):
        methods = {m: p for (d, v, m), p in panels.items() if (d, v) == (dose, view)}
        name = f"cell_d{dose_tag(dose)}_{view}.png"
        paths.append(
            _save(side_by_side(truths[dose], methods, f"dose {dose:g}, {view}"), folder / name)
        )
    return paths


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def side_by_side(truth: np.ndarray, methods: dict[str, Panel], title: str):
    """Truth and each method's aligned phase and amplitude on the union of their boxes."""
    boxes = np.array([p[0] for p in methods.values()])
    y0, x0 = boxes[:, 0].min(), boxes[:, 2].min()
    y1, x1 = boxes[:, 1].max(), boxes[:, 3].max()

    def placed(panel: Panel, index: int) -> np.ndarray:
        (by0, by1, bx0, bx1), mask, *parts = panel
        out = np.full((y1 - y0, x1 - x0), np.nan)
        out[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0] = np.where(mask, parts[index], np.nan)
        return out

    union = np.zeros((y1 - y0, x1 - x0), bool)
    for (by0, by1, bx0, bx1), mask, *_ in methods.values():
        union[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0] |= mask
    crop = truth[y0:y1, x0:x1]
    rows = {
        "phase (rad)": [np.where(union, np.angle(crop), np.nan)]
        + [placed(p, 0) for p in methods.values()],
        "amplitude": [np.where(union, np.abs(crop), np.nan)]
        + [placed(p, 1) for p in methods.values()],
    }
    titles = ["ground truth", *methods]
    aspect = (x1 - x0) / max(y1 - y0, 1)
    fig, axes = plt.subplots(
        2, len(titles), figsize=(2.2 * aspect * len(titles) + 1, 4.8), squeeze=False
    )
    for r, (label, images) in enumerate(rows.items()):
        lo, hi = np.nanmin(images[0]), np.nanmax(images[0])
        for c, image in enumerate(images):
            ax = axes[r, c]
            shown = ax.imshow(image, vmin=lo, vmax=hi, cmap="gray" if r else "twilight_shifted")
            ax.set_xticks([]), ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=9)
            if c == 0:
                ax.set_ylabel(label)
        fig.colorbar(shown, ax=list(axes[r]), fraction=0.02, pad=0.01)
    fig.suptitle(title)
    return fig
