"""The base of the pages that show the store's data (Diffraction, Scan & overlap).

Such a page reads what the store holds for it again only when the store's study, dose
datasets or (for a page of views) cut views change on disk; while the store holds nothing
for it, it shows what is missing and the set-up preview of the Study form's settings.
Its state is three params (the store, what it holds, the preview); the page is rebuilt
when they change. Nothing is read while the page is built (it says so): its first poll, when
its tab is opened, reads it.
"""

from collections.abc import Callable

import panel as pn
import param

from fly64.data import Store
from fly64.study import Study

from .common import notice
from .page import UNCHANGED, Collected, data_stamps, store_study
from .preview_panel import preview_key, preview_of, preview_section


class DataPage(pn.viewable.Viewer):
    """What the store holds for one page, or the form's preview while it holds nothing.

    study : returns the Study form's current study, previewed while the store holds nothing.

    A subclass defines ``read(store, study)`` (what the store holds for the page, read in the
    worker thread; empty when nothing), ``build(store, data)`` (the page for it), ``keep(name)``
    (whether the preview figure ``name`` belongs on the page), :attr:`missing` (what to say
    while there is nothing, with ``{where}`` for the store option) and :attr:`views` (whether
    the cut views' files join the change check).
    """

    store = param.ClassSelector(
        class_=Store, allow_None=True, doc="the store shown; None until it exists"
    )
    data = param.Parameter(doc="what ``read`` found in the store; empty or None: nothing yet")
    preview = param.Parameter(doc="the form's Preview (or why there is none) while no data")

    views = False
    missing = ""
    css_class = ""

    def __init__(self, study: Callable[[], Study] | None = None):
        super().__init__()
        self.study = study
        # nothing is read while the page is built: its first poll (its tab opened) fills it in
        self.body = pn.Column(
            notice("Reading the store…"), sizing_mode="stretch_width", css_classes=[self.css_class]
        )
        self._stamps = self._found = None  # the data on disk, and what was read from it
        self._shown: tuple | None = None  # the store, data and preview key last collected

    def collect(self, store: Store | None, jobs) -> dict | Collected:
        """The page's params (worker thread): the store's data, read again only when its files
        changed, or the form's preview; :data:`~.page.UNCHANGED` when neither changed."""
        study = store_study(store)
        stamps = None if store is None else data_stamps(store, study, self.views)
        if stamps != self._stamps:
            self._stamps, self._found = stamps, None if study is None else self.read(store, study)
        previewed = None if self._found or self.study is None else self.study()
        key = (store, self._found, previewed and preview_key(previewed))
        if key == self._shown:
            return UNCHANGED
        self._shown = key
        return {"store": store, "data": self._found, "preview": previewed and preview_of(previewed)}

    def apply(self, data: dict) -> None:
        """Show what :meth:`collect` returned (server loop)."""
        with param.parameterized.discard_events(self):
            self.param.update(data)
        self._rebuild()

    def _rebuild(self) -> None:
        if self.data:
            self.body.objects = [self.build(self.store, self.data)]
            return
        where = f" --store {self.store.root}" if self.store is not None else ""
        preview = [] if self.preview is None else preview_section(self.preview, self.keep)
        self.body.objects = [notice(self.missing.format(where=where)), *preview]

    def __panel__(self):
        return self.body
