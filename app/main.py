"""fly64 dashboard: ``panel serve app/ [--args --store DIR --preset quick|standard|seed]``.

Each browser session runs this script: it builds the pages and one periodic callback that
reads the store and the job registry and pushes what changed. Jobs run in their own
processes (launched through the runner API), never in this server.
"""

import sys

import holoviews as hv
import panel as pn
from pages.config import parse_args
from pages.dashboard import Dashboard

pn.extension("tabulator", notifications=False)
hv.extension("bokeh", logo=False)

Dashboard(parse_args(sys.argv[1:])).template().servable(title="fly64")
