"""HoloViews figures of a set-up preview (:func:`fly64.study.display.preview.preview_study`).

:func:`preview_figures` draws the probe (with D₉₀, D₉₉ and the N/2 support:
:func:`probe_circles_overlay`), the object, one pattern per dose and each view's cut of the base
scan; :func:`preview_layout` arranges them for notebooks. HoloViews is imported when a figure is
drawn.
"""

import numpy as np

from fly64.study.display.geometry import image_bounds, probe_circles
from fly64.study.display.preview import PATTERN_SCALES, Preview, ViewPreview
from fly64.study.display.store_summary import SceneSummary

SIZE = dict(frame_width=200, frame_height=200)
VIEW_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _image(array: np.ndarray, title: str, centred: bool, **opts):
    """An (H, W) array as stored (row 0 on top); ``centred``: (0, 0) at pixel (N//2, N//2)."""
    import holoviews as hv

    element = hv.Image(
        np.ascontiguousarray(array[::-1]),
        bounds=image_bounds(array.shape, centred),
        kdims=["x (px)", "y (px)"],
    )
    return element.opts(
        **{"invert_yaxis": True, "data_aspect": 1, "colorbar": True, "title": title, **SIZE, **opts}
    )


def probe_circles_overlay(scene: SceneSummary):
    """The circles of :func:`fly64.study.display.geometry.probe_circles` (D₉₀, D₉₉, the N/2
    support) about the centre, as a HoloViews overlay to lay on a centred probe image."""
    import holoviews as hv

    return hv.Overlay(
        [
            hv.Ellipse(0, 0, c.diameter).opts(color=c.colour, line_dash=c.dash, line_width=2)
            for c in probe_circles(scene)
        ]
    )


def _pattern_images(preview: Preview, scale: str) -> dict:
    """The first simulated pattern of each dose, all on one colour scale."""
    shown = {d: PATTERN_SCALES[scale](p[0].astype(np.float32)) for d, p in preview.patterns.items()}
    top = max(float(a.max()) for a in shown.values())
    return {
        f"pattern {d:g}": _image(
            a,
            f"dose {d:g}: pattern ({scale} counts)",
            True,
            cmap="viridis",
            clim=(0, max(top, 1e-12)),
        )
        for d, a in shown.items()
    }


def _scan(preview: Preview, view: ViewPreview, colour: str):
    """The base scan (grey), the view's kept positions and their footprint discs D₉₀,
    on the object.
    """
    import holoviews as hv

    base = preview.base_positions + 0.5  # pixel centres
    kept = base[view.accepted]
    height, width = preview.scene.object.shape
    return (
        hv.Points((base[:, 1], base[:, 0]), ["x (px)", "y (px)"]).opts(color="#999999", size=1)
        * hv.Points((kept[:, 1], kept[:, 0]), ["x (px)", "y (px)"]).opts(
            radius=preview.scene.footprint_px / 2, fill_alpha=0, line_color=colour, line_alpha=0.4
        )
        * hv.Points((kept[:, 1], kept[:, 0]), ["x (px)", "y (px)"]).opts(color=colour, size=3)
    ).opts(
        title=f"{view.name}: S = {view.spacing:.1f} px, {sum(view.kept.values())} positions",
        xlim=(0, width),
        ylim=(0, height),
        invert_yaxis=True,
        data_aspect=1,
        **SIZE,
    )


def preview_figures(preview: Preview, scale: str = "log") -> dict:
    """The figures of a preview by name (HoloViews, bokeh options): ``probe amplitude``, ``probe
    phase``, ``object phase``, ``object amplitude``, ``spectrum``, ``pattern <dose>`` per dose and
    ``scan <view>`` per view. ``scale`` is the patterns' display scale: ``log``, ``sqrt`` or
    ``linear``.
    """
    import holoviews as hv
    import holoviews.plotting.bokeh  # noqa: F401 - registers the bokeh options used below

    if scale not in PATTERN_SCALES:
        raise ValueError(f"scale must be one of {list(PATTERN_SCALES)}, got {scale!r}")
    s = preview.scene
    circles = probe_circles_overlay(s)
    shown = s.spectrum_power > 0  # the mean is removed: the DC bin can be empty on a log axis
    figures = {
        "probe amplitude": (_image(np.abs(preview.probe), "", True, cmap="gray") * circles).opts(
            title=f"probe |P|: D₉₀ {s.footprint_px:.1f}, D₉₉ {s.footprint_99_px:.1f} px"
        ),
        "probe phase": (
            _image(np.angle(preview.probe), "", True, cmap="colorwheel", clim=(-np.pi, np.pi))
            * circles
        ).opts(title=f"probe phase: {s.support_fraction:.1%} in N/2 (orange)"),
        "object phase": _image(np.angle(s.object), "object phase (rad)", False, cmap="colorwheel"),
        "object amplitude": _image(np.abs(s.object), "object amplitude", False, cmap="gray"),
        "spectrum": (
            hv.Curve(
                (s.spectrum_frequency[shown], s.spectrum_power[shown]),
                "frequency (cycles/px)",
                "phase power",
            ).opts(logy=True, title="object phase spectrum, 1/(2·D) dashed", **SIZE)
            * hv.VLine(s.cutoff_frequency).opts(color="orange", line_dash="dashed")
        ),
        **_pattern_images(preview, scale),
    }
    for i, view in enumerate(preview.views.values()):
        figures[f"scan {view.name}"] = _scan(preview, view, VIEW_COLOURS[i % len(VIEW_COLOURS)])
    return figures


def preview_layout(preview: Preview, scale: str = "log"):
    """A HoloViews layout of :func:`preview_figures`, two per row (notebooks)."""
    import holoviews as hv

    return hv.Layout(list(preview_figures(preview, scale).values())).opts(shared_axes=False).cols(2)
