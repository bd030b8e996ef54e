"""Arguments the ``fly64`` sub-commands share: the store, the study, the grid filters."""

import argparse

from fly64.data.store import StoreError
from fly64.study.execution.workspace import load_store_study
from fly64.study.settings.model import Study


def add_store_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default="fly64-study", help="study store directory")


def add_study_args(parser: argparse.ArgumentParser) -> None:
    """--preset / --config / --store / --force, shared by commands that create results."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--preset",
        help="quick, standard, paper (standard × 3 repeats) or seed "
        "(default: the store's study, else standard)",
    )
    group.add_argument("--config", help="a study settings file (YAML or JSON)")
    add_store_arg(parser)
    parser.add_argument("--force", action="store_true", help="archive results of other settings")


#: what a grid filter's --help adds to "only this <name> (repeatable)"
FILTER_NOTES = {
    "gridsize": "; selects PINN cells and their refinements only, so it cannot be combined "
    "with a baseline's --method",
}


def add_filter_args(parser: argparse.ArgumentParser, *names: str) -> None:
    """Repeatable grid filters: dose, view, method, gridsize."""
    kinds = {"dose": float, "view": str, "method": str, "gridsize": int}
    for name in names:
        parser.add_argument(
            f"--{name}",
            dest=f"{name}s",
            action="append",
            type=kinds[name],
            default=[],
            help=f"only this {name} (repeatable){FILTER_NOTES.get(name, '')}",
        )


def study_from_args(args) -> Study:
    """The study named by --config or --preset; else the store's own; else ``standard``."""
    if args.config:
        return Study.load(args.config)
    if args.preset:
        return Study.preset(args.preset)
    try:
        return load_store_study(args.store)[1]
    except StoreError:
        return Study.preset("standard")
