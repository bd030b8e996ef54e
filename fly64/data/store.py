"""The study store: the one module that knows where everything lives on disk.

Layout under the store root::

    fly64-store.json            marker (format, creation time)
    study.yaml                  the study settings the results were made with (hash on line 1)
    doses/dose-<tag>.zarr       one dataset per dose (counts stored once; fly64-checksums.json)
    views/dose-<tag>/<view>.npz view index arrays, groups and spacing diagnostics
    jobs/<job-id>/              one directory per job (the files below)
    jobs/.submit.lock           serialises job submission
    results/                    metrics cube, tidy CSV, figures (the files below)
    archive/<stamp>/            results set aside by ``--force``
    archive/<stamp>-damaged/    damaged job directories set aside by a run that re-runs them
"""

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from fly64.data.atomic import write_json_atomic

MARKER = "fly64-store.json"
FORMAT = "fly64-store/1"

#: files of a job directory (formats: :mod:`fly64.study.records.jobs`; a cell's result files:
#: :mod:`fly64.study.records.cell_result`)
JOB, STATUS, EVENTS, SNAPSHOT, LOG, CANCEL, ATTEMPTS = (
    "job.json",
    "status.json",
    "events.jsonl",
    "snapshot.npz",
    "log.txt",
    "cancel",
    "attempts",
)
RECONSTRUCTION, SNAPSHOTS, LOSSES, RESULT, CHECKPOINT, CELL_METRICS = (
    "reconstruction.npz",
    "snapshots.npz",
    "losses.csv",
    "result.json",
    "checkpoint.pt",
    "metrics.json",
)
#: files of the results folder (formats: :mod:`fly64.study.records.cube`,
#: :mod:`fly64.study.pipeline.warm_start`)
CUBE, TABLE, FRC_TABLE, BEST_TABLE, WARM_TABLE, FIGURES = (
    "metrics.nc",
    "metrics.csv",
    "frc.csv",
    "best_iterative.csv",
    "warm_start.csv",
    "figures",
)


class StoreError(ValueError):
    """A directory that is not (or cannot become) a fly64 store."""


def dose_tag(dose: float) -> str:
    """A short, path-safe label for a dose: 1000 → '1e3', 25000 → '2.5e4', 512 → '512'."""
    if not dose > 0 or not math.isfinite(dose):
        raise ValueError(f"dose must be a positive number of photons per pattern, got {dose}")
    exponent = int(math.floor(math.log10(dose)))
    mantissa = dose / 10**exponent
    if exponent < 3 or abs(mantissa - round(mantissa, 3)) > 1e-9:
        return f"{dose:g}".replace("+", "")
    return f"{round(mantissa, 3):g}e{exponent}"


def repeat_tag(repeat: int) -> str:
    """The suffix naming a repeat's dataset and simulation job: '' for repeat 0, '-r2' for 2."""
    return f"-r{repeat}" if repeat else ""


def dose_dataset_name(dose: float, repeat: int = 0) -> str:
    """The folder name of a dose's dataset for a repeat: ``dose-1e3.zarr``, ``dose-1e3-r2.zarr``."""
    return f"dose-{dose_tag(dose)}{repeat_tag(repeat)}.zarr"


def view_name(dose: float, view: str) -> str:
    """A view's path under the store's ``views/`` folder: ``dose-1e3/dense.npz``."""
    return f"dose-{dose_tag(dose)}/{view}.npz"


def metadata_file(dataset: Path) -> Path:
    """The file that holds a dose dataset's attributes (zarr v3: ``zarr.json`` in its folder)."""
    return Path(dataset) / "zarr.json"


@dataclass(frozen=True)
class Store:
    """Paths inside one store directory. Construct with :meth:`create` or :meth:`open`."""

    root: Path

    @classmethod
    def open(cls, root: str | Path) -> "Store":
        """Open an existing store; a directory without the marker is refused."""
        root = Path(root)
        marker = root / MARKER
        if not root.is_dir():
            raise StoreError(f"{root} does not exist: run `fly64 simulate --store {root}` first")
        if not marker.is_file():
            raise StoreError(f"{root} is not a fly64 store (it has no {MARKER})")
        try:
            fmt = json.loads(marker.read_text()).get("format")
        except (json.JSONDecodeError, AttributeError) as exc:
            raise StoreError(f"{marker} is not valid JSON: {exc}") from exc
        if fmt != FORMAT:
            raise StoreError(f"{root} has store format {fmt!r}; this fly64 reads {FORMAT!r}")
        return cls(root)

    @classmethod
    def create(cls, root: str | Path) -> "Store":
        """Open ``root`` as a store, making it when absent or empty; refuse other folders."""
        root = Path(root)
        if (root / MARKER).exists():
            return cls.open(root)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise StoreError(
                f"{root} exists and is not a fly64 store; choose an empty or new directory"
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            write_json_atomic(root / MARKER, {"format": FORMAT, "created": time.time()})
        except OSError as exc:  # a regular file on the path, no permission, read-only disk …
            raise StoreError(
                f"cannot create a store at {root} ({exc.strerror or exc}); choose a writable "
                "directory path with --store"
            ) from exc
        return cls(root)

    @property
    def study_path(self) -> Path:
        return self.root / "study.yaml"

    def dose_path(self, dose: float, repeat: int = 0) -> Path:
        """The dose dataset of a repeat: ``dose-1e3.zarr`` for repeat 0,
        ``dose-1e3-r2.zarr`` for 2.
        """
        return self.root / "doses" / dose_dataset_name(dose, repeat)

    def view_path(self, dose: float, view: str) -> Path:
        return self.root / "views" / view_name(dose, view)

    @property
    def jobs_dir(self) -> Path:
        return self.root / "jobs"

    @property
    def jobs_lock(self) -> Path:
        """Lock file that serialises job submission (readers never take it)."""
        return self.jobs_dir / ".submit.lock"

    def job_dir(self, job_id: str) -> Path:
        return self.jobs_dir / job_id

    @property
    def results_dir(self) -> Path:
        return self.root / "results"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"
