"""The Results page's sections per cell, each built from what the comparison wrote (server
loop): the phase scores beside their limit, quality against time, the Fourier ring
correlation and the gallery (the downloads are in :mod:`.downloads`).
"""

import functools
from pathlib import Path

import holoviews as hv
import panel as pn
from bokeh.palettes import Category10_10

from ..common import PLOT, notice, plot
from .metric_sections import VIEW_MARKERS

TIME_COLUMNS = {
    "dose": "dose",
    "view": "view",
    "method": "method",
    "correlation": "phase correlation",
    "training_seconds": "training s",
    "inference_seconds": "inference s",
    "patterns_per_second": "patterns/s",
}


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
