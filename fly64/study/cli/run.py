"""``fly64 run``: the whole grid (or a filtered part) as jobs, with progress and a summary.

Also the pieces other commands share: executor flags, making the runner, printing the
study's warnings, and :func:`follow` (overall progress bar, one line per job state change,
Ctrl-C cancels, summary of failures, exit status).
"""

import argparse
import signal
import sys
import threading
import time

from tqdm import tqdm

from fly64.study.cli.arguments import add_filter_args, add_study_args, study_from_args
from fly64.study.execution.executors import EXECUTORS
from fly64.study.execution.runner import StudyRunner
from fly64.study.records.jobs import JobState
from fly64.study.records.registry import JobStatus
from fly64.study.settings.model import Study, StudyError


def register(sub) -> None:
    parser = sub.add_parser(
        "run", help="run the grid's jobs (simulate → overlap → train/reconstruct → compare)"
    )
    add_study_args(parser)
    add_filter_args(parser, "dose", "view", "method", "gridsize")
    add_executor_args(parser)
    parser.set_defaults(func=run)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_executor_args(parser) -> None:
    parser.add_argument(
        "--executor", choices=EXECUTORS, help="local processes (default) or a dask cluster"
    )
    parser.add_argument(
        "--scheduler",
        help="dask scheduler address (implies --executor dask; "
        "without it, dask starts a local cluster)",
    )
    parser.add_argument(
        "--workers", type=_positive_int, help="jobs at once (default: one per CPU core)"
    )


def make_runner(args, study: Study) -> StudyRunner:
    if args.scheduler and args.executor == "local":
        raise StudyError(
            "--scheduler names a dask scheduler; it does not apply to --executor local"
        )
    executor = args.executor or ("dask" if args.scheduler else "local")
    return StudyRunner(
        args.store,
        study,
        executor,
        workers=args.workers,
        scheduler=args.scheduler,
        force=args.force,
    )


def print_warnings(study: Study) -> None:
    """Each of the study's warnings on stderr as ``warning: <message>`` (they never stop a run)."""
    for message in study.warnings():
        print(f"warning: {message}", file=sys.stderr)


def run(args) -> int:
    study = study_from_args(args)
    print_warnings(study)
    with make_runner(args, study) as runner:
        job_ids = runner.submit_grid(
            doses=args.doses, views=args.views, methods=args.methods, gridsizes=args.gridsizes
        )
        return follow(runner, job_ids)


def _line(status: JobStatus, t0: float) -> str:
    text = f"[{time.monotonic() - t0:7.1f} s] {status.job_id:<42} {status.state}"
    if status.state == JobState.RUNNING:
        text += f" (pid {status.pid})"
    elif status.terminal and status.run_seconds is not None:
        text += f" after {status.run_seconds:.1f} s"
    if status.state in (JobState.FAILED, JobState.CANCELLED):
        text += f": {status.message}"
    return text


def _interrupt(*_):
    raise KeyboardInterrupt


def follow(runner: StudyRunner, job_ids: list[str], poll: float = 0.5) -> int:
    """Show the jobs until they end; 0 when all are done, 1 on failures, 130 after Ctrl-C.

    The first Ctrl-C (or SIGTERM) cancels the jobs and keeps waiting for them to stop; a
    second one stops waiting (the jobs still stop at their next cancel point).
    """
    if not job_ids:
        print("everything is up to date")
        return 0
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main else None
    t0, seen, interrupted = time.monotonic(), {}, False
    bar = tqdm(
        total=len(job_ids),
        desc="jobs",
        unit="job",
        bar_format="{l_bar}{bar}| {n:.1f}/{total} [{elapsed}<{remaining}]",
    )
    statuses: list[JobStatus] = []
    try:
        while True:
            try:
                statuses = [runner.job(j) for j in job_ids]
                for status in statuses:
                    if status is not None and seen.get(status.job_id) != status.state:
                        seen[status.job_id] = status.state
                        tqdm.write(_line(status, t0))
                bar.n = sum(1.0 if s.terminal else s.progress for s in statuses if s is not None)
                bar.refresh()
                if all(s is not None and s.terminal for s in statuses):
                    break
                time.sleep(poll)
            except KeyboardInterrupt:
                if interrupted:
                    tqdm.write("stopped waiting; cancelled jobs stop at their next cancel point")
                    break
                interrupted = True
                tqdm.write("interrupted: cancelling the jobs (Ctrl-C again to stop waiting)")
                for job_id in job_ids:
                    status = runner.job(job_id)
                    if status is None or not status.terminal:
                        runner.cancel(job_id)
    finally:
        bar.close()
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    return _summary(statuses, time.monotonic() - t0, interrupted)


def _summary(statuses: list[JobStatus], seconds: float, interrupted: bool) -> int:
    ended = (JobState.DONE, JobState.FAILED, JobState.CANCELLED)
    counts = [sum(1 for s in statuses if s is not None and s.state == state) for state in ended]
    print(
        ", ".join(f"{n} {state}" for n, state in zip(counts, ended, strict=True))
        + f" of {len(statuses)} jobs in {seconds:.1f} s"
    )
    bad = [
        s for s in statuses if s is not None and s.state in (JobState.FAILED, JobState.CANCELLED)
    ]
    for status in bad:
        print(f"  {status.job_id} {status.state}: {status.message}", file=sys.stderr)
    if any(s.traceback for s in bad):
        print(
            "  (tracebacks: status.json in each job directory; `fly64 status` lists all jobs)",
            file=sys.stderr,
        )
    if interrupted:
        return 130
    return 1 if bad else 0
