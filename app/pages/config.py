"""Command-line settings of the served app:
``panel serve app/ --args --store DIR --preset NAME``.
"""

import argparse
from dataclasses import dataclass
from pathlib import Path

from fly64.study import PRESETS

DEFAULT_STORE = "fly64-study"
DEFAULT_PRESET = "standard"


@dataclass(frozen=True)
class AppConfig:
    """Where the app's store lives, and the preset it shows when the store holds no study yet."""

    store: Path
    preset: str
    poll_ms: int


def parse_args(argv) -> AppConfig:
    """Read ``--store`` (default ``./fly64-study``), ``--preset`` (default ``standard``),
    ``--poll-ms``.
    """
    parser = argparse.ArgumentParser(prog="panel serve app/ --args")
    parser.add_argument("--store", default=DEFAULT_STORE, help="study store directory")
    parser.add_argument(
        "--preset",
        default=DEFAULT_PRESET,
        choices=sorted(PRESETS),
        help="study shown when the store has none yet",
    )
    parser.add_argument("--poll-ms", type=int, default=1000, help="job registry polling period, ms")
    args = parser.parse_args(list(argv))
    return AppConfig(Path(args.store).resolve(), args.preset, args.poll_ms)
