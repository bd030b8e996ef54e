"""``fly64 report``: the metrics and timing of the last comparison, the PINN − baseline
differences and the PINN's inference speed-up over each baseline.

Formats: ``table`` (aligned text, four sections: metrics, timing per dose, view, method
and seed, differences, speed-ups), ``csv`` (three CSV blocks — metrics with the timing as
rows of part ``time``, differences, speed-ups — separated by one blank line), ``json``
(``{"metrics": [...], "differences": [...], "speedups": [...]}``, one object per row).
A comparison that no longer matches the store (cells finished or re-run after it,
evaluation settings changed) is still printed, with a warning on stderr.
"""

import json
import sys

import pandas as pd

from fly64.study.cli import add_store_arg
from fly64.study.compare import (
    TIME_PART,
    NoResultsError,
    differences,
    finished_cells,
    load_cube,
    speedups,
    stale_reasons,
    tidy_table,
    timing_table,
)
from fly64.study.workspace import load_store_study


def register(sub) -> None:
    parser = sub.add_parser(
        "report", help="print the metrics and timing, PINN − baseline differences and the PINN's speed-up")
    add_store_arg(parser)
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.set_defaults(func=run)


def _load_cube(store):
    """The comparison's cube; a damaged cube file is a :class:`NoResultsError` saying how to rebuild it."""
    try:
        return load_cube(store)
    except NoResultsError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise NoResultsError(
            f"the comparison in {store.results_dir} is unreadable ({type(exc).__name__}: {exc}); "
            f"rebuild it with `fly64 compare --store {store.root}`"
        ) from exc


def _records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def run(args) -> int:
    store, study = load_store_study(args.store)
    if not finished_cells(study, store):
        raise NoResultsError(
            f"no finished cell in {store.root}: nothing to report (run `fly64 run --store "
            f"{store.root}`, then `fly64 compare`)"
        )
    cube = _load_cube(store)
    table = tidy_table(cube)
    if table.empty:
        raise NoResultsError(
            f"the comparison in {store.root} scored no cell: run `fly64 compare --store {store.root}`"
        )
    diff, speedup = differences(cube), speedups(cube)
    stale = stale_reasons(study, store, cube)
    if stale:  # on stderr, so csv and json output stay parseable
        print(f"warning: the comparison is out of date ({'; '.join(stale)}); "
              f"run `fly64 compare --store {store.root}` to refresh it", file=sys.stderr)
    if args.format == "csv":
        print(table.to_csv(index=False))
        print(diff.to_csv(index=False))
        print(speedup.to_csv(index=False), end="")
    elif args.format == "json":
        print(json.dumps({"metrics": _records(table), "differences": _records(diff),
                          "speedups": _records(speedup)}, indent=1))
    else:
        _print_tables(store, table, timing_table(cube), diff, speedup)
    return 0


def _short(value: float) -> str:
    return f"{value:.3g}"


def _print_tables(store, table, timing, diff, speedup) -> None:
    quality = table[table["part"] != TIME_PART]
    timing = timing.rename(columns={"training_seconds": "training s", "inference_seconds": "inference s",
                                    "patterns_per_second": "patterns/s"})
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(f"metrics ({len(quality)} rows, store {store.root})")
        print(quality.to_string(index=False))
        print("\ntiming (inference: the whole test split)")
        print(timing.to_string(index=False, float_format=_short, formatters={"dose": "{:g}".format}))
        if timing[["training s", "inference s"]].isna().all(axis=None):
            print(f"(no timing recorded: run `fly64 compare --store {store.root}` again; cells run before "
                  "timing was recorded need a re-run)")
        print("\nPINN − baseline" + ("" if len(diff) else ": no dose and view has both"))
        if len(diff):
            print(diff.to_string(index=False))
        print("\nPINN inference speed-up (baseline seconds / PINN seconds)"
              + ("" if len(speedup) else ": no dose and view has both timed"))
        if len(speedup):
            print(speedup.to_string(index=False, float_format=_short, formatters={"dose": "{:g}".format}))
