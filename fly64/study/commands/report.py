"""``fly64 report``: the metrics of the last comparison and the PINN − baseline differences.

Formats: ``table`` (aligned text, two sections), ``csv`` (two CSV blocks — metrics, then
differences — separated by one blank line), ``json`` (``{"metrics": [...],
"differences": [...]}``, one object per row). A comparison that no longer matches the
store (cells finished or re-run after it, evaluation settings changed) is still printed,
with a warning on stderr.
"""

import json
import sys

import pandas as pd

from fly64.study.cli import add_store_arg
from fly64.study.compare import (
    NoResultsError,
    differences,
    finished_cells,
    load_cube,
    stale_reasons,
    tidy_table,
)
from fly64.study.workspace import load_store_study


def register(sub) -> None:
    parser = sub.add_parser("report", help="print the metrics table and PINN − baseline differences")
    add_store_arg(parser)
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.set_defaults(func=run)


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def run(args) -> int:
    store, study = load_store_study(args.store)
    if not finished_cells(study, store):
        raise NoResultsError(
            f"no finished cell in {store.root}: nothing to report (run `fly64 run --store "
            f"{store.root}`, then `fly64 compare`)"
        )
    cube = load_cube(store)
    table = tidy_table(cube)
    if table.empty:
        raise NoResultsError(
            f"the comparison in {store.root} scored no cell: run `fly64 compare --store {store.root}`"
        )
    diff = differences(cube)
    stale = stale_reasons(study, store, cube)
    if stale:  # on stderr, so csv and json output stay parseable
        print(f"warning: the comparison is out of date ({'; '.join(stale)}); "
              f"run `fly64 compare --store {store.root}` to refresh it", file=sys.stderr)
    if args.format == "csv":
        print(table.to_csv(index=False))
        print(diff.to_csv(index=False), end="")
    elif args.format == "json":
        print(json.dumps({"metrics": _records(table), "differences": _records(diff)}, indent=1))
    else:
        with pd.option_context("display.max_rows", None, "display.width", 200):
            print(f"metrics ({len(table)} rows, store {store.root})")
            print(table.to_string(index=False))
            print("\nPINN − baseline" + ("" if len(diff) else ": no dose and view has both"))
            if len(diff):
                print(diff.to_string(index=False))
    return 0
