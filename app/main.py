"""fly64 dashboard: ``panel serve app/ [--args --store DIR --preset quick|standard|paper|seed]``.

Each browser session runs this script: it builds the pages and one periodic callback that
reads the store and the job registry and pushes what changed. Jobs run in their own
processes (launched through the runner API), never in this server.
"""

import sys
from pathlib import Path

# panel serve puts app/ on sys.path: import the pages as app.pages, the one name tests use too
# (once: every browser session runs this script)
ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import holoviews as hv  # noqa: E402
import panel as pn  # noqa: E402

from app.pages.config import parse_args  # noqa: E402
from app.pages.dashboard import Dashboard  # noqa: E402

pn.extension("tabulator", notifications=False)
hv.extension("bokeh", logo=False)

Dashboard(parse_args(sys.argv[1:])).template().servable(title="fly64")
