"""Diffraction page: patterns per dose on one colour scale, mean pattern, probe, object,
photons per pattern.
"""

import functools

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn

from fly64.data import Store
from fly64.study import (
    Study,
    dose_summary,
    pattern,
    probe_circles,
    probe_circles_overlay,
    scene_summary,
    simulated_doses,
)

from .common import PHASE_CMAP, PLOT, centred_image, image, limits, plot, scaled
from .data_page_base import DataPage
from .scene_table import scene_table


def _pattern_controls(n: int):
    """The frame slider (pattern index < ``n``), the display scale and the colour percentiles."""
    frame = pn.widgets.IntSlider(
        label="frame (pattern index)", start=0, end=n - 1, value=0, width=320
    )
    scale = pn.widgets.RadioButtonGroup(options=["log", "sqrt", "linear"], value="log")
    pct = pn.widgets.RangeSlider(
        label="colour limits (percentiles)",
        start=0,
        end=100,
        value=(0.5, 99.9),
        step=0.1,
        width=320,
    )
    return frame, scale, pct


def _pattern_image(patterns: dict, dose, title: str, scale: str, pct, clabel: str):
    """The pattern of ``dose`` among ``patterns`` (counts by dose, (N, N) each) on ``scale``,
    coloured on limits shared by all doses (percentiles ``pct``)."""
    data = {d: scaled(p, scale) for d, p in patterns.items()}
    return centred_image(
        data[dose],
        f"dose {dose:g} · {title}",
        clim=limits(data.values(), pct),
        cmap="viridis",
        colorbar=True,
        framewise=True,
        xlabel="kx (px)",
        ylabel="ky (px)",
        clabel=clabel,
    )


def _pattern_rows(store: Store, summaries: dict, frame, scale, pct) -> list:
    """Two rows, one plot per dose: the chosen frame's pattern and the mean pattern."""
    doses = list(summaries)
    means = {d: s.mean_pattern for d, s in summaries.items()}

    @functools.lru_cache(maxsize=4)
    def frames(index):
        return {d: pattern(store, d, index) for d in doses}

    def frame_image(dose, index, scale, pct):
        return _pattern_image(
            frames(index), dose, f"pattern {index}", scale, pct, f"{scale} counts"
        )

    def mean_image(dose, scale, pct):
        return _pattern_image(means, dose, "mean pattern", scale, pct, f"{scale} mean counts")

    patterns = [hv.DynamicMap(pn.bind(frame_image, d, frame, scale, pct)) for d in doses]
    mean_patterns = [hv.DynamicMap(pn.bind(mean_image, d, scale, pct)) for d in doses]
    return [pn.Row(*[plot(p) for p in patterns]), pn.Row(*[plot(m) for m in mean_patterns])]


def _photon_table(summaries: dict) -> pd.DataFrame:
    """Photons per pattern statistics, one row per dose."""
    return pd.DataFrame(
        [
            {
                "dose": f"{d:g}",
                "patterns": s.n_patterns,
                **{k: round(v, 3) for k, v in s.count_stats().items() if k != "nominal"},
            }
            for d, s in summaries.items()
        ]
    )


class DiffractionPage(DataPage):
    """The doses simulated in the store (``data``: their doses, floats), or the Study form's
    preview while there is none (see :class:`~.data_page_base.DataPage`)."""

    css_class = "diffraction-page"
    missing = (
        'No simulated doses yet. "Simulate and cut views" or a cell on the Study page '
        "simulates them, as does `fly64 simulate{where}`."
    )

    def read(self, store: Store, study: Study) -> list[float]:
        """The study's doses simulated with its settings, their summaries cached (worker thread)."""
        doses = simulated_doses(store, study)
        for dose in doses:
            dose_summary(store, dose)  # warm the cache off the loop
        return doses

    def keep(self, figure: str) -> bool:
        return not figure.startswith("scan ")

    def build(self, store, doses):
        summaries = {d: dose_summary(store, d) for d in doses}
        n = min(s.n_patterns for s in summaries.values())
        frame, scale, pct = _pattern_controls(n)
        chosen = pn.widgets.Select(
            label="dose for probe, object and statistics",
            width=260,
            options={f"{d:g}": d for d in doses},
            value=doses[0],
        )
        return pn.Column(
            pn.pane.Markdown(
                f"**{n} patterns** per dose, {summaries[doses[0]].patch_size}² detector pixels; "
                "doses side by side on one colour scale (percentiles over all shown doses)."
            ),
            pn.Row(frame, pct, pn.Column("scale", scale)),
            *_pattern_rows(store, summaries, frame, scale, pct),
            pn.pane.Markdown("**Photons per pattern** against the nominal dose"),
            pn.pane.DataFrame(_photon_table(summaries), index=False, sizing_mode="stretch_width"),
            chosen,
            pn.bind(self._probe_panel, chosen),
            pn.bind(self._object_panel, chosen),
            sizing_mode="stretch_width",
        )

    def _probe_panel(self, dose):
        s, scene = dose_summary(self.store, dose), scene_summary(self.store, dose)
        circles = probe_circles_overlay(scene)
        caption = ", ".join(
            f"{c.label} = {c.diameter:.1f} px ({c.style})" for c in probe_circles(scene)
        )
        caption += f"; {scene.support_fraction:.1%} of \\|P\\|² inside N/2"
        amp = centred_image(
            np.abs(s.probe),
            "probe amplitude (√photons)",
            cmap="gray",
            colorbar=True,
            xlabel="x (px)",
            ylabel="y (px)",
        )
        phase = centred_image(
            np.angle(s.probe),
            "probe phase (rad)",
            cmap=PHASE_CMAP,
            colorbar=True,
            clim=(-np.pi, np.pi),
            xlabel="x (px)",
            ylabel="y (px)",
        )
        counts, edges = np.histogram(s.counts_per_pattern, bins=40)
        hist = hv.Histogram(
            (edges, counts), kdims=["photons per pattern"], vdims=["patterns"]
        ).opts(
            **{**PLOT, "frame_width": 340},
            color="#4c72b0",
            title=f"dose {dose:g}: photons per pattern",
        )
        nominal = hv.VLine(s.dose).opts(color="crimson", line_width=2)
        return pn.Column(
            pn.pane.Markdown(f"**Probe** · {caption}"),
            pn.Row(
                plot((amp * circles).opts(title=amp.label)),
                plot((phase * circles).opts(title=phase.label)),
                plot(hist * nominal),
            ),
        )

    def _object_panel(self, dose):
        s = scene_summary(self.store, dose)
        phase = image(
            np.angle(s.object),
            "object phase (rad)",
            cmap=PHASE_CMAP,
            colorbar=True,
            xlabel="x (px)",
            ylabel="y (px)",
        )
        amp = image(
            np.abs(s.object),
            "object amplitude",
            cmap="gray",
            colorbar=True,
            xlabel="x (px)",
            ylabel="y (px)",
        )
        shown = s.spectrum_power > 0  # the mean is removed: the DC bin can be empty on a log axis
        spectrum = hv.Curve(
            (s.spectrum_frequency[shown], s.spectrum_power[shown]),
            "frequency (cycles/px)",
            "phase power (normalised)",
        ).opts(
            **{**PLOT, "frame_width": 340},
            logy=True,
            line_width=2,
            color="#4c72b0",
            title="radial power of the object phase",
        )
        cutoff = hv.VLine(s.cutoff_frequency).opts(color="orange", line_dash="dashed", line_width=2)
        table = pn.pane.Markdown(scene_table(s), width=340, css_classes=["object-table"])
        return pn.Column(
            pn.pane.Markdown(
                f"**Object** · dashed line on the spectrum: 1/(2·D) = "
                f"{s.cutoff_frequency:.3f} cycles/px"
            ),
            pn.Row(plot(phase), plot(amp), plot(spectrum * cutoff), table),
        )
