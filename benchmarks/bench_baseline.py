"""Overhead of the baseline wrapper: LSQML epochs through a job versus pty-chi called directly.

Both sides reconstruct the same arrays (a standard-preset-sized scene: N = 64, 256×256
object, positions 19 px apart, dose 1e5) with the same pty-chi options for the same number
of epochs, alternating A/B/A/B in one process. The wrapper side is
:func:`fly64.baseline.solver.reconstruct` with a real :class:`~fly64.study.jobs.JobReporter`
(events, progress, cancel checks each chunk of 5 epochs, a snapshot every 2 chunks, the
object placed on the ground-truth canvas); the direct side builds the
``PtychographyTask`` and calls ``task.run(epochs)`` once, then reads the object. Target:
median overhead ≤ 10 %.
"""

import statistics
import tempfile
import time
from pathlib import Path

import torch

from fly64.baseline import SolverSettings
from fly64.baseline.solver import build_task, preserved_process_state, reconstruct
from fly64.physics import make_probe, make_test_object, raster_scan, simulate_counts
from fly64.study.jobs import DONE, JobReporter

N, OBJECT, STEP, DOSE = 64, 256, 19.0, 1e5
EPOCHS, CHUNK, SNAPSHOT_EVERY, REPEATS = 20, 5, 2, 3


def scene():
    obj = make_test_object((OBJECT, OBJECT))
    positions = raster_scan(obj.shape, N, STEP, jitter=1.0, seed=1)
    counts, probe = simulate_counts(obj, make_probe(N), positions, DOSE, seed=2)
    return obj, probe, positions, counts


def through_wrapper(obj, probe, positions, counts, settings) -> float:
    with tempfile.TemporaryDirectory() as job_dir:
        reporter = JobReporter(Path(job_dir))
        reporter.start()
        start = time.perf_counter()
        reconstruct(counts, positions, probe, obj.shape, settings, reporter)
        seconds = time.perf_counter() - start
        reporter.finish(DONE, "benchmark")
    return seconds


def direct(probe, positions, counts, settings) -> float:
    """pty-chi alone on the same arrays and options (the task is built inside the timing)."""
    with preserved_process_state():
        start = time.perf_counter()
        task = build_task(counts, positions, probe, settings).task
        task.run(settings.epochs)
        task.get_data_to_cpu("object", as_numpy=True)
        return time.perf_counter() - start


def main() -> None:
    obj, probe, positions, counts = scene()
    settings = SolverSettings(epochs=EPOCHS, chunk=CHUNK, snapshot_every=SNAPSHOT_EVERY, batch_size=32)
    print(f"{len(positions)} positions, N = {N}, {OBJECT}² object, LSQML, {EPOCHS} epochs, "
          f"{torch.get_num_threads()} torch threads")
    direct(probe, positions, counts, SolverSettings(epochs=1))  # warm-up (first-call costs)
    wrapped, plain = [], []
    for _ in range(REPEATS):
        plain.append(direct(probe, positions, counts, settings))
        wrapped.append(through_wrapper(obj, probe, positions, counts, settings))
    ratios = [w / p - 1 for w, p in zip(wrapped, plain)]
    for w, p, r in zip(wrapped, plain, ratios):
        print(f"  wrapper {1e3 * w / EPOCHS:7.1f} ms/epoch   direct {1e3 * p / EPOCHS:7.1f} ms/epoch   "
              f"overhead {100 * r:+5.1f} %")
    median = statistics.median(ratios)
    print(f"median overhead {100 * median:+.1f} % (target ≤ 10 %): {'ok' if median <= 0.10 else 'OVER'}")


if __name__ == "__main__":
    main()
