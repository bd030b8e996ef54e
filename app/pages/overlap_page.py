"""Scan & overlap page: a view's positions over the object, acceptance, spacing, coverage,
overlap.
"""

import holoviews as hv
import numpy as np
import pandas as pd
import panel as pn

from fly64.data import Store
from fly64.data.views import SPLITS
from fly64.study import Study, available_views, overlap_summary, simulated_doses

from .common import PLOT, image, plot
from .data_page_base import DataPage

FIGURES = [  # (diagnostic key, label) shown in the overlap table
    ("spacing_threshold", "threshold S (px)"),
    ("footprint_px", "footprint D (px)"),
    ("accepted", "positions kept"),
    ("rejected", "positions rejected"),
    ("bound", "geometric bound"),
    ("needed", "needed (min_positions)"),
    ("view_nn_min", "NN spacing min (px)"),
    ("view_nn_median", "NN spacing median (px)"),
    ("view_nn_max", "NN spacing max (px)"),
    ("disc_overlap_mean", "disc overlap f(d), mean"),
    ("linear_overlap_median", "linear overlap 1 − d/D, median"),
    ("covered_fraction", "object fraction covered"),
]


def _histogram(diag: dict, prefix: str, label: str) -> hv.Histogram:
    counts, edges = (
        np.asarray(diag[f"{prefix}_hist_counts"]),
        np.asarray(diag[f"{prefix}_hist_edges"]),
    )
    return hv.Histogram(
        (edges, counts), kdims=["nearest-neighbour spacing (px)"], vdims=["positions"], label=label
    )


class OverlapPage(DataPage):
    """The views cut in the store (``data``: {dose: [view names]}, doses with a view only), or the
    Study form's preview while there is none (see :class:`~.data_page_base.DataPage`)."""

    css_class = "overlap-page"
    views = True
    missing = (
        'No overlap views yet. "Simulate and cut views" or a cell on the Study page cuts '
        "them (after simulating their dose), as does `fly64 overlap{where}`."
    )

    def read(self, store: Store, study: Study) -> dict[float, list[str]]:
        """The views cut with the study's settings, by simulated dose (worker thread)."""
        cut = {dose: available_views(store, study, dose) for dose in simulated_doses(store, study)}
        return {dose: views for dose, views in cut.items() if views}

    def keep(self, figure: str) -> bool:
        return figure.startswith("scan ")

    def build(self, store, available):
        doses = list(available)
        dose = pn.widgets.Select(
            label="dose", options={f"{d:g}": d for d in doses}, value=doses[0], width=160
        )
        view = pn.widgets.RadioButtonGroup(
            options=list(available[doses[0]]), value=available[doses[0]][0]
        )
        split = pn.widgets.RadioButtonGroup(options=list(SPLITS), value="train")
        dose.param.watch(lambda e: setattr(view, "options", list(available[e.new])), "value")
        return pn.Column(
            pn.Row(dose, pn.Column("view", view), pn.Column("split", split)),
            pn.bind(self._figures, dose, view, split),
            sizing_mode="stretch_width",
        )

    def _figures(self, dose, view, split):
        s = overlap_summary(self.store, dose, view, split)
        d = s.diagnostics
        radius = s.footprint_px / 2
        amp = image(s.object_amplitude, "ground-truth amplitude", cmap="gray")
        y, x = s.positions[:, 0] + 0.5, s.positions[:, 1] + 0.5
        footprints = hv.Points((x, y), label="footprint D").opts(
            radius=radius, fill_alpha=0, line_color="orange", line_alpha=0.5, line_width=1
        )
        centres = hv.Points((x, y), label=f"{len(x)} positions").opts(color="red", size=3)
        positions = (amp * footprints * centres).opts(
            title=f"{view} view: positions, footprints", legend_position="top"
        )
        by, bx = s.base_positions[:, 0] + 0.5, s.base_positions[:, 1] + 0.5
        acc = s.accepted
        acceptance = (
            image(s.object_amplitude, cmap="gray", alpha=0.35)
            * hv.Points((bx[~acc], by[~acc]), label=f"rejected {int((~acc).sum())}").opts(
                color="#999999", size=2
            )
            * hv.Points((bx[acc], by[acc]), label=f"accepted {int(acc.sum())}").opts(
                color="#2ca02c", size=4
            )
        ).opts(title=f"base scan acceptance (S = {s.spacing:.1f} px)", legend_position="top")
        coverage = image(
            np.asarray(d["coverage"]), "illumination coverage Σ|P|²", cmap="magma", colorbar=True
        )
        hist = (
            _histogram(d, "base_nn", "base scan").opts(alpha=0.4, color="#999999")
            * _histogram(d, "view_nn", view).opts(alpha=0.7, color="#4c72b0")
            * hv.VLine(s.spacing, label="S").opts(color="crimson", line_width=2)
            * hv.VLine(s.footprint_px, label="D").opts(
                color="orange", line_dash="dashed", line_width=2
            )
        ).opts(
            **{**PLOT, "frame_width": 380},
            title="nearest-neighbour spacing",
            legend_position="top_right",
        )
        table = pd.DataFrame(
            [(label, f"{float(d[key]):.4g}") for key, label in FIGURES if key in d],
            columns=["overlap figure", "value"],
        )
        return pn.Column(
            pn.Row(plot(positions), plot(acceptance), plot(coverage)),
            pn.Row(
                plot(hist),
                pn.pane.DataFrame(table, index=False, width=360, css_classes=["overlap-figures"]),
            ),
        )
