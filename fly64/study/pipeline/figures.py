"""Figures of the comparison (PNG, matplotlib's Agg backend, no display needed).

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

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

from fly64.data.store import dose_tag  # noqa: E402
from fly64.metrics.evaluate import mask_box  # noqa: E402
from fly64.study.records.cube import (  # noqa: E402
    PHASE_BOUNDS,
    is_refinement,
    quality_time,
    shot_noise_limits,
)

DOSE_METRICS = (
    "ssim",
    "ms_ssim",
    "correlation",
    "local_correlation",
    "psnr_db",
    "frc_resolution_px",
)
LABELS = {
    "ssim": "SSIM",
    "ms_ssim": "MS-SSIM",
    "correlation": "correlation",
    "local_correlation": "correlation per footprint",
    "psnr_db": "PSNR (dB)",
    "frc_resolution_px": "FRC 0.5 resolution (px)",
    "rmse": "RMSE (rad)",
}
#: phase metrics against fluence (with their bounds, :data:`PHASE_BOUNDS`, where they have one)
FLUENCE_METRICS = ("correlation", "rmse", "ssim", "local_correlation")
PAD = 4  # pixels around the mask in the side-by-side panels
VIEW_MARKERS = "osD^vP*X"  # one marker shape per view, in cube order

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


def _legend(axes: np.ndarray) -> dict:
    """The legend entries of every axis in ``axes``, by label (the first handle of each)."""
    entries = {}
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    return entries


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def metric_vs_dose(cube: xr.DataArray, part: str, bounds: pd.DataFrame):
    """Metrics (rows) against dose for each view (columns), one line per method; a metric
    of :data:`PHASE_BOUNDS` with its shot-noise bound per view (``bounds``: rows of
    :func:`fly64.study.records.cube.shot_noise_limits`, empty for none)."""
    views = list(cube["view"].values)
    fig, axes = plt.subplots(
        len(DOSE_METRICS),
        len(views),
        figsize=(4 * len(views), 2.4 * len(DOSE_METRICS)),
        squeeze=False,
        sharex=True,
    )
    doses = cube["dose"].values
    for col, view in enumerate(views):
        for row, metric in enumerate(DOSE_METRICS):
            ax = axes[row, col]
            for method in cube["method"].values:
                values = cube.loc[
                    {"view": view, "method": method, "part": part, "metric": metric}
                ].values  # (dose, seed)
                finite = np.where(np.isfinite(values), values, np.nan)
                scored = np.isfinite(finite).any(axis=1)
                if not scored.any():
                    continue
                finite = finite[scored]
                mean = np.nanmean(finite, axis=1)
                low, high = np.nanmin(finite, axis=1), np.nanmax(finite, axis=1)
                ax.errorbar(
                    doses[scored],
                    mean,
                    yerr=[mean - low, high - mean],
                    marker="o",
                    capsize=3,
                    label=str(method),
                )
            bound = bounds[bounds["view"] == view]
            if metric in PHASE_BOUNDS and len(bound):
                ax.plot(
                    bound["dose"],
                    bound[PHASE_BOUNDS[metric]],
                    "k--",
                    marker="_",
                    ms=14,
                    lw=1,
                    label="shot-noise bound",
                )
            ax.set_xscale("log")
            ax.set_xlim(doses.min() / 2, doses.max() * 2)  # also when a column has no data
            ax.grid(alpha=0.3)
            if row == 0:
                ax.set_title(f"{part} — {view}")
            if col == 0:
                ax.set_ylabel(LABELS[metric])
            if row == len(DOSE_METRICS) - 1:
                ax.set_xlabel("dose (photons / pattern)")
    legend = _legend(axes)
    if legend:
        fig.legend(
            legend.values(),
            legend.keys(),
            loc="upper center",
            ncol=len(legend),
            bbox_to_anchor=(0.5, 1.02),
        )
    fig.tight_layout()
    return fig


def phase_vs_fluence(cube: xr.DataArray, limits: pd.DataFrame):
    """Phase metrics (:data:`FLUENCE_METRICS`, one panel each) against photons per object
    pixel, both views on one axis: a colour per method, a marker per view (mean over repeat
    seeds), and the shot-noise bound per view (black, dashed).

    limits : rows of :func:`fly64.study.records.cube.shot_noise_limits` with a positive fluence
    (the x of each dose and view).
    """
    views, methods = ([str(v) for v in cube[d].values] for d in ("view", "method"))
    fig, axes = plt.subplots(
        1, len(FLUENCE_METRICS), figsize=(3.6 * len(FLUENCE_METRICS), 3.4), squeeze=False
    )
    means = cube.sel(part="phase").mean("seed", skipna=True).reset_coords(drop=True)
    for ax, metric in zip(axes[0], FLUENCE_METRICS, strict=True):
        bound = PHASE_BOUNDS.get(metric)
        for view in views:
            at = limits[limits["view"] == view].sort_values("fluence")
            marker = VIEW_MARKERS[views.index(view) % len(VIEW_MARKERS)]
            for method in methods:
                values = means.sel({"view": view, "method": method, "metric": metric})
                y = values.sel(dose=at["dose"].to_numpy()).values
                if np.isfinite(y).any():
                    ax.plot(
                        at["fluence"],
                        y,
                        marker=marker,
                        color=f"C{methods.index(method)}",
                        label=f"{method}, {view}",
                    )
            if bound is not None:
                ax.plot(
                    at["fluence"],
                    at[bound],
                    "k--",
                    marker=marker,
                    mfc="none",
                    lw=1,
                    label=f"shot-noise bound, {view}",
                )
        ax.set_xscale("log")
        ax.set_xlabel("photons per object pixel (median)")
        ax.set_ylabel(f"phase {LABELS[metric]}")
        ax.grid(alpha=0.3)
    legend = _legend(axes)
    fig.legend(
        legend.values(), legend.keys(), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8
    )
    fig.tight_layout()
    return fig


def quality_vs_time(timed: pd.DataFrame, views: list[str], methods: list[str]):
    """Phase correlation against inference seconds, one panel per dose (shared axes).

    timed : rows of :func:`fly64.study.records.cube.quality_time` with finite correlation and
    inference seconds; views, methods : the cube's (fix each view's marker and method's colour).
    """
    doses = sorted(timed["dose"].unique())
    fig, axes = plt.subplots(
        1, len(doses), figsize=(4 * len(doses), 3.4), squeeze=False, sharex=True, sharey=True
    )
    for ax, dose in zip(axes[0], doses, strict=True):
        for row in timed[timed["dose"] == dose].itertuples():
            ax.scatter(
                row.inference_seconds,
                row.correlation,
                s=50,
                color=f"C{methods.index(row.method)}",
                marker=VIEW_MARKERS[views.index(row.view) % len(VIEW_MARKERS)],
                label=f"{row.method}, {row.view}",
            )
        ax.set_xscale("log")
        ax.set_title(f"dose {dose:g}")
        ax.set_xlabel("inference, whole test split (s)")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("phase correlation")
    handles = _legend(axes)
    fig.legend(
        handles.values(), handles.keys(), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8
    )
    fig.tight_layout()
    return fig


def _dose_view_axes(doses: list, views: list, panel: tuple[float, float]):
    """A figure with one panel per dose (rows) and view (columns), shared axes; ``panel`` is
    each panel's (width, height) in inches."""
    return plt.subplots(
        len(doses),
        len(views),
        figsize=(panel[0] * len(views), panel[1] * len(doses)),
        squeeze=False,
        sharex=True,
        sharey=True,
    )


def warm_start(curves: pd.DataFrame, methods: list[str]):
    """Phase correlation against seconds (log) of each refinement's snapshots (solid, from its
    PINN's inference time on) and of its flat-start solver's (dashed), one panel per dose
    (rows) and view (columns), one line per cell (a colour per method, as in ``methods``).

    curves : rows of :func:`fly64.study.pipeline.warm_start.warm_start_curves`.
    """
    doses, views = sorted(curves["dose"].unique()), list(dict.fromkeys(curves["view"]))
    fig, axes = _dose_view_axes(doses, views, (4.2, 3.2))
    for (dose, view, method, _seed), rows in curves.groupby(
        ["dose", "view", "method", "seed"], sort=False
    ):
        refined = is_refinement(method)
        axes[doses.index(dose), views.index(view)].plot(
            rows["seconds"],
            rows["phase_correlation"],
            "-" if refined else "--",
            marker="o" if refined else None,
            markevery=[0],  # a refinement's start: the PINN's own estimate
            color=f"C{methods.index(method)}",
            label=method if refined else f"{method} (flat start)",
        )
    for ax, (dose, view) in zip(axes.flat, itertools.product(doses, views), strict=True):
        ax.set_xscale("log")
        ax.set_title(f"dose {dose:g}, {view}")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("seconds (refinement: from the PINN's inference on)")
    for ax in axes[:, 0]:
        ax.set_ylabel("phase correlation")
    legend = _legend(axes)
    fig.legend(
        legend.values(), legend.keys(), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8
    )
    fig.tight_layout()
    return fig


def frc_vs_frequency(frc: pd.DataFrame, part: str):
    """FRC against spatial frequency per dose (rows) and view (columns)."""
    data = frc[frc["part"] == part]
    doses, views = sorted(data["dose"].unique()), sorted(data["view"].unique())
    fig, axes = _dose_view_axes(doses, views, (4, 3))
    for (dose, view), group in data.groupby(["dose", "view"]):
        ax = axes[doses.index(dose), views.index(view)]
        for i, ((method, seed), curve) in enumerate(group.groupby(["method", "seed"], sort=False)):
            ax.plot(
                curve["frequency"],
                curve["frc"],
                color=f"C{sorted(group['method'].unique()).index(method)}",
                label=method if seed == group["seed"].min() else None,
            )
            if i == 0:
                ax.plot(curve["frequency"], curve["halfbit"], "k--", lw=0.8, label="½-bit")
        ax.axhline(0.5, color="grey", lw=0.6)
        ax.set_title(f"{part}: dose {dose:g}, {view}")
        ax.set_ylim(-0.1, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("spatial frequency (cycles / pixel)")
    for ax in axes[:, 0]:
        ax.set_ylabel("FRC")
    fig.tight_layout()
    return fig


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
