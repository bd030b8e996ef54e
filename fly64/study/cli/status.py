"""``fly64 status``: a table of the study's cells and every job's state, read from the store."""

import time

from fly64.study.cli.arguments import add_store_arg
from fly64.study.execution.workspace import load_store_study
from fly64.study.records.jobs import JobState
from fly64.study.records.registry import JobStatus, Registry, health_text
from fly64.study.settings.cells import iter_cells
from fly64.study.settings.model import Study
from fly64.study.settings.stages import stage_of_kind

COLUMNS = ("job", "state", "progress", "time", "message")


def register(sub) -> None:
    parser = sub.add_parser("status", help="table of cells and job states")
    add_store_arg(parser)
    parser.set_defaults(func=run)


def _row(job_id: str, status: JobStatus | None, study: Study) -> tuple[str, ...]:
    if status is None:
        return job_id, "not run", "", "", ""
    stage = stage_of_kind(status.kind)
    if status.state == JobState.DONE and stage is not None:
        current = study.settings_hash(stage.name)
        if status.settings_hash != current:
            return (
                job_id,
                "stale",
                "",
                "",
                (
                    f"made with other {stage.name} settings (hash {status.settings_hash}, the "
                    f"study's {current}); `fly64 run` runs it again"
                ),
            )
    seconds = status.run_seconds
    if status.state == JobState.RUNNING and status.eta_s is not None:
        timing = f"{seconds:.0f} s, ~{status.eta_s:.0f} s left"
    else:
        timing = "" if seconds is None else f"{seconds:.1f} s"
    flags = health_text(status.health, healthy="")
    message = status.message + (f" [{flags}]" if flags else "")
    return job_id, status.state, f"{100 * status.progress:.0f} %", timing, message


def format_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in [COLUMNS, *rows]) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [COLUMNS, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(args) -> int:
    store, study = load_store_study(args.store)
    jobs = {j.job_id: j for j in Registry(store).all()}
    cell_ids = [cell.job_id for cell in iter_cells(study)]
    rows = [_row(job_id, jobs.get(job_id), study) for job_id in cell_ids]
    rows += [_row(j.job_id, j, study) for j in jobs.values() if j.job_id not in set(cell_ids)]
    print(f"store {store.root} (study {study.settings_hash()}), read {time.strftime('%H:%M:%S')}")
    print(format_table(rows))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[1]] = counts.get(row[1], 0) + 1
    print(", ".join(f"{n} {state}" for state, n in counts.items()))
    return 0
