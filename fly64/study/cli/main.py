"""The ``fly64`` command line: one sub-command per stage, plus run/status/report/export.

Each sub-command is a module of :mod:`fly64.study.cli` with ``register(sub)`` (adds its
parser, sets ``func``); the arguments they share are :mod:`fly64.study.cli.arguments`. Bad
input — settings, a damaged or unreadable file, a path that cannot be written — ends with a
one-line message and exit 2, never a traceback.
"""

import argparse
import os
import sys

from fly64.data.dataset import DoseDatasetError
from fly64.data.npz import NPZContractError
from fly64.data.store import StoreError
from fly64.data.views import ViewError
from fly64.study.cli import (
    compare,
    export,
    overlap,
    reconstruct,
    refine,
    report,
    run,
    simulate,
    status,
    train,
)
from fly64.study.records.cell_result import DamagedResultError
from fly64.study.records.jobs import JobFileError
from fly64.study.settings.model import StudyError

#: one module per sub-command: the stages' in pipeline order, then the study's own
COMMANDS = (simulate, overlap, train, reconstruct, refine, compare, run, status, report, export)
USER_ERRORS = (
    StudyError,
    StoreError,
    NPZContractError,
    DoseDatasetError,
    ViewError,
    JobFileError,
    DamagedResultError,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fly64", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub)
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
