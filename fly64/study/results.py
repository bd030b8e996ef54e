"""What a train or reconstruct job leaves behind: the reconstruction on the ground-truth canvas."""

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fly64.data.atomic import write_bytes_atomic, write_json_atomic

RECONSTRUCTION = "reconstruction.npz"
LOSSES = "losses.csv"
RESULT = "result.json"


@dataclass
class CellResult:
    """A finished cell.

    object : complex64 (H, W) reconstruction on the ground-truth canvas (absolute object
        pixels), zero where nothing was reconstructed.
    weights : float32 (H, W) illumination / stitching weights (what evaluation masks with).
    losses : one dict per epoch (e.g. epoch, train, validation, lr, seconds).
    health : flags such as ``{"flat_loss": False, "collapsed": False}`` plus the numbers behind them.
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
    write_bytes_atomic(job_dir / RECONSTRUCTION, buffer.getvalue())
    write_json_atomic(job_dir / RESULT, {"health": result.health, "info": result.info})


def load_result(job_dir: Path) -> CellResult:
    """Read a result written by :func:`save_result` (FileNotFoundError when unfinished)."""
    job_dir = Path(job_dir)
    meta = json.loads((job_dir / RESULT).read_text())
    with np.load(job_dir / RECONSTRUCTION, allow_pickle=False) as data:
        obj, weights = data["object"], data["weights"]
    losses = []
    if (job_dir / LOSSES).exists():
        with open(job_dir / LOSSES, newline="") as fh:
            losses = [{k: float(v) if v not in ("", None) else None for k, v in row.items()}
                      for row in csv.DictReader(fh)]
    return CellResult(obj, weights, losses, meta["health"], meta["info"])
