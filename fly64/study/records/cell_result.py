"""What a train or reconstruct job leaves behind: the reconstruction on the ground-truth canvas.

``result.json`` (written last) records the job it belongs to and the size and checksum of
``reconstruction.npz``:
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
from fly64.data.store import LOSSES, RECONSTRUCTION, RESULT, SNAPSHOTS


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
    snapshots : ``(epoch, object)`` pairs, complex (H, W) like ``object``: an iterative
        cell's intermediate objects, scored by the evaluate stage as a diagnostic (the
        oracle); stored as float16 phase and amplitude on their lit bounding box.
    """

    object: np.ndarray
    weights: np.ndarray
    losses: list[dict] = field(default_factory=list)
    health: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)


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


def _npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def _snapshot_arrays(snapshots: list[tuple[int, np.ndarray]]) -> dict[str, np.ndarray]:
    """The snapshots' epochs, lit bounding box corner and float16 phase / amplitude there."""
    objects = np.stack([obj for _, obj in snapshots])
    lit = np.flatnonzero(np.abs(objects).sum(axis=0).ravel())
    rows, cols = np.unravel_index(lit, objects.shape[1:]) if len(lit) else ([0], [0])
    box = np.s_[:, min(rows) : max(rows) + 1, min(cols) : max(cols) + 1]
    return {
        "epochs": np.array([epoch for epoch, _ in snapshots], np.int64),
        "corner": np.array([min(rows), min(cols)], np.int64),
        "shape": np.array(objects.shape[1:], np.int64),
        "phase": np.angle(objects[box]).astype(np.float16),
        "amplitude": np.abs(objects[box]).astype(np.float16),
    }


def load_snapshots(job_dir: Path) -> list[tuple[int, np.ndarray]]:
    """A cell's snapshots as ``(epoch, complex64 (H, W) object)`` on the ground-truth canvas;
    empty when the cell kept none. Checksummed like the reconstruction (call after
    :func:`load_result`, which verifies every recorded file)."""
    path = Path(job_dir) / SNAPSHOTS
    if not path.is_file():
        return []
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DamagedResultError(Path(job_dir), f"{SNAPSHOTS} is unreadable ({exc})") from exc
    (y0, x0), (h, w) = arrays["corner"], arrays["phase"].shape[1:]
    out = []
    for epoch, phase, amplitude in zip(
        arrays["epochs"], arrays["phase"], arrays["amplitude"], strict=True
    ):
        obj = np.zeros(tuple(arrays["shape"]), np.complex64)
        obj[y0 : y0 + h, x0 : x0 + w] = amplitude.astype(np.float32) * np.exp(
            1j * phase.astype(np.float32)
        )
        out.append((int(epoch), obj))
    return out


def save_result(job_dir: Path, result: CellResult) -> None:
    """Write losses.csv, reconstruction.npz (and snapshots.npz), then result.json last (its
    presence means done)."""
    job_dir = Path(job_dir)
    if result.losses:
        columns = list(dict.fromkeys(k for row in result.losses for k in row))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=columns)
        writer.writeheader()
        writer.writerows(result.losses)
        write_bytes_atomic(job_dir / LOSSES, text.getvalue().encode())
    outputs = {
        RECONSTRUCTION: _npz_bytes(
            object=result.object.astype(np.complex64), weights=result.weights.astype(np.float32)
        )
    }
    if result.snapshots:
        outputs[SNAPSHOTS] = _npz_bytes(**_snapshot_arrays(result.snapshots))
    files = {}
    for name, data in outputs.items():
        write_bytes_atomic(job_dir / name, data)
        files[name] = {"bytes": len(data), "blake2b": bytes_digest(data)}
    write_json_atomic(
        job_dir / RESULT,
        {"job_id": job_dir.name, "health": result.health, "info": result.info, "files": files},
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
    if meta.get("job_id", job_dir.name) != job_dir.name:
        return f"{RESULT} is the result of job {meta['job_id']}, not of {job_dir.name}"
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
