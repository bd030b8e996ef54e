"""Results page (the evaluate stage): metric heatmaps, metric vs dose, quality against time,
differences, FRC, gallery, downloads.

Everything shown comes from what the comparison wrote (the metrics cube, the FRC table,
the PNG figures); :meth:`ResultsPage.collect` reads it (:mod:`.results_data`) in the poller's
worker thread when those files, the store's settings or its finished cells changed (they
decide whether the comparison is out of date), and :meth:`ResultsPage.apply` sets the page's
two params, the store and its results, which rebuilds the page.
"""

import tempfile
from pathlib import Path

import holoviews as hv
import numpy as np
import panel as pn
import param
from bokeh.palettes import Category10_10

from fly64.data.npz import export_npz
from fly64.data.store import Store, dose_tag
from fly64.study.aggregate import aggregate
from fly64.study.model import Study
from fly64.study.views_data import dose_dataset

from .common import PLOT, notice, plot
from .page import UNCHANGED, Collected
from .results_data import read_results, results_key

HEAT = dict(
    frame_width=220, frame_height=160, colorbar=True, tools=["hover"], toolbar="above", xrotation=0
)
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


class ResultsPage(pn.viewable.Viewer):
    """The comparison of the store (a :class:`~.page.Page`)."""

    store = param.ClassSelector(
        class_=Store, allow_None=True, doc="the store shown; None until it exists"
    )
    results = param.Parameter(doc="ResultsData; None: no comparison; a str: why it is unreadable")

    def __init__(self):
        super().__init__()
        self.body = pn.Column(sizing_mode="stretch_width", css_classes=["results-page"])
        self._key = None  # what the results last collected were read from (worker thread)
        self._rebuild()

    # -- reading (worker thread)
    def collect(self, store: Store | None, jobs) -> dict | Collected:
        """The page's params: the store and its results (see :func:`~.results_data.read_results`),
        or :data:`~.page.UNCHANGED` when their :func:`~.results_data.results_key` did not change."""
        key = results_key(store, jobs)
        if key == self._key:
            return UNCHANGED
        self._key = key
        return {"store": store, "results": read_results(store)}

    # -- showing (server loop)
    def apply(self, data: dict) -> None:
        """Show what :meth:`collect` returned."""
        self.param.update(data)

    @param.depends("store", "results", watch=True)
    def _rebuild(self) -> None:
        store, data = self.store, self.results
        if isinstance(data, str):
            self.body.objects = [
                notice(f"The comparison's results cannot be read: {data}", "danger")
            ]
            return
        if data is None:
            where = f" --store {store.root}" if store is not None else ""
            self.body.objects = [
                notice(
                    "No comparison yet: run the grid on the Study page (the comparison runs last), "
                    f"or `fly64 compare{where}` once some cells are done."
                )
            ]
            return
        cube = data.cube
        metric = pn.widgets.Select(
            label="metric", options=list(cube["metric"].values), value="ssim", width=220
        )
        part = pn.widgets.RadioButtonGroup(options=list(cube["part"].values), value="phase")
        n_cells = int(cube.notnull().any(["part", "metric"]).sum())
        stale = (
            [
                notice(
                    "The comparison is out of date: "
                    + "; ".join(data.stale)
                    + ". Run the grid (the "
                    "comparison runs last) or `fly64 compare` to refresh it.",
                    "warning",
                )
            ]
            if data.stale
            else []
        )
        self.body.objects = [
            *stale,
            pn.pane.Markdown(
                f"**{n_cells} scored cells** (mean over repeat seeds where there are several)."
            ),
            pn.Row(metric, pn.Column("part", part)),
            pn.pane.Markdown("#### Metric over dose × view, per method"),
            pn.bind(self._heatmaps, cube, metric, part),
            pn.pane.Markdown(
                "#### Metric against dose\nMean over the repeat seeds, with error bars of ± one "
                "standard deviation where there are several (n in the hover)."
            ),
            pn.bind(self._versus_dose, cube, metric, part),
            pn.pane.Markdown(
                "#### Quality against time\nPhase correlation against the seconds to reconstruct "
                "the whole test split (PINN: forward passes and stitching; LSQML: its whole "
                "reconstruction); hover for the training seconds."
            ),
            self._quality_time(data.quality_time, cube),
            pn.pane.Markdown(
                "#### PINN − baseline\nPaired per repeat (same data), mean over the repeats; "
                "hover for the standard deviation and n."
            ),
            pn.bind(self._differences, data.differences, cube, metric, part),
            pn.pane.Markdown("#### Fourier ring correlation"),
            self._frc(data.frc, cube, part),
            pn.pane.Markdown("#### Gallery: ground truth and each method, aligned, per cell"),
            self._gallery(data.files),
            pn.pane.Markdown("#### Downloads"),
            self._downloads(data.files, cube),
        ]

    def _heatmaps(self, cube, metric, part):
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
            plots.append(
                heat.opts(title=str(method), clim=clim, cmap="viridis", clabel=metric, **HEAT)
            )
        return pn.Row(*[plot(p) for p in plots], css_classes=["heatmaps"])

    def _versus_dose(self, cube, metric, part):
        values = cube.sel(metric=metric, part=part)
        plots = []
        for view in values["view"].values:
            layers = []
            for method in values["method"].values:
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
                layers += [
                    hv.Curve(points[:2], "dose", metric, label=str(method)),
                    hv.Scatter(points, "dose", [metric, "std", "n"], label=str(method)).opts(
                        size=7
                    ),
                ]
                if (n[ok] > 1).any():  # mean ± standard deviation over the repeats
                    layers.append(hv.ErrorBars(points[:3], "dose", [metric, "std"]))
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

    def _quality_time(self, table, cube):
        views, methods = list(cube["view"].values), list(cube["method"].values)
        timed = table.dropna(subset=["correlation", "inference_seconds"])
        if timed.empty:
            return notice(
                "No scored cell recorded its timing: cells run before timing was recorded need a "
                "re-run, then the comparison."
            )
        plots = []
        for dose, at_dose in timed.groupby("dose"):
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
            plots.append(
                hv.Overlay(layers).opts(
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
            )
        table = pn.pane.DataFrame(
            table[list(TIME_COLUMNS)].rename(columns=TIME_COLUMNS),
            index=False,
            float_format="{:.3g}".format,
            formatters={"dose": "{:g}".format},
            css_classes=["timing-table"],
        )
        return pn.Column(pn.Row(*[plot(p) for p in plots], css_classes=["quality-time"]), table)

    def _differences(self, table, cube, metric, part):
        rows = table[
            (table["metric"] == metric) & (table["part"] == part) & np.isfinite(table["difference"])
        ]
        if rows.empty:
            return notice(
                "Differences need a PINN and a baseline result of the same dose and view."
            )
        rows = aggregate(rows, "difference").rename(
            columns={"mean": "difference"}
        )  # paired per repeat
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

    def _frc(self, frc, cube, part_widget):
        if frc.empty:
            return notice("No FRC curves in the comparison.")
        doses = sorted(frc["dose"].unique())
        dose = pn.widgets.Select(
            label="dose", options={f"{d:g}": d for d in doses}, value=doses[0], width=140
        )
        view = pn.widgets.Select(label="view", options=sorted(frc["view"].unique()), width=140)

        def curves(dose, view, part):
            rows = frc[(frc["dose"] == dose) & (frc["view"] == view) & (frc["part"] == part)]
            rows = rows[rows["seed"] == rows["seed"].min()] if len(rows) else rows
            layers = [
                hv.Curve(g, "frequency", "frc", label=str(m)) for m, g in rows.groupby("method")
            ]
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

        return pn.Column(
            pn.Row(dose, view), plot(hv.DynamicMap(pn.bind(curves, dose, view, part_widget)))
        )

    def _gallery(self, files):
        cells = [p for name, p in files.items() if name.startswith("cell_")]
        if not cells:
            return notice("The comparison wrote no per-cell figures.")
        return pn.Column(*[pn.pane.PNG(str(p), width=900) for p in cells])

    def _downloads(self, files, cube):
        buttons = [
            pn.widgets.FileDownload(file=str(p), filename=name, label=name, embed=False, width=260)
            for name, p in files.items()
        ]
        folder = Path(tempfile.mkdtemp(prefix="fly64-export-"))
        store = self.store

        def report():
            from fly64.study.html_report import write_study_report  # matplotlib: only when asked

            study = Study.load(store.study_path, whole=True)
            return str(write_study_report(study, store, folder / "fly64-study-report.html"))

        buttons.append(
            pn.widgets.FileDownload(
                callback=report,
                filename="fly64-study-report.html",
                label="study report (HTML)",
                embed=False,
                width=260,
                button_type="primary",
                css_classes=["study-report"],
            )
        )
        doses = sorted(float(d) for d in cube["dose"].values if store.dose_path(float(d)).exists())
        if not doses:
            return pn.FlexBox(*buttons)
        dose = pn.widgets.Select(
            label="dose to export (PtychoPINN NPZ)", options={f"{d:g}": d for d in doses}, width=220
        )

        def export():
            path = folder / f"fly64-dose-{dose_tag(dose.value)}.npz"
            return str(export_npz(dose_dataset(self.store, dose.value), path))

        npz = pn.widgets.FileDownload(
            callback=export,
            filename=f"fly64-dose-{dose_tag(doses[0])}.npz",
            label="export NPZ",
            embed=False,
            width=200,
        )
        dose.param.watch(
            lambda e: setattr(npz, "filename", f"fly64-dose-{dose_tag(e.new)}.npz"), "value"
        )
        return pn.Column(pn.FlexBox(*buttons), pn.Row(dose, npz), css_classes=["downloads"])

    def __panel__(self):
        return self.body
