"""Where figures put the scene's arrays and the probe's circles, in pixels, for every drawing of
them (the app's pages, :mod:`fly64.study.display.preview_figures`, the HTML report).

An (H, W) array is shown as stored, row 0 on top: pixel (r, c) covers x ∈ [x₀ + c, x₀ + c + 1),
y ∈ [y₀ + r, y₀ + r + 1), with (x₀, y₀) the array's ``origin`` (a crop's place in the object) or,
for a ``centred`` array (detector patterns, the probe), such that pixel (H//2, W//2) is centred
on (0, 0), where the probe's circles are centred too. No plotting library is imported here.
"""

from dataclasses import dataclass

from fly64.study.display.store_summary import SceneSummary


@dataclass(frozen=True)
class ProbeCircle:
    """A circle about the probe's centre (0, 0): its ``label``, ``diameter`` in pixels and line
    style (``colour`` and ``dash``: ``solid``, ``dashed`` or ``dotted``, names that bokeh and
    matplotlib both take)."""

    label: str
    diameter: float
    colour: str
    dash: str

    @property
    def radius(self) -> float:
        return self.diameter / 2

    @property
    def style(self) -> str:
        """How the circle is drawn, in words (figure captions): e.g. ``white dashed``."""
        return f"{self.colour} {self.dash}"


def probe_circles(scene: SceneSummary) -> tuple[ProbeCircle, ...]:
    """The circles drawn on ``scene``'s probe: its footprints D₉₀ (white dashed) and D₉₉ (white
    dotted), and the PINN's N/2 support disc (orange solid)."""
    return (
        ProbeCircle("D₉₀", scene.footprint_px, "white", "dashed"),
        ProbeCircle("D₉₉", scene.footprint_99_px, "white", "dotted"),
        ProbeCircle("N/2", scene.patch_size / 2, "orange", "solid"),
    )


def image_bounds(
    shape: tuple[int, ...], centred: bool = False, origin: tuple[float, float] = (0, 0)
) -> tuple[float, float, float, float]:
    """(x₀, y₀, x₁, y₁): where an array of ``shape`` (H, W) lies, row 0 at y₀ (see above).

    ``centred``: pixel (H//2, W//2) centred on (0, 0); else row 0, column 0 starts at ``origin``
    (row, column). HoloViews takes it as ``bounds`` of the array flipped upside down (with an
    inverted y axis); matplotlib as ``imshow(array, extent=(x₀, x₁, y₁, y₀))``.
    """
    height, width = shape[:2]
    if centred:
        y0, x0 = -(height // 2) - 0.5, -(width // 2) - 0.5
    else:
        y0, x0 = origin
    return x0, y0, x0 + width, y0 + height
