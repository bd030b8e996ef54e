"""The dashboard: one template, one tab per page, one periodic poller per browser session.

Every ``poll_ms`` the poller reads the store and the job registry in a worker thread
(file reads only), then pushes what changed to the pages on the server loop inside one
``hold`` (one websocket message). The Study page's grid is always kept current; the other
pages are updated only while their tab is shown (and catch up when it is opened). Pages
patch tables and stream into plots; a page is rebuilt only when the data it shows
appears or changes on disk.
"""

import asyncio
import logging
from dataclasses import dataclass, field

import panel as pn

from fly64.data.store import Store, StoreError
from fly64.study import Study, StudyError
from fly64.study.registry import JobStatus, Registry
from fly64.study.views_data import available_views, dose_summary, simulated_doses

from .diffraction_page import DiffractionPage
from .live_page import LivePage
from .overlap_page import OverlapPage
from .results_page import ResultsPage
from .study_page import StudyPage

log = logging.getLogger(__name__)


DIFFRACTION, OVERLAP, LIVE, RESULTS = 1, 2, 3, 4  # tab indices


@dataclass
class Tick:
    """What one poll read from disk."""

    store: Store | None
    jobs: list[JobStatus] = field(default_factory=list)
    data: tuple | None = None  # (doses, {dose: views}) when the data on disk changed
    results: tuple | None = None  # (ResultsData or message or None,) when the results changed
    live: dict = field(default_factory=dict)  # monitor updates, while the Live tab is shown


def _stamp(path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


class Dashboard(pn.viewable.Viewer):
    """The five pages of one browser session over the store of ``config`` (:class:`AppConfig`)."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.store = self._open_store()
        self.store_study = self._store_study()
        study = self.store_study or Study.preset(config.preset)
        jobs = Registry(self.store).all() if self.store is not None else []
        self.study_page = StudyPage(config.store, study, jobs)  # the grid's true state at once
        self.diffraction = DiffractionPage(lambda: self.study_page.form.study)  # previewed while no data
        self.overlap = OverlapPage(lambda: self.study_page.form.study)
        self.live = LivePage()
        self.results = ResultsPage()
        self.tabs = pn.Tabs(
            ("Study", self.study_page), ("Diffraction", self.diffraction), ("Scan & overlap", self.overlap),
            ("Live reconstructions", self.live), ("Results", self.results),
            sizing_mode="stretch_width",
        )
        self.status = pn.pane.Str("", css_classes=["poll-status"], styles={"color": "#b00020"})
        self._data_key = self._results_key = None
        self._study_stamp = _stamp(self.store.study_path) if self.store else None
        self._busy = False
        self.callback = None
        self.known = Tick(self.store, jobs, data=([], {}), results=(None,))  # latest of everything read
        self.tabs.param.watch(lambda _: self._show({}), "active")
        pn.state.onload(self._start)  # data pages fill in on the first poll

    # -- store
    def _open_store(self) -> Store | None:
        try:
            return Store.open(self.config.store)
        except StoreError:
            return None

    def _store_study(self) -> Study | None:
        if self.store is None or not self.store.study_path.exists():
            return None
        try:
            return Study.load(self.store.study_path, whole=True)
        except StudyError as exc:
            log.warning("cannot read %s: %s", self.store.study_path, exc)
            return None

    # -- polling
    def _start(self):
        self.callback = pn.state.add_periodic_callback(self._tick, period=self.config.poll_ms)

    async def _tick(self):
        if self._busy:
            return
        self._busy = True
        try:
            tick = await asyncio.to_thread(self._read)
            with pn.io.hold():
                self._apply(tick)
            self.status.object = ""
        except Exception as exc:  # noqa: BLE001 - keep polling; say what went wrong
            log.exception("dashboard poll failed")
            self.status.object = f"reading the store failed: {type(exc).__name__}: {exc}"
        finally:
            self._busy = False

    def _read(self) -> Tick:
        """Everything the pages need from disk (worker thread: no Panel objects touched)."""
        if self.store is None:
            self.store = self._open_store()
            if self.store is None:
                return Tick(None)
        store = self.store
        key = [_stamp(store.study_path)]
        if key[0] != self._study_stamp:
            self.store_study, self._study_stamp = self._store_study(), key[0]
        study = self.store_study
        jobs = Registry(store).all()
        tick = Tick(store, jobs, live=self.live.collect(store, jobs) if self.tabs.active == LIVE else {})
        if study is not None:
            key += [_stamp(store.dose_path(d) / "zarr.json") for d in study.doses]
            key += [_stamp(store.view_path(d, v)) for d in study.doses for v in study.views]
        if key != self._data_key:
            doses = simulated_doses(store, study) if study else []
            for dose in doses:
                dose_summary(store, dose)  # warm the cache off the loop
            tick.data = (doses, {d: available_views(store, study, d) for d in doses})
            self._data_key = key
        results = self.results.stamp(store)
        if results != self._results_key:
            tick.results, self._results_key = (self.results.collect(store),), results
        return tick

    def _apply(self, tick: Tick) -> None:
        """Remember a poll's findings and show them (server loop)."""
        self.known = Tick(tick.store, tick.jobs, tick.data or self.known.data,
                          tick.results or self.known.results)
        self._show(tick.live)

    def _show(self, live_updates: dict) -> None:
        """Update the grid, and the page whose tab is shown, from what is known."""
        known, active = self.known, self.tabs.active
        self.study_page.apply(known.jobs)
        if known.store is None:
            return
        if active == DIFFRACTION:
            self.diffraction.update(known.store, known.data[0])
        elif active == OVERLAP:
            self.overlap.update(known.store, known.data[1])
        elif active == LIVE:
            self.live.apply(known.store, known.jobs, live_updates)
        elif active == RESULTS:
            self.results.apply(known.store, *known.results)

    def template(self, title: str = "fly64") -> pn.template.BootstrapTemplate:
        """The page: a Bootstrap template (no external fonts or icons) holding the tabs."""
        return pn.template.BootstrapTemplate(title=title, main=[self.status, self.tabs])

    def __panel__(self):
        return pn.Column(self.status, self.tabs)
