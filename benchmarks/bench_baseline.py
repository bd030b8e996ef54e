"""Overhead of the baseline wrapper: LSQML epochs through a job versus pty-chi called directly.

Both sides reconstruct the same arrays (a standard-preset-sized scene: N = 64, 256×256
object, positions 19 px apart, dose 1e5) with the same pty-chi options for the same number
of epochs, alternating A/B/A/B in one process (the fastest of the repeats is compared,
the most robust figure on a shared machine). The wrapper side is
:func:`fly64.baseline.solver.reconstruct` with a real
:class:`~fly64.study.execution.job_process.JobReporter` (events, progress, cancel checks each chunk
of 5 epochs, a snapshot every 2 chunks, the object placed on the ground-truth canvas); the direct
side builds the ``PtychographyTask`` and calls ``task.run(epochs)`` once, then reads the object.
Also printed: the share of the wrapper's own time spent outside pty-chi's ``task.run`` (its
intrinsic overhead, insensitive to load changes between runs). Target: overhead ≤ 10 %.
"""

import statistics
import tempfile
import time
from pathlib import Path

import torch

from fly64.baseline import SolverSettings
from fly64.baseline.ptychi_task import PtychographyTask, build_task, preserved_process_state
from fly64.baseline.solver import reconstruct
from fly64.physics import make_probe, make_test_object, raster_scan, simulate_counts
from fly64.study.execution.job_process import JobReporter
from fly64.study.records.jobs import JobState

N, OBJECT, STEP, DOSE = 64, 256, 19.0, 1e5
EPOCHS, CHUNK, SNAPSHOT_EVERY, REPEATS = 20, 5, 2, 4


def scene():
    obj = make_test_object((OBJECT, OBJECT))
    positions = raster_scan(obj.shape, N, STEP, jitter=1.0, seed=1)
    counts, probe = simulate_counts(obj, make_probe(N), positions, DOSE, seed=2)
    return obj, probe, positions, counts


def through_wrapper(obj, probe, positions, counts, settings) -> tuple[float, float]:
    """(seconds in all, seconds inside pty-chi's ``task.run``) of one wrapped reconstruction."""
    inside = []
    run = PtychographyTask.run

    def timed_run(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return run(self, *args, **kwargs)
        finally:
            inside.append(time.perf_counter() - start)

    PtychographyTask.run = timed_run
    try:
        with tempfile.TemporaryDirectory() as job_dir:
            reporter = JobReporter(Path(job_dir))
            reporter.start()
            start = time.perf_counter()
            reconstruct(counts, positions, probe, obj.shape, settings, reporter)
            seconds = time.perf_counter() - start
            reporter.finish(JobState.DONE, "benchmark")
    finally:
        PtychographyTask.run = run
    return seconds, sum(inside)


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
    settings = SolverSettings(
        epochs=EPOCHS, chunk=CHUNK, snapshot_every=SNAPSHOT_EVERY, batch_size=32
    )
    print(
        f"{len(positions)} positions, N = {N}, {OBJECT}² object, LSQML, {EPOCHS} epochs, "
        f"{torch.get_num_threads()} torch threads"
    )
    direct(probe, positions, counts, SolverSettings(epochs=1))  # warm-up (first-call costs)
    wrapped, inside, plain = [], [], []
    for _ in range(REPEATS):
        plain.append(direct(probe, positions, counts, settings))
        total, in_run = through_wrapper(obj, probe, positions, counts, settings)
        wrapped.append(total)
        inside.append(in_run)
    for w, i, p in zip(wrapped, inside, plain, strict=True):
        print(
            f"  wrapper {1e3 * w / EPOCHS:7.1f} ms/epoch "
            f"({100 * (w - i) / i:4.1f} % outside task.run)"
            f"   direct {1e3 * p / EPOCHS:7.1f} ms/epoch"
        )
    best = min(wrapped) / min(plain) - 1
    own = statistics.median((w - i) / i for w, i in zip(wrapped, inside, strict=True))
    print(
        f"fastest wrapper vs fastest direct: {100 * best:+.1f} %; wrapper's own work: "
        f"{100 * own:.1f} % of pty-chi time (target ≤ 10 %): "
        f"{'ok' if max(best, own) <= 0.10 else 'OVER'}"
    )


if __name__ == "__main__":
    main()
