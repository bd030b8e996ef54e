"""Set-up preview beside the Study form: what the edited, unsaved settings would simulate and cut.

The preview comes from the library (:func:`fly64.study.preview_study`: small inputs,
no job, nothing written). A periodic callback computes it in a worker thread once the form's study
has stopped changing for :data:`DEBOUNCE_S`, so editing never waits for it. The numbers are sent
first; then only the figures whose inputs changed are redrawn, each through its own stream, so the
plots are patched rather than rebuilt (the layout is rebuilt only when the doses or views change).
"""

import asyncio
import time
from collections.abc import Callable

import holoviews as hv
import pandas as pd
import panel as pn

from fly64.study import PATTERN_SCALES, Preview, Study, StudyError, preview_figures, preview_study

from .common import notice, plot
from .scene_table import scene_table
from .study.form import StudyForm

DEBOUNCE_S = 0.3
POLL_MS = 150
LIMIT_NOTE = (
    "*photons/px*: median photons incident per object pixel of the test scan's evaluation "
    "mask at each dose; *correlation bound*: the phase correlation the shot noise allows "
    "there (σ_φ ≥ 1/(2√n): weak-phase object, known probe, unbiased estimator)."
)


def preview_key(study: Study) -> tuple:
    """What a preview depends on: the simulate and overlap settings
    (views included) and the doses.
    """
    return study.settings_hash("overlap"), tuple(study.doses)


def scene_text(preview: Preview) -> str:
    """The probe, object and pattern numbers of a preview, as a Markdown table."""
    photons = ", ".join(f"{d:g}: {int(p[0].sum())}" for d, p in preview.patterns.items())
    return scene_table(
        preview.scene,
        "set-up",
        {
            "base scan": f"{len(preview.base_positions)} positions",
            "photons in the shown pattern (dose: count)": photons,
        },
    )


class PreviewPanel(pn.viewable.Viewer):
    """The preview of ``form``'s current study, refreshed after each change of its settings."""

    def __init__(self, form: StudyForm):
        super().__init__()
        self.form = form
        self.scale = pn.widgets.RadioButtonGroup(
            options=list(PATTERN_SCALES), value="log", css_classes=["preview-scale"]
        )
        self.status = pn.pane.Markdown("computing the preview …", css_classes=["preview-status"])
        self.scene = pn.pane.Markdown("", css_classes=["preview-scene"])
        self.views = pn.pane.DataFrame(
            pd.DataFrame(), css_classes=["preview-views"], sizing_mode="stretch_width"
        )
        self.figures = plot(None, css_classes=["preview-figures"])
        self.preview: Preview | None = None
        self._pipes: dict[str, hv.streams.Pipe] = {}  # one per figure of the layout shown
        self._sent: dict[str, tuple] = {}  # what each figure was last drawn from
        self._shown = None  # preview_key of the preview shown
        self._due = 0.0  # monotonic time after which the form's study is previewed
        self._busy = False
        form.param.watch(self._changed, "study")
        self.scale.param.watch(lambda _: self.draw(), "value")
        pn.state.onload(lambda: pn.state.add_periodic_callback(self._poll, period=POLL_MS))

    def _changed(self, *_):
        self._due = time.monotonic() + DEBOUNCE_S

    async def _poll(self):
        study = self.form.study
        key = preview_key(study)
        if self._busy or key == self._shown or time.monotonic() < self._due:
            return
        self._busy = True
        try:
            self.show(await asyncio.to_thread(preview_study, study))
            await asyncio.sleep(0)  # the numbers leave before the figures are drawn
            with pn.io.hold(), pn.state.curdoc.models.freeze():
                self.draw()
        except StudyError as exc:
            self.status.object = f"no preview: {exc}"
        finally:
            self._shown, self._busy = key, False

    def show(self, preview: Preview) -> None:
        """Show ``preview``'s numbers; :meth:`draw` shows its figures."""
        self.preview = preview
        with pn.io.hold():
            self.status.object = (
                f"**Set-up preview** of the settings on the left, not yet saved "
                f"(computed in {preview.seconds:.2f} s; no job, nothing written)"
            )
            self.scene.object = scene_text(preview)
            self.views.object = pd.DataFrame(preview.view_rows()).set_index("view").T

    def draw(self) -> None:
        """Draw the figures whose inputs changed (a new layout when the doses or views changed)."""
        if self.preview is None:
            return
        sources = figure_sources(self.preview, self.scale.value)
        changed = [name for name, source in sources.items() if self._sent.get(name) != source]
        if not changed:
            return
        figures = preview_figures(self.preview, self.scale.value)
        if list(figures) != list(self._pipes):
            self._pipes = {name: hv.streams.Pipe(data=figure) for name, figure in figures.items()}
            self.figures.object = (
                hv.Layout(
                    [
                        hv.DynamicMap(lambda data: data, streams=[pipe])
                        for pipe in self._pipes.values()
                    ]
                )
                .opts(shared_axes=False)
                .cols(2)
            )
        else:
            for name in changed:
                self._pipes[name].send(figures[name].opts(framewise=True))
        self._sent = sources

    def __panel__(self):
        return pn.Column(
            self.status,
            self.scene,
            self.views,
            pn.pane.Markdown(LIMIT_NOTE, css_classes=["preview-limit-note"]),
            pn.Row("patterns:", self.scale),
            self.figures,
            width=700,
            css_classes=["preview-panel"],
        )


def preview_of(study: Study) -> Preview | str:
    """``study``'s set-up preview, or the model's message saying why there is none."""
    try:
        return preview_study(study)
    except StudyError as exc:
        return str(exc)


def preview_section(preview: Preview | str, keep: Callable[[str], bool]) -> list:
    """The data pages' content before the store holds data: the preview figures whose names
    ``keep`` accepts (see :func:`~fly64.study.preview_figures`), three per
    row, with a caption; a warning when ``preview`` is the message of :func:`preview_of`.
    """
    if isinstance(preview, str):
        return [notice(f"No set-up preview either: {preview}", "warning")]
    figures = [figure for name, figure in preview_figures(preview).items() if keep(name)]
    return [
        pn.pane.Markdown(
            "**Set-up preview** of the Study form's settings, computed in memory "
            "(nothing is on disk yet):",
            css_classes=["page-preview-caption"],
        ),
        plot(hv.Layout(figures).opts(shared_axes=False).cols(3), css_classes=["page-preview"]),
    ]


def figure_sources(preview: Preview, scale: str) -> dict[str, tuple]:
    """What each figure of :func:`preview_figures` is drawn from
    (the preview's cached parts), by name.
    """
    scene = (id(preview.scene),)
    patterns = (tuple(id(p) for p in preview.patterns.values()), scale)
    return {
        **dict.fromkeys(
            ("probe amplitude", "probe phase", "object phase", "object amplitude", "spectrum"),
            scene,
        ),
        **{f"pattern {d:g}": patterns for d in preview.patterns},
        **{f"scan {name}": scene + (id(view),) for name, view in preview.views.items()},
    }
