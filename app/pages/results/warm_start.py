"""The Results page's warm-start section: what each refinement's PINN start buys against its
flat-start solver, from the comparison's ``warm_start.csv`` and ``warm_start.png`` (server
loop; the numbers and the reading are :func:`fly64.study.warm_start_reading`'s)."""

from pathlib import Path

import pandas as pd
import panel as pn

from fly64.study import warm_start_reading

FIGURE = "warm_start.png"


def warm_start(table: pd.DataFrame, files: dict[str, Path]) -> pn.Column:
    """One sentence of reading per refinement, the table (``table``: the comparison's
    warm-start rows) and the figure (in ``files``, the comparison's files by name)."""
    shown = [
        pn.pane.Markdown("\n".join(f"- {s}" for s in warm_start_reading(table))),
        pn.pane.DataFrame(
            table,
            index=False,
            float_format="{:.3g}".format,
            formatters={"dose": "{:g}".format},
            css_classes=["warm-start"],
        ),
    ]
    if FIGURE in files:
        shown.append(pn.pane.PNG(str(files[FIGURE]), width=900))
    return pn.Column(*shown)
