"""Trivial job entries for the job, executor and runner tests (imported by job processes),
and the tiny study those tests run.

Each entry has the job-entry signature ``(study, store, params, reporter, job_dir)``.
"""

import os
import signal
import time

import numpy as np

from fly64.study.records.cell_result import CellResult
from fly64.study.settings.model import Study

#: a study small enough for a runner test: N = 16, one dose, PINN gridsize 1, a coarse raster
TINY = dict(
    methods=["pinn", "lsqml"],
    patch_size=16,
    object_size=160,
    scan_step=4.0,
    spacing_basis="window",
    doses=[1e3],
    gridsizes=[1],
)
#: the stand-in entries of the cell and comparison stages (simulate and overlap run for real)
FAKES = {
    "train": "tests.study.jobkinds:cell_job",
    "reconstruct": "tests.study.jobkinds:cell_job",
    "refine": "tests.study.jobkinds:cell_job",
    "compare": "tests.study.jobkinds:compare_job",
}


def tiny_study(**overrides) -> Study:
    """The quick preset with :data:`TINY` and ``overrides``."""
    return Study.preset("quick", **{**TINY, **overrides})


def sleep_job(study, store, params, reporter, job_dir):
    """Sleep ``seconds`` in ``steps`` with a loss event and a cancel point per step.

    params: ``fail`` raises after a NaN loss at the middle step; ``ignore_cancel`` never
    checks for cancellation; ``result`` returns a CellResult filled with that value.
    """
    seconds, steps = params.get("seconds", 0.5), params.get("steps", 5)
    for step in range(steps):
        loss = float("nan") if params.get("fail") and step == steps // 2 else 1.0 / (step + 1)
        reporter.event("loss", step=step, train=loss)
        if loss != loss:
            raise FloatingPointError(f"loss is NaN at step {step}")
        reporter.snapshot(step=np.array(step))
        reporter.progress((step + 1) / steps, f"step {step + 1}/{steps}")
        if not params.get("ignore_cancel"):
            reporter.check_cancel()
        time.sleep(seconds / steps)
    if "result" in params:
        value = params["result"]
        return CellResult(
            np.full((4, 4), value, np.complex64),
            np.ones((4, 4), np.float32),
            [{"epoch": 0, "train": 1.0}],
            {"collapsed": False},
            {"value": value},
        )
    return {"slept": seconds}


def die_mid_save_job(study, store, params, reporter, job_dir):
    """Write part of a result (reconstruction and a truncated result.json), then get killed."""
    (job_dir / "reconstruction.npz").write_bytes(b"PK\x03\x04 partial")
    (job_dir / "result.json").write_text('{"health": {')
    os.kill(os.getpid(), signal.SIGKILL)


def cell_job(study, store, params, reporter, job_dir):
    """A stand-in for train/reconstruct: 0.8 s, then a result determined by the cell."""
    cell = params["cell"]
    for step in range(4):
        reporter.progress((step + 1) / 4)
        reporter.check_cancel()
        time.sleep(0.2)
    rng = np.random.default_rng(
        [int(cell["dose"]), cell["gridsize"], cell["seed"], len(cell["view"])]
    )
    obj = (rng.random((8, 8)) + 1j * rng.random((8, 8))).astype(np.complex64)
    return CellResult(obj, np.ones((8, 8), np.float32), [{"epoch": 0, "train": 0.5}], {}, {})


def fail_cell_job(study, store, params, reporter, job_dir):
    """A stand-in cell that fails for the sparse view and succeeds otherwise."""
    if params["cell"]["view"] == "sparse":
        raise FloatingPointError("loss is NaN at epoch 0")
    return cell_job(study, store, params, reporter, job_dir)


def compare_job(study, store, params, reporter, job_dir):
    """A stand-in comparison: records the cells it covers and writes a (placeholder) cube, as
    the real one does."""
    from fly64.data.atomic import write_bytes_atomic
    from fly64.data.store import CUBE
    from fly64.study.records.registry import Registry, cell_finish_times

    write_bytes_atomic(store.results_dir / CUBE, b"stand-in")
    return {"cells": cell_finish_times(Registry(store), study)}


def long_cell_job(study, store, params, reporter, job_dir):
    """A stand-in cell that runs for two minutes unless cancelled (checks every 0.1 s)."""
    for step in range(1200):
        reporter.progress(step / 1200)
        reporter.check_cancel()
        time.sleep(0.1)
    return cell_job(study, store, params, reporter, job_dir)
