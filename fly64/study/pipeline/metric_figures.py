"""The comparison's metric figures against dose, fluence and inference time (matplotlib
figures, drawn on the Agg backend; :mod:`fly64.study.pipeline.figures` saves them).

Each draws from the metrics cube (dims dose, view, method, seed, part, metric) or a table
derived from it: a line or marker per method (mean over repeat seeds), the phase correlation
and RMSE (rad) beside their shot-noise bounds, fluence in photons per object pixel and
inference seconds for the whole test split on log axes. :func:`legend_entries` gathers one
legend from a figure's panels (the curve figures of :mod:`fly64.study.pipeline.curve_figures`
use it too).
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

from fly64.study.records.cube import PHASE_BOUNDS  # noqa: E402

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
VIEW_MARKERS = "osD^vP*X"  # one marker shape per view, in cube order


def legend_entries(axes: np.ndarray) -> dict:
    """The legend entries of every axis in ``axes``, by label (the first handle of each)."""
    entries = {}
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    return entries


def metric_vs_dose(cube: xr.DataArray, part: str, bounds: pd.DataFrame):
    """Metrics (rows) against dose for each view (columns), one line per method; a metric
    of :data:`PHASE_BOUNDS` with its shot-noise bound per view (``bounds``: rows of
    :func:`fly64.study.records.cube_tables.shot_noise_limits`, empty for none)."""
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
    legend = legend_entries(axes)
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

    limits : rows of :func:`fly64.study.records.cube_tables.shot_noise_limits` with a positive
    fluence (the x of each dose and view).
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
    legend = legend_entries(axes)
    fig.legend(
        legend.values(), legend.keys(), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8
    )
    fig.tight_layout()
    return fig


def quality_vs_time(timed: pd.DataFrame, views: list[str], methods: list[str]):
    """Phase correlation against inference seconds, one panel per dose (shared axes).

    timed : rows of :func:`fly64.study.records.cube_tables.quality_time` with finite correlation and
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
    handles = legend_entries(axes)
    fig.legend(
        handles.values(), handles.keys(), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8
    )
    fig.tight_layout()
    return fig
