"""Results page (the evaluate stage): metric heatmaps, metric vs dose and vs photons per
object pixel with the shot-noise bound, phase scores beside their limit per cell, quality
against time, differences, what the PINN's start buys a refinement, FRC, gallery, downloads.

Everything shown comes from what the comparison wrote (the metrics cube, the FRC table,
the PNG figures); :meth:`ResultsPage.collect` reads it (:mod:`.data`) in the poller's
worker thread when those files, the store's settings or its finished cells changed (they
decide whether the comparison is out of date), and :meth:`ResultsPage.apply` sets the page's
two params, the store and its results, which rebuilds the page from its sections
(:mod:`.metric_sections`, :mod:`.cell_sections`, :mod:`.warm_start`, :mod:`.downloads`).
"""

import panel as pn
import param

from fly64.data import Store

from ..common import notice
from ..page import UNCHANGED, Collected
from . import cell_sections, metric_sections
from .data import ResultsData, read_results, results_key
from .downloads import ExportFolder, downloads
from .warm_start import warm_start

#: the page's results before its first read of the store ended (never "no comparison")
READING = object()
#: the sections shown at once, down to the first figures (the heatmaps); the rest fill in
FIRST_SECTIONS = 4


def _unavailable(store: Store | None, data) -> list | None:
    """The notice shown instead of the sections when there are no readable results, else None."""
    if data is READING:
        return [notice("Reading the comparison…")]
    if isinstance(data, str):
        return [notice(f"The comparison's results cannot be read: {data}", "danger")]
    if data is None:
        where = f" --store {store.root}" if store is not None else ""
        return [
            notice(
                "No comparison yet: run the grid on the Study page (the comparison runs last), "
                f"or `fly64 compare{where}` once some cells are done."
            )
        ]
    return None


def _stale_notice(data: ResultsData) -> list:
    """A warning naming why the comparison is out of date; empty while it is current."""
    if not data.stale:
        return []
    return [
        notice(
            "The comparison is out of date: " + "; ".join(data.stale) + ". Run the grid (the "
            "comparison runs last) or `fly64 compare` to refresh it.",
            "warning",
        )
    ]


def _sections(store: Store, data: ResultsData, exports: ExportFolder) -> list:
    """The page's sections under their headings, sharing one metric and one part selector;
    requested downloads are written into ``exports``."""
    cube = data.cube
    metric = pn.widgets.Select(
        label="metric", options=list(cube["metric"].values), value="ssim", width=220
    )
    part = pn.widgets.RadioButtonGroup(options=list(cube["part"].values), value="phase")
    n_cells = int(cube.notnull().any(["part", "metric"]).sum())
    return [
        pn.pane.Markdown(
            f"**{n_cells} scored cells** (mean over repeat seeds where there are several)."
        ),
        pn.Row(metric, pn.Column("part", part)),
        pn.pane.Markdown("#### Metric over dose × view, per method"),
        pn.bind(metric_sections.heatmaps, cube, metric, part),
        pn.pane.Markdown(
            "#### Metric against dose\nMean over the repeat seeds, with error bars of ± one "
            "standard deviation where there are several (n in the hover); the phase "
            "correlation and RMSE with their shot-noise bound (dashed)."
        ),
        pn.bind(metric_sections.versus_dose, cube, data.limits, metric, part),
        pn.pane.Markdown(
            "#### Metric against photons per object pixel\nBoth views on one axis (median "
            "photons incident per pixel of the evaluation mask). The shot-noise bound "
            "σ_φ ≥ 1/(2√n) assumes a weak-phase object, a known probe and an unbiased "
            "estimator: a regularised or learned method may beat the RMSE bound."
        ),
        pn.bind(metric_sections.versus_fluence, cube, data.limits, metric, part),
        pn.pane.Markdown(
            "#### Phase scores beside their limit, per cell\nMeasured ÷ bound (RMSE) below 1 "
            "needs prior knowledge. The oracle is an iterative cell's best object snapshot, "
            "chosen by the truth: a diagnostic of its stop rule, not a result."
        ),
        cell_sections.against_limit(data.against_limit, data.choices),
        pn.pane.Markdown(
            "#### Quality against time\nPhase correlation against the seconds to reconstruct "
            "the whole test split (PINN: forward passes and stitching; LSQML: its whole "
            "reconstruction); hover for the training seconds."
        ),
        cell_sections.quality_time(data.quality_time, cube),
        pn.pane.Markdown(
            "#### PINN − baseline\nPaired per repeat (same data), mean over the repeats; "
            "hover for the standard deviation and n."
        ),
        pn.bind(metric_sections.differences, data.differences, cube, metric, part),
        *_warm_start(data),
        pn.pane.Markdown("#### Fourier ring correlation"),
        cell_sections.frc(data.frc, part),
        pn.pane.Markdown("#### Gallery: ground truth and each method, aligned, per cell"),
        cell_sections.gallery(data.files),
        pn.pane.Markdown("#### Downloads"),
        downloads(store, data.files, cube, data.cells, exports),
    ]


def _warm_start(data: ResultsData) -> list:
    """The heading and section of what the PINN's start buys; empty without refinements."""
    if data.warm_start.empty:
        return []
    return [
        pn.pane.Markdown(
            "#### What the PINN's start buys\nEach refinement (solid) runs its solver from its "
            "PINN's reconstruction, from the PINN's inference time on; its flat-start solver "
            "(dashed) runs from a flat object on the same data. epochs_to_flat and "
            "seconds_to_flat: the first snapshot that reaches the flat start's phase "
            "correlation; the fractions divide them by the flat start's epochs and seconds."
        ),
        warm_start(data.warm_start, data.files),
    ]


class ResultsPage(pn.viewable.Viewer):
    """The comparison of the store (a :class:`~app.pages.page.Page`)."""

    store = param.ClassSelector(
        class_=Store, allow_None=True, doc="the store shown; None until it exists"
    )
    results = param.Parameter(
        READING,
        doc="ResultsData; None: no comparison; a str: why it is unreadable; READING: not read yet",
    )

    def __init__(self):
        super().__init__()
        self.body = pn.Column(sizing_mode="stretch_width", css_classes=["results-page"])
        self._key = None  # what the results last collected were read from (worker thread)
        self._generation = 0  # counts rebuilds (a section filled in belongs to the latest)
        self.exports = ExportFolder()  # one per page (session), gone with the session
        if pn.state.curdoc is not None and pn.state.curdoc.session_context is not None:
            pn.state.on_session_destroyed(self.exports.remove)
        self._rebuild()

    # -- reading (worker thread)
    def collect(self, store: Store | None, jobs) -> dict | Collected:
        """The page's params: the store and its results (see :func:`~.data.read_results`), or
        :data:`~app.pages.page.UNCHANGED` when their :func:`~.data.results_key` did not change."""
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
        self._generation += 1
        unavailable = _unavailable(store, data)
        if unavailable:
            self.body.objects = unavailable
            return
        notices = _stale_notice(data)
        parts = [*notices, *_sections(store, data, self.exports)]
        first = len(notices) + FIRST_SECTIONS
        self.body.objects = parts[:first]
        self._fill(parts[first:], self._generation)

    def _fill(self, rest: list, generation: int) -> None:
        """Add the sections after the first figures one per turn of the server loop, so the
        browser shows each as it is built (a plot's bokeh models take most of a second); all
        at once outside a server. A rebuild since (another ``generation``) stops the filling."""
        if not rest or generation != self._generation:
            return
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:
            self.body.extend(rest)
            return
        self.body.append(rest[0])
        doc.add_next_tick_callback(lambda: self._fill(rest[1:], generation))

    def __panel__(self):
        return self.body
