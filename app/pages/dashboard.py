"""The dashboard: one template, one tab per page, one periodic poller per browser session.

Every ``poll_ms`` the poller reads the job registry once and lets each polled page collect
what it shows (:class:`~.page.Page`: ``collect(store, jobs)`` in a worker thread, file reads
only), then applies what the pages collected on the server loop inside one ``hold`` (one
websocket message). The Study page's grid is always kept current; the other pages are polled
only while their tab is shown (and catch up when it is opened: opening a tab polls at once).
Each page decides itself whether anything it shows changed; pages patch tables and stream
into plots, and are rebuilt only when the data they show appears or changes on disk.
"""

import asyncio
import logging

import panel as pn

from fly64.study import Registry, Study

from .diffraction_page import DiffractionPage
from .live_page import LivePage
from .overlap_page import OverlapPage
from .page import UNCHANGED, Page, open_store, store_study
from .results.page import ResultsPage
from .study.page import StudyPage

log = logging.getLogger(__name__)


class Dashboard(pn.viewable.Viewer):
    """The five pages of one browser session over the store of ``config`` (:class:`AppConfig`)."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.store = open_store(config.store)
        study = store_study(self.store) or Study.preset(config.preset)
        jobs = Registry(self.store).all() if self.store is not None else []
        self.study_page = StudyPage(config.store, study, jobs)  # the grid's true state at once
        self.diffraction = DiffractionPage(
            lambda: self.study_page.form.study
        )  # previewed while no data
        self.overlap = OverlapPage(lambda: self.study_page.form.study)
        self.live = LivePage()
        self.results = ResultsPage()
        self.tabs = pn.Tabs(
            ("Study", self.study_page),
            ("Diffraction", self.diffraction),
            ("Scan & overlap", self.overlap),
            ("Live reconstructions", self.live),
            ("Results", self.results),
            sizing_mode="stretch_width",
        )
        self.pages: list[Page] = [  # in tab order
            self.study_page,
            self.diffraction,
            self.overlap,
            self.live,
            self.results,
        ]
        self.status = pn.pane.Str("", css_classes=["poll-status"], styles={"color": "#b00020"})
        self._busy = False
        self.callback = None
        self.tabs.param.watch(self._tab_opened, "active")
        pn.state.onload(self._start)  # data pages fill in on the first poll

    # -- polling
    def _start(self):
        self.callback = pn.state.add_periodic_callback(self._tick, period=self.config.poll_ms)

    async def _tab_opened(self, _):
        """Poll at once, so the page just shown catches up (a poll under way: at the next one)."""
        await self._tick()

    def polled(self) -> list[Page]:
        """The pages a poll updates: the Study page and the page whose tab is shown."""
        shown = self.pages[self.tabs.active]
        return [self.study_page] if shown is self.study_page else [self.study_page, shown]

    async def _tick(self):
        if self._busy:
            return
        self._busy = True
        try:
            collected = await asyncio.to_thread(self.collect, self.polled())
            with pn.io.hold():
                for page, data in collected:
                    if data is not UNCHANGED:
                        page.apply(data)
            self.status.object = ""
        except Exception as exc:  # noqa: BLE001 - keep polling; say what went wrong
            log.exception("dashboard poll failed")
            self.status.object = f"reading the store failed: {type(exc).__name__}: {exc}"
        finally:
            self._busy = False

    def collect(self, pages: list[Page]) -> list[tuple[Page, object]]:
        """Each page's collected data (worker thread: no Panel object touched); the store's jobs
        are read once for all of them."""
        if self.store is None:
            self.store = open_store(self.config.store)
        jobs = Registry(self.store).all() if self.store is not None else []
        return [(page, page.collect(self.store, jobs)) for page in pages]

    def template(self, title: str = "fly64") -> pn.template.BootstrapTemplate:
        """The page: a Bootstrap template (no external fonts or icons) holding the tabs."""
        return pn.template.BootstrapTemplate(title=title, main=[self.status, self.tabs])

    def __panel__(self):
        return pn.Column(self.status, self.tabs)
