"""What a train or reconstruct job leaves behind: the reconstruction on the ground-truth canvas.

``result.json`` (written last) records the size and checksum of ``reconstruction.npz``:
:func:`result_problem` checks sizes (cheap, for every status read), :func:`load_result`
checks the checksum before anything reads the reconstruction.
"""

import csv
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fly64.data.atomic import write_bytes_atomic, write_json_atomic
from fly64.data.checksums import bytes_digest, file_digest

RECONSTRUCTION = "reconstruction.npz"
LOSSES = "losses.csv"
RESULT = "result.json"


class DamagedResultError(ValueError):
    """A finished cell whose result files are missing, truncated or changed since they were written.

    ``problem`` says what is wrong, without the job directory.
    """

    def __init__(self, job_dir: Path, problem: str):
        self.problem = problem
        super().__init__(f"result in {job_dir}: {problem}; `fly64 run` runs the cell again")


@dataclass
class CellResult:
    """A finished cell.

    object : complex64 (H, W) reconstruction on the ground-truth canvas (absolute object
        pixels), zero where nothing was reconstructed.
    weights : float32 (H, W) illumination / stitching weights (what evaluation masks with).
    losses : one dict per epoch (e.g. epoch, train, validation, lr, seconds).
    health : flags such as ``{"flat_loss": False, "collapsed": False}`` plus the numbers behind
        them.
    info : anything else worth recording (epochs run, seconds, positions used …).
    """

    object: np.ndarray
    weights: np.ndarray
    losses: list[dict] = field(default_factory=list)
    health: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)


#: the timing fields every cell's ``info`` holds (the quality–time trade-off of the study)
TIMING_FIELDS = ("training_seconds", "inference_seconds", "patterns_per_second")


def timing(training_seconds: float, inference_seconds: float, n_test_patterns: int) -> dict:
    """A cell's timing fields (:data:`TIMING_FIELDS`).

    training_seconds : fitting the model on the training split (0 for an iterative solver).
    inference_seconds : reconstructing the whole test split — the PINN's forward passes and
        stitching; an iterative solver's full reconstruction.
    patterns_per_second : test patterns reconstructed per second of inference.
    """
    return {
        "training_seconds": float(training_seconds),
        "inference_seconds": float(inference_seconds),
        "patterns_per_second": float(n_test_patterns / max(inference_seconds, 1e-9)),
    }


def save_result(job_dir: Path, result: CellResult) -> None:
    """Write losses.csv, reconstruction.npz, then result.json last (its presence means done)."""
    job_dir = Path(job_dir)
    if result.losses:
        columns = list(dict.fromkeys(k for row in result.losses for k in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns)
        writer.writeheader()
        writer.writerows(result.losses)
        write_bytes_atomic(job_dir / LOSSES, text.getvalue().encode())
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, object=result.object.astype(np.complex64), weights=result.weights.astype(np.float32)
    )
    data = buffer.getvalue()
    write_bytes_atomic(job_dir / RECONSTRUCTION, data)
    files = {RECONSTRUCTION: {"bytes": len(data), "blake2b": bytes_digest(data)}}
    write_json_atomic(
        job_dir / RESULT, {"health": result.health, "info": result.info, "files": files}
    )


def _result_meta(job_dir: Path) -> dict:
    """result.json's content (FileNotFoundError when unfinished, DamagedResultError when
    unreadable).
    """
    try:
        meta = json.loads((job_dir / RESULT).read_bytes())
    except ValueError as exc:
        raise DamagedResultError(job_dir, f"{RESULT} is unreadable ({exc})") from exc
    if not isinstance(meta, dict) or not {"health", "info"} <= set(meta):
        raise DamagedResultError(job_dir, f"{RESULT} lacks its health and info")
    return meta


def result_problem(job_dir: Path) -> str | None:
    """Why a finished cell's result cannot be trusted (missing, unreadable or resized file); None
    when its files are all there with the sizes recorded (the cheap check; :func:`load_result`
    also checksums).
    """
    job_dir = Path(job_dir)
    try:
        meta = _result_meta(job_dir)
    except FileNotFoundError:
        return f"{RESULT} is missing"
    except DamagedResultError as exc:
        return exc.problem
    for name, want in meta.get("files", {RECONSTRUCTION: {}}).items():
        path = job_dir / name
        if not path.is_file():
            return f"{name} is missing"
        if "bytes" in want and path.stat().st_size != want["bytes"]:
            return f"{name} has {path.stat().st_size} bytes, {want['bytes']} were written"
    return None


def load_result(job_dir: Path) -> CellResult:
    """Read a result written by :func:`save_result` after checking its files' checksums.

    Raises FileNotFoundError when the cell is unfinished (no result.json) and
    :class:`DamagedResultError` when a file is missing, changed or unreadable.
    """
    job_dir = Path(job_dir)
    meta = _result_meta(job_dir)
    problem = result_problem(job_dir)
    if problem:
        raise DamagedResultError(job_dir, problem)
    for name, want in meta.get("files", {}).items():
        if file_digest(job_dir / name) != want["blake2b"]:
            raise DamagedResultError(
                job_dir, f"{name} changed since it was written (its checksum differs)"
            )
    try:
        with np.load(job_dir / RECONSTRUCTION, allow_pickle=False) as data:
            obj, weights = data["object"], data["weights"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DamagedResultError(job_dir, f"{RECONSTRUCTION} is unreadable ({exc})") from exc
    losses = []
    if (job_dir / LOSSES).exists():
        with open(job_dir / LOSSES, newline="") as fh:
            losses = [
                {k: float(v) if v not in ("", None) else None for k, v in row.items()}
                for row in csv.DictReader(fh)
            ]
    return CellResult(obj, weights, losses, meta["health"], meta["info"])
