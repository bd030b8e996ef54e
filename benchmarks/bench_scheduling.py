"""Scheduling overhead of the job executors, and the parallel efficiency of a whole grid.

1. ``--jobs`` trivial jobs (each returns at once) through the ``local`` and ``dask``
   executors: wall time per job, against the jobs' own run time (the rest is process
   start, imports and polling).
2. A preset's whole grid (default ``quick``) with ``fly64``'s runner: wall time against the
   sum of its jobs' own run times, split by stage; efficiency = Σ run / (wall × workers).

``python -m benchmarks.bench_scheduling [--jobs 100] [--workers 2] [--grid quick|none]``
"""

import argparse
import tempfile
import time
from pathlib import Path

from fly64.data.store import Store
from fly64.study.execution.executors import EXECUTORS, make_executor
from fly64.study.execution.runner import StudyRunner
from fly64.study.records.jobs import JobSpec, prepare_job
from fly64.study.records.liveness import process_identity
from fly64.study.settings.model import Study
from fly64.study.settings.stages import STAGES


def noop_job(study, store, params, reporter, job_dir) -> dict:
    """The trivial job: returns at once."""
    return {}


def trivial_jobs(executor_name: str, n_jobs: int, workers: int, root: Path) -> None:
    store = Store.create(root / executor_name)
    study = Study.preset("quick")
    specs = [
        JobSpec(f"noop-{k:03d}", "noop", "benchmarks.bench_scheduling:noop_job")
        for k in range(n_jobs)
    ]
    t_start = time.perf_counter()
    executor = make_executor(executor_name, store, workers=workers)
    t_ready = time.perf_counter()
    for spec in specs:
        prepare_job(store, spec, study, process_identity())
        executor.submit(spec)
    statuses = executor.wait([s.job_id for s in specs])
    wall = time.perf_counter() - t_ready
    executor.close()
    assert all(s.state == "done" for s in statuses), [
        s.message for s in statuses if s.state != "done"
    ]
    own = sum(s.run_seconds for s in statuses) / n_jobs
    print(
        f"{executor_name:>5}: {n_jobs} jobs on {workers} workers in {wall:6.1f} s = "
        f"{1e3 * wall / n_jobs:6.0f} ms/job wall, {1e3 * wall * workers / n_jobs:6.0f} ms/job "
        f"per worker (own run time {1e3 * own:.0f} ms/job; executor start "
        f"{t_ready - t_start:.1f} s)"
    )


def grid(preset: str, workers: int, root: Path) -> None:
    runner = StudyRunner(root / preset, Study.preset(preset), workers=workers)
    t0 = time.perf_counter()
    ids = runner.submit_grid()
    statuses = runner.wait(ids)
    wall = time.perf_counter() - t0
    runner.close()
    failed = [f"{s.job_id}: {s.message}" for s in statuses if s.state != "done"]
    total = sum(s.run_seconds or 0.0 for s in statuses)
    print(
        f"grid {preset}: {len(statuses)} jobs on {workers} workers, wall {wall:.1f} s, "
        f"Σ job run time {total:.1f} s, efficiency Σ run / (wall × workers) = "
        f"{total / (wall * workers):.2f}"
    )
    for kind in (stage.job_kind for stage in STAGES.values()):
        runs = [s.run_seconds or 0.0 for s in statuses if s.kind == kind]
        if runs:
            print(
                f"  {kind:<12} {len(runs):3d} jobs  Σ {sum(runs):7.1f} s  "
                f"mean {sum(runs) / len(runs):6.1f} s  max {max(runs):6.1f} s"
            )
    for line in failed:
        print(f"  FAILED {line}")


def main(argv=()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executor", action="append", choices=EXECUTORS)
    parser.add_argument("--grid", default="quick", help="preset of the grid to time, or 'none'")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fly64-bench-") as tmp:
        for name in args.executor or EXECUTORS:
            trivial_jobs(name, args.jobs, args.workers, Path(tmp))
        if args.grid != "none":
            grid(args.grid, args.workers, Path(tmp))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
