"""The Results page's sections, each built from what the comparison wrote (server loop):
metric heatmaps, metric vs dose and vs photons per object pixel (with the shot-noise bound),
the phase scores beside their limit per cell, quality against time, PINN − baseline
differences, FRC, gallery (the downloads are in :mod:`.results_downloads`).

``cube`` is the comparison's metrics cube (dose, view, method, seed, part, metric); ``metric``
and ``part`` are a metric and a part (amplitude / phase) of it; ``limits`` the shot-noise
limit per dose and view (:func:`fly64.study.records.cube.shot_noise_limits`).
"""

import functools
from pathlib import Path

import holoviews as hv
import numpy as np
import panel as pn
from bokeh.palettes import Category10_10

from fly64.study.display.aggregate import aggregate
from fly64.study.records.cube import PHASE_BOUNDS

from .common import PLOT, notice, plot

HEAT = dict(
    frame_width=220, frame_height=160, colorbar=True, tools=["hover"], toolbar="above", xrotation=0
)
PHOTONS = "photons_per_pixel"  # the x of the plots against fluence
VIEW_MARKERS = (
    "circle",
    "square",
    "diamond",
    "triangle",
    "inverted_triangle",
    "star",
)  # per view, in cube order
TIME_COLUMNS = {
    "dose": "dose",
    "view": "view",
    "method": "method",
    "correlation": "phase correlation",
    "training_seconds": "training s",
    "inference_seconds": "inference s",
    "patterns_per_second": "patterns/s",
}


def _dose_labels(doses) -> list[str]:
    return [f"{d:g}" for d in sorted(doses)]


def _limits(values) -> tuple[float, float]:
    finite = np.asarray(values, float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def heatmaps(cube, metric: str, part: str) -> pn.Row:
    """One dose × view heatmap of the metric per method (mean over the repeat seeds)."""
    selected = cube.sel(metric=metric, part=part)
    values, counts = selected.mean("seed", skipna=True), selected.count("seed")
    clim = _limits(values.values)
    labels = _dose_labels(values["dose"].values)
    plots = []
    for method in values["method"].values:
        frame = values.sel({"method": method}).to_dataframe(name="value").reset_index()
        frame["n"] = counts.sel(
            {"method": method}
        ).values.ravel()  # repeats behind each mean (hover)
        frame["dose"] = frame["dose"].map(lambda d: f"{d:g}")
        heat = hv.HeatMap(frame, ["view", "dose"], ["value", "n"]).redim.values(dose=labels)
        plots.append(heat.opts(title=str(method), clim=clim, cmap="viridis", clabel=metric, **HEAT))
    return pn.Row(*[plot(p) for p in plots], css_classes=["heatmaps"])


def _dose_layers(values, view, method, metric: str) -> list:
    """One method's metric against dose in one view: mean curve, points, ± std error bars."""
    sel = values.sel({"view": view, "method": method})
    mean, n = sel.mean("seed", skipna=True).values, sel.count("seed").values
    spread = (
        np.nan_to_num(sel.std("seed", ddof=1, skipna=True).values)
        if sel.sizes["seed"] > 1
        else np.zeros_like(mean)
    )
    doses = sel["dose"].values
    ok = np.isfinite(mean)
    points = (doses[ok], mean[ok], spread[ok], n[ok])
    layers = [
        hv.Curve(points[:2], "dose", metric, label=str(method)),
        hv.Scatter(points, "dose", [metric, "std", "n"], label=str(method)).opts(size=7),
    ]
    if (n[ok] > 1).any():  # mean ± standard deviation over the repeats
        layers.append(hv.ErrorBars(points[:3], "dose", [metric, "std"]))
    return layers


def _bounded(limits, metric: str, part: str) -> bool:
    """Whether ``metric`` of ``part`` has a shot-noise bound in ``limits``."""
    return part == "phase" and metric in PHASE_BOUNDS and len(limits) > 0


def _bound_curve(rows, x: str, metric: str, view) -> hv.Curve:
    """The shot-noise bound of ``metric`` in one view (dashed black) against ``x`` (dose or
    fluence), on the metric's axis."""
    bound = rows.sort_values(x).rename(columns={PHASE_BOUNDS[metric]: metric})
    return hv.Curve(bound, x, metric, label=f"shot-noise bound, {view}").opts(
        color="black", line_dash="dashed", line_width=1.5
    )


def versus_dose(cube, limits, metric: str, part: str) -> pn.Row:
    """The metric against dose, one plot per view, one curve per method (and the shot-noise
    bound where the metric has one)."""
    values = cube.sel(metric=metric, part=part)
    bounded = _bounded(limits, metric, part)
    plots = []
    for view in values["view"].values:
        layers = [
            layer
            for method in values["method"].values
            for layer in _dose_layers(values, view, method, metric)
        ]
        if bounded:
            layers.append(_bound_curve(limits[limits["view"] == view], "dose", metric, view))
        overlay = hv.Overlay(layers).opts(
            hv.opts.Scatter(tools=["hover"]),
            hv.opts.Overlay(
                title=f"{view} view",
                legend_position="right",
                logx=True,
                **{**PLOT, "frame_width": 300},
            ),
        )
        plots.append(overlay)
    return pn.Row(*[plot(p) for p in plots])


def versus_fluence(cube, limits, metric: str, part: str):
    """The metric against photons per object pixel (log), both views on one plot: a colour
    per method, a marker per view (mean over the repeat seeds), and the shot-noise bound
    per view where the metric has one."""
    limits = limits[limits["fluence"] > 0]  # on a log axis
    if limits.empty:
        return notice("The comparison recorded no photons per pixel (views not cut?).")
    limits = limits.rename(columns={"fluence": PHOTONS})  # the metric may be "fluence" too
    means = cube.sel(metric=metric, part=part).mean("seed", skipna=True).reset_coords(drop=True)
    frame = means.to_dataframe(name=metric).reset_index()
    frame = frame.merge(limits[["dose", "view", PHOTONS]], on=["dose", "view"])
    frame = frame.dropna(subset=[metric])
    views, methods = list(cube["view"].values), list(cube["method"].values)
    layers = []
    for (method, view), rows in frame.groupby(["method", "view"], sort=False):
        rows = rows.sort_values(PHOTONS)
        colour = Category10_10[methods.index(method) % len(Category10_10)]
        marker = VIEW_MARKERS[views.index(view) % len(VIEW_MARKERS)]
        layers += [
            hv.Curve(rows, PHOTONS, metric, label=f"{method}, {view}").opts(color=colour),
            hv.Scatter(rows, PHOTONS, [metric, "dose", "view", "method"]).opts(
                color=colour, marker=marker, size=9, tools=["hover"]
            ),
        ]
    if _bounded(limits, metric, part):
        layers += [_bound_curve(rows, PHOTONS, metric, v) for v, rows in limits.groupby("view")]
    return plot(
        hv.Overlay(layers).opts(
            hv.opts.Overlay(
                title=f"{part} {metric} against photons per object pixel",
                logx=True,
                legend_position="right",
                xlabel="photons per object pixel (median)",
                ylabel=metric,
                **{**PLOT, "frame_width": 420},
            )
        ),
        css_classes=["versus-fluence"],
    )


#: the per-cell columns beside the limit, as shown
LIMIT_COLUMNS = {
    "correlation": "phase correlation",
    "correlation_bound": "correlation bound",
    "oracle_correlation": "oracle (best snapshot)",
    "stop_epoch": "stop epoch",
    "rmse": "RMSE (rad)",
    "rmse_bound": "RMSE bound (rad)",
    "rmse_ratio": "measured ÷ bound (RMSE)",
    "fluence": "photons per pixel",
}


def against_limit(table, choices):
    """Each cell's phase scores beside their shot-noise bounds, its oracle and stop epoch
    (``table``: the comparison's phase_against_limit rows), and which baseline
    best_iterative copies (``choices``: best_iterative_choices rows)."""
    shown = [
        pn.pane.DataFrame(
            table.rename(columns=LIMIT_COLUMNS),
            index=False,
            float_format="{:.3g}".format,
            formatters={"dose": "{:g}".format},
            css_classes=["limit-table"],
        )
    ]
    if len(choices):
        shown += [
            pn.pane.Markdown(
                "**best_iterative**: per dose, view and seed, the baseline of the lowest "
                "selection score (from its data, never the truth)."
            ),
            pn.pane.DataFrame(
                choices,
                index=False,
                float_format="{:.4g}".format,
                formatters={"dose": "{:g}".format},
                css_classes=["best-iterative"],
            ),
        ]
    return pn.Column(*shown)


def _quality_time_plot(dose, at_dose, views: list, methods: list) -> hv.Overlay:
    """Phase correlation against inference seconds at one dose: a marker per view, a colour
    per method."""
    layers = [
        hv.Scatter(
            rows,
            "inference_seconds",
            ["correlation", "dose", "view", "method", "training_seconds"],
            label=f"{method}, {view}",
        ).opts(
            marker=VIEW_MARKERS[views.index(view) % len(VIEW_MARKERS)],
            color=Category10_10[methods.index(method) % len(Category10_10)],
        )
        for (method, view), rows in at_dose.groupby(["method", "view"], sort=False)
    ]
    return hv.Overlay(layers).opts(
        hv.opts.Scatter(size=10, tools=["hover"]),
        hv.opts.Overlay(
            title=f"dose {dose:g}",
            logx=True,
            legend_position="right",
            xlabel="inference (s)",
            ylabel="phase correlation",
            **{**PLOT, "frame_width": 300},
        ),
    )


def quality_time(table, cube):
    """Quality against time per dose, and the timing table (``table``: the comparison's
    quality_time rows)."""
    views, methods = list(cube["view"].values), list(cube["method"].values)
    timed = table.dropna(subset=["correlation", "inference_seconds"])
    if timed.empty:
        return notice(
            "No scored cell recorded its timing: cells run before timing was recorded need a "
            "re-run, then the comparison."
        )
    plots = [
        _quality_time_plot(dose, at_dose, views, methods) for dose, at_dose in timed.groupby("dose")
    ]
    table = pn.pane.DataFrame(
        table[list(TIME_COLUMNS)].rename(columns=TIME_COLUMNS),
        index=False,
        float_format="{:.3g}".format,
        formatters={"dose": "{:g}".format},
        css_classes=["timing-table"],
    )
    return pn.Column(pn.Row(*[plot(p) for p in plots], css_classes=["quality-time"]), table)


def differences(table, cube, metric: str, part: str):
    """PINN − baseline heatmaps per gridsize and baseline, paired per repeat (``table``: the
    comparison's difference rows)."""
    rows = table[
        (table["metric"] == metric) & (table["part"] == part) & np.isfinite(table["difference"])
    ]
    if rows.empty:
        return notice("Differences need a PINN and a baseline result of the same dose and view.")
    rows = aggregate(rows, "difference").rename(columns={"mean": "difference"})  # paired per repeat
    bound = max(float(np.nanmax(np.abs(rows["difference"]))), 1e-12)
    labels = _dose_labels(cube["dose"].values)
    plots = []
    for (gridsize, baseline), group in rows.groupby(["gridsize", "baseline"]):
        frame = group.assign(dose=group["dose"].map(lambda d: f"{d:g}"))
        heat = hv.HeatMap(frame, ["view", "dose"], ["difference", "std", "n"]).redim.values(
            dose=labels
        )
        plots.append(
            heat.opts(
                title=f"pinn_gs{gridsize} − {baseline}",
                cmap="RdBu",
                clim=(-bound, bound),
                clabel=f"Δ {metric}",
                **HEAT,
            )
        )
    return pn.Row(*[plot(p) for p in plots], css_classes=["differences"])


def _frc_curves(frc, dose, view, part) -> hv.Overlay:
    """The FRC of each method at one dose, view and part (lowest seed), with the ½-bit curve."""
    rows = frc[(frc["dose"] == dose) & (frc["view"] == view) & (frc["part"] == part)]
    rows = rows[rows["seed"] == rows["seed"].min()] if len(rows) else rows
    layers = [hv.Curve(g, "frequency", "frc", label=str(m)) for m, g in rows.groupby("method")]
    if len(rows):
        first = rows[rows["method"] == rows["method"].iloc[0]]
        layers.append(
            hv.Curve(first, "frequency", "halfbit", label="½-bit").opts(
                color="gray", line_dash="dashed"
            )
        )
    layers.append(hv.HLine(0.5).opts(color="black", line_dash="dotted"))
    return hv.Overlay(layers).opts(
        hv.opts.Curve(line_width=2, tools=["hover"]),
        hv.opts.Overlay(
            title=f"FRC, {part}, dose {dose:g}, {view}",
            legend_position="right",
            xlabel="spatial frequency (cycles/pixel)",
            ylabel="FRC",
            **{**PLOT, "frame_width": 420},
        ),
    )


def frc(table, part_widget):
    """FRC curves with their dose and view selectors (``table``: the comparison's FRC rows;
    ``part_widget``: the page's part selector)."""
    if table.empty:
        return notice("No FRC curves in the comparison.")
    doses = sorted(table["dose"].unique())
    dose = pn.widgets.Select(
        label="dose", options={f"{d:g}": d for d in doses}, value=doses[0], width=140
    )
    view = pn.widgets.Select(label="view", options=sorted(table["view"].unique()), width=140)
    curves = pn.bind(functools.partial(_frc_curves, table), dose, view, part_widget)
    return pn.Column(pn.Row(dose, view), plot(hv.DynamicMap(curves)))


def gallery(files: dict[str, Path]):
    """The comparison's per-cell figures (ground truth and each method, aligned)."""
    cells = [p for name, p in files.items() if name.startswith("cell_")]
    if not cells:
        return notice("The comparison wrote no per-cell figures.")
    return pn.Column(*[pn.pane.PNG(str(p), width=900) for p in cells])
