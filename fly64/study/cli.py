"""The ``fly64`` command line: one sub-command per stage, plus run/status/report/export.

Each sub-command lives in :mod:`fly64.study.commands` as a module with ``register(sub)``
(adds its parser, sets ``func``); bad input — settings, a damaged or unreadable file, a
path that cannot be written — ends with a one-line message and exit 2, never a traceback.
"""

import argparse
import os
import sys
from importlib import import_module

from fly64.data.dataset import DoseDatasetError
from fly64.data.npz import NPZContractError
from fly64.data.store import StoreError
from fly64.data.views import ViewError
from fly64.study.jobs import JobFileError
from fly64.study.model import Study, StudyError
from fly64.study.results import DamagedResultError
from fly64.study.stages import STAGES

COMMANDS = (*(stage.command for stage in STAGES.values()), "run", "status", "report", "export")
USER_ERRORS = (
    StudyError,
    StoreError,
    NPZContractError,
    DoseDatasetError,
    ViewError,
    JobFileError,
    DamagedResultError,
)


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
    from fly64.study.workspace import load_store_study

    if args.config:
        return Study.load(args.config)
    if args.preset:
        return Study.preset(args.preset)
    try:
        return load_store_study(args.store)[1]
    except StoreError:
        return Study.preset("standard")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fly64", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        import_module(f"fly64.study.commands.{name}").register(sub)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except USER_ERRORS as exc:
        print(f"fly64 {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of stdout left (e.g. `| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
        return 0
    except OSError as exc:  # the file system refused: name the path and the reason
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            f"fly64 {args.command}: error: {where}{exc.strerror or exc}; check that the path "
            "exists and that you may read and write it",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(f"fly64 {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
