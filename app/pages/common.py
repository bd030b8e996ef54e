"""Small display helpers shared by the pages: images in array orientation, notices, scaling."""

import holoviews as hv
import numpy as np
import panel as pn

from fly64.study import PATTERN_SCALES, image_bounds

PLOT = dict(
    frame_width=260,
    frame_height=260,
    toolbar="right",
    default_tools=["pan", "wheel_zoom", "reset", "hover"],
)
PHASE_CMAP = "colorwheel"  # cyclic, for phases in (−π, π]


def image(array: np.ndarray, label: str = "", origin=(0, 0), **opts) -> hv.Image:
    """An (H, W) array shown as stored: row 0 on top, pixel (r, c) centred at (x=c+½, y=r+½).

    ``origin`` (row, column) places a crop at its absolute object pixels.
    """
    element = hv.Image(
        np.ascontiguousarray(array[::-1]),
        bounds=image_bounds(array.shape, origin=origin),
        kdims=["x", "y"],
        label=label,
    )
    return element.opts(**{"invert_yaxis": True, "data_aspect": 1, **PLOT, **opts})


def centred_image(array: np.ndarray, label: str = "", **opts) -> hv.Image:
    """An (N, N) detector or probe array with (0, 0) at pixel (N//2, N//2), row 0 on top."""
    bounds = image_bounds(array.shape, centred=True)
    element = hv.Image(np.ascontiguousarray(array[::-1]), bounds=bounds, label=label)
    return element.opts(invert_yaxis=True, data_aspect=1, **{**PLOT, **opts})


def scaled(counts: np.ndarray, scale: str) -> np.ndarray:
    """Counts on a display scale: ``log`` (log10(1 + c)), ``sqrt`` or ``linear``."""
    return PATTERN_SCALES[scale](np.asarray(counts, np.float64))


def limits(arrays, percentiles: tuple[float, float]) -> tuple[float, float]:
    """Shared colour limits: the given percentiles over all arrays together (never empty)."""
    values = np.concatenate([np.ravel(a) for a in arrays])
    lo, hi = np.percentile(values, percentiles)
    return float(lo), float(max(hi, lo + 1e-12))


def plot(obj, **params) -> pn.pane.HoloViews:
    """A HoloViews pane whose axes are not linked to plots elsewhere in the app."""
    return pn.pane.HoloViews(obj, linked_axes=False, **params)


def notice(text: str, kind: str = "info") -> pn.pane.Alert:
    """A box telling the user what is missing and what to run."""
    return pn.pane.Alert(text, alert_type=kind, sizing_mode="stretch_width", css_classes=["notice"])


def eta_text(seconds) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds / 3600:.1f} h"
