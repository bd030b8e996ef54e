"""Building blocks of a self-contained HTML page: inline style, embedded PNGs, tables.

Figures become ``data:`` URIs (PNG re-encoded with a 256-colour palette), so a page built from
these blocks requests nothing.
"""

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from PIL import Image  # noqa: E402

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-top: 0.6em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
img { max-width: 100%; display: block; margin: 0.6em 0; }
.warning { background: #fff4d6; border: 1px solid #e0b84f; padding: 0.6em; }
.muted { color: #777; }
"""


def png_data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI, re-encoded with a 256-colour palette (about 2–3× smaller)."""
    image = (
        Image.open(io.BytesIO(png)).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    )
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (90 dpi, tight); the figure is closed."""
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return out.getvalue()


def img_tag(png: bytes, alt: str) -> str:
    """An ``<img>`` holding ``png`` as a data URI."""
    return f'<img alt="{html.escape(alt)}" src="{png_data_uri(png)}">'


def html_table(frame: pd.DataFrame, **options) -> str:
    """A table without its index; NaN shown as a dash."""
    return frame.to_html(index=False, border=0, na_rep="–", **options)
