"""``fly64 report``: the metrics and timing of the last comparison, the PINN − baseline
differences and the PINN's inference speed-up over each baseline.

The metrics include each cell's shot-noise limit (``fluence``, ``rmse_bound``,
``correlation_bound``, ``rmse_ratio``) and an iterative cell's ``oracle_correlation``,
``stop_epoch`` and ``selection_score`` (part ``phase``; see :mod:`fly64.study.records.cube`),
and, with two baselines or more, the method ``best_iterative``.

Formats: ``table`` (aligned text, four sections: metrics, timing per dose, view, method
and seed, differences, speed-ups; then which baseline ``best_iterative`` copies and what
each refinement's PINN start buys, ``warm_start.csv`` with its reading), ``csv``
(**one** tidy table: the metrics, with the timing as rows of part ``time``:
``dose, view, gridsize, method, seed, part, metric, value``;
``--differences`` prints the PINN − baseline table instead, ``--speedups`` the inference
speed-ups), ``json`` (``{"metrics": [...], "differences": [...], "speedups": [...]}``, one
object per row). ``--aggregate`` replaces each table's seed column by the mean, standard
deviation and count over the repeats (:func:`fly64.study.display.aggregate.aggregate`); the
differences are paired per repeat before they are aggregated. ``html`` writes the study
report (:mod:`fly64.study.display.html_report`: one self-contained file, figures embedded) to
``--output``.
A comparison that no longer matches the store (cells finished or re-run after it,
evaluation settings changed) is still printed, with a warning on stderr.
"""

import json
import sys
from pathlib import Path

import pandas as pd

from fly64.study.cli.arguments import add_store_arg
from fly64.study.display.aggregate import aggregate
from fly64.study.display.html_report import write_study_report
from fly64.study.display.result_summary import warm_start_rows
from fly64.study.execution.workspace import load_store_study
from fly64.study.pipeline.warm_start import warm_start_reading
from fly64.study.records.cube import TIME_PART, NoResultsError, load_cube, stale_reasons
from fly64.study.records.cube_tables import (
    best_iterative_choices,
    differences,
    speedups,
    tidy_table,
    timing_table,
)
from fly64.study.records.registry import finished_cells
from fly64.study.settings.model import StudyError


def register(sub) -> None:
    parser = sub.add_parser(
        "report",
        help="print the metrics and timing, PINN − baseline differences and the PINN's speed-up",
    )
    add_store_arg(parser)
    parser.add_argument("--format", choices=("table", "csv", "json", "html"), default="table")
    parser.add_argument(
        "--output",
        type=Path,
        metavar="FILE.html",
        help="html: where to write the study report (required with --format html)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--differences",
        action="store_true",
        help="csv: the PINN − baseline table (paired per repeat) instead of the metrics",
    )
    which.add_argument(
        "--speedups",
        action="store_true",
        help="csv: the PINN's inference speed-up over each baseline instead of the metrics",
    )
    parser.add_argument(
        "--aggregate",
        action="store_true",
        help="mean, std and n over the repeats instead of one row per seed",
    )
    parser.set_defaults(func=run)


#: the value column of each table, for --aggregate
VALUES = {"metrics": "value", "differences": "difference", "speedups": "speedup"}


def _load_cube(store):
    """The comparison's cube; a damaged cube file is a :class:`NoResultsError`
    saying how to rebuild it.
    """
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
    if (args.format == "html") != (args.output is not None):
        raise StudyError(
            "--format html writes a file: give both --format html and --output FILE.html"
        )
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
            f"the comparison in {store.root} scored no cell: "
            f"run `fly64 compare --store {store.root}`"
        )
    stale = stale_reasons(study, store, cube)
    if stale:  # on stderr, so csv and json output stay parseable
        print(
            f"warning: the comparison is out of date ({'; '.join(stale)}); "
            f"run `fly64 compare --store {store.root}` to refresh it",
            file=sys.stderr,
        )
    if args.format == "html":  # the report reads and summarises the comparison itself
        path = write_study_report(study, store, args.output)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
        return 0
    tables = {"metrics": table, "differences": differences(cube), "speedups": speedups(cube)}
    if args.aggregate:
        tables = {name: aggregate(frame, VALUES[name]) for name, frame in tables.items()}
    if args.format == "csv":
        chosen = "differences" if args.differences else "speedups" if args.speedups else "metrics"
        print(tables[chosen].to_csv(index=False), end="")
    elif args.format == "json":
        print(json.dumps({name: _records(frame) for name, frame in tables.items()}, indent=1))
    elif args.aggregate:
        _print_aggregates(store, tables)
    else:
        _print_tables(store, table, timing_table(cube), tables["differences"], tables["speedups"])
        _print_choices(best_iterative_choices(cube))
        _print_warm_start(warm_start_rows(store))
    return 0


def _short(value: float) -> str:
    return f"{value:.3g}"


def _print_tables(store, table, timing, diff, speedup) -> None:
    quality = table[table["part"] != TIME_PART]
    timing = timing.rename(
        columns={
            "training_seconds": "training s",
            "inference_seconds": "inference s",
            "patterns_per_second": "patterns/s",
        }
    )
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(f"metrics ({len(quality)} rows, store {store.root})")
        print(quality.to_string(index=False))
        print("\ntiming (inference: the whole test split)")
        print(
            timing.to_string(index=False, float_format=_short, formatters={"dose": "{:g}".format})
        )
        if timing[["training s", "inference s"]].isna().all(axis=None):
            print(
                f"(no timing recorded: run `fly64 compare --store {store.root}` again; "
                "cells run before timing was recorded need a re-run)"
            )
        print("\nPINN − baseline" + ("" if len(diff) else ": no dose and view has both"))
        if len(diff):
            print(diff.to_string(index=False))
        print(
            "\nPINN inference speed-up (baseline seconds / PINN seconds)"
            + ("" if len(speedup) else ": no dose and view has both timed")
        )
        if len(speedup):
            print(
                speedup.to_string(
                    index=False, float_format=_short, formatters={"dose": "{:g}".format}
                )
            )


def _print_choices(choices: pd.DataFrame) -> None:
    """Which baseline ``best_iterative`` copies (nothing with fewer than two baselines)."""
    if len(choices):
        print("\nbest_iterative: the baseline of the lowest selection score (never the truth)")
        print(choices.to_string(index=False, formatters={"dose": "{:g}".format}))


def _print_warm_start(table: pd.DataFrame) -> None:
    """What each refinement's PINN start buys (nothing without refinements)."""
    if len(table):
        print("\nwhat the PINN's start buys (refinement against its flat-start solver)")
        print(table.to_string(index=False, float_format=_short, formatters={"dose": "{:g}".format}))
        print("\n".join(warm_start_reading(table)))


def _print_aggregates(store, tables: dict[str, pd.DataFrame]) -> None:
    titles = {
        "metrics": "metrics",
        "differences": "PINN − baseline (paired per repeat)",
        "speedups": "PINN inference speed-up",
    }
    with pd.option_context("display.max_rows", None, "display.width", 200):
        for name, frame in tables.items():
            print(f"{titles[name]}: mean, std, n over the repeats (store {store.root})")
            print(frame.to_string(index=False) if len(frame) else "(none)")
            print()
