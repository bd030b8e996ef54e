"""The Results page's sections of a metric over the grid, each built from what the comparison
wrote (server loop): heatmaps over dose × view, the metric against dose and against photons
per object pixel (with the shot-noise bound), and the PINN − baseline differences.

``cube`` is the comparison's metrics cube (dose, view, method, seed, part, metric); ``metric``
and ``part`` are a metric and a part (amplitude / phase) of it; ``limits`` the shot-noise
limit per dose and view (:func:`fly64.study.shot_noise_limits`).
"""

import holoviews as hv
import numpy as np
import panel as pn
from bokeh.palettes import Category10_10

from fly64.study import PHASE_BOUNDS, aggregate

from ..common import PLOT, notice, plot

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
