"""The study runner: planning and resume, a killed parent, failures in a grid, the CLI around it.

A tiny study (one dose, two views, 16 px patches) is simulated and cut for real; train,
reconstruct and compare are stand-ins from ``tests/study/jobkinds.py`` (fast, with results
determined by the cell).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from fly64.study.cli.main import main
from fly64.study.cli.run import follow
from fly64.study.execution.runner import StudyRunner
from fly64.study.records.cell_result import load_result
from fly64.study.records.jobs import JobSpec, prepare_job, request_cancel
from fly64.study.records.liveness import process_identity
from fly64.study.records.registry import Registry
from fly64.study.settings.model import Study, StudyError
from tests.study.jobkinds import FAKES, tiny_study

ROOT = Path(__file__).resolve().parents[2]
STUDY = tiny_study()
CELLS = 4  # one dose × two views × (pinn gs1, lsqml)


def run_grid(root, study=STUDY, entries=FAKES, workers=2, force=False, **filters):
    with StudyRunner(root, study, workers=workers, entries=entries, force=force) as runner:
        ids = runner.submit_grid(**filters)
        return runner, ids, runner.wait(ids, timeout=120)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of the whole tiny grid."""
    root = tmp_path_factory.mktemp("reference") / "store"
    _, ids, statuses = run_grid(root)
    return root, ids, statuses


def data_copy(reference_root: Path, target: Path) -> Path:
    """A store holding the reference's datasets and views, but no jobs."""
    shutil.copytree(reference_root, target, ignore=shutil.ignore_patterns("jobs"))
    return target


def objects(root: Path) -> dict:
    registry = Registry(StudyRunner(root, STUDY, workers=1).store)
    return {
        j.job_id: load_result(registry.store.job_dir(j.job_id)).object
        for j in registry.all()
        if j.cell is not None
    }


def launch_runner_parent(root, entries: dict, then: str, **popen) -> subprocess.Popen:
    """Another process that makes a 1-worker StudyRunner ``r`` on ``root`` and runs ``then``."""
    # Ctrl-C as at a terminal, even where this test runs in a non-interactive shell's background
    # job (POSIX: such a job and its children start with SIGINT ignored)
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "import sys, json; from fly64.study.settings.model import Study; "
        "from fly64.study.execution.runner import StudyRunner; "
        "r = StudyRunner(sys.argv[1], Study.from_json(sys.argv[2]), workers=1, "
        "entries=json.loads(sys.argv[3])); " + then
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(root), STUDY.to_json(), json.dumps(entries)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        **popen,
    )


def wait_for(parent: subprocess.Popen, condition, seconds: float = 60) -> None:
    """Poll ``condition()`` until true; fails if the parent exits first or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline and parent.poll() is None
        time.sleep(0.1)


@pytest.mark.slow
def test_grid_runs_every_stage_in_order_and_a_rerun_skips_it_all(reference, capsys):
    root, ids, statuses = reference
    kinds = [s.kind for s in statuses]
    assert kinds == ["simulate", "overlap", "overlap"] + kinds[3 : 3 + CELLS] + ["compare"]
    assert all(s.state == "done" for s in statuses)
    by_id = {s.job_id: s for s in statuses}
    for status in statuses[3:-1]:
        overlap = by_id[f"overlap-d1e3-{status.cell.view}"]
        assert status.started >= overlap.finished >= by_id["simulate-d1e3"].finished
        manifest = json.loads((root / "jobs" / status.job_id / "job.json").read_text())
        assert manifest["settings_hash"] == STUDY.settings_hash(status.cell.stage)
        assert set(manifest["inputs"]) == {"dose_dataset", "view"}
    assert by_id["compare"].started >= max(s.finished for s in statuses[3:-1])
    assert run_grid(root)[1] == []  # everything up to date, the comparison too
    assert main(["status", "--store", str(root)]) == 0
    table = capsys.readouterr().out
    assert "reconstruct-d1e3-sparse-lsqml-s0" in table and f"{CELLS + 4} done" in table


@pytest.mark.slow
def test_killing_the_parent_mid_grid_then_rerunning_recomputes_nothing_finished(
    reference, tmp_path
):
    root = data_copy(reference[0], tmp_path / "store")
    parent = launch_runner_parent(root, FAKES, "r.wait(r.submit_grid(), timeout=120)")
    registry = Registry(StudyRunner(root, STUDY, workers=1).store)
    wait_for(parent, lambda: sum(j.state == "done" for j in registry.all()) >= 2)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    before = {j.job_id: j for j in registry.all()}
    finished = {k: j.finished for k, j in before.items() if j.state == "done"}
    assert 2 <= len(finished) < CELLS
    assert any(j.state == "cancelled" and "submitter" in j.message for j in before.values())

    _, ids, statuses = run_grid(root)
    assert set(finished).isdisjoint(ids)
    after = {j.job_id: j for j in registry.all()}
    assert all(j.state == "done" for j in after.values())
    assert {k: after[k].finished for k in finished} == finished  # not recomputed
    ours, theirs = objects(root), objects(reference[0])
    assert ours.keys() == theirs.keys() and all(np.array_equal(ours[k], theirs[k]) for k in ours)


@pytest.mark.slow
def test_ctrl_c_cancels_the_running_and_waiting_jobs_and_exits_130(reference, tmp_path):
    root = data_copy(reference[0], tmp_path / "store")
    entries = {**FAKES, "train": "tests.study.jobkinds:long_cell_job"}
    parent = launch_runner_parent(
        root,
        entries,
        "from fly64.study.cli.run import follow; sys.exit(follow(r, r.submit_grid(), poll=0.1))",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    registry = Registry(StudyRunner(root, STUDY, workers=1).store)
    wait_for(parent, lambda: any(j.state == "running" for j in registry.all()))
    parent.send_signal(signal.SIGINT)
    out, err = parent.communicate(timeout=90)  # seconds when idle; a loaded CI machine is slower
    assert parent.returncode == 130, err
    assert "interrupted: cancelling the jobs" in out + err
    states = {j.job_id: (j.state, j.message) for j in registry.all()}
    assert states["train-d1e3-dense-pinn_gs1-s0"] == ("cancelled", "cancelled on request")
    assert states["compare"] == ("cancelled", "cancelled before it started")
    assert all(state == "cancelled" for state, _ in states.values())


def test_a_failing_cell_fails_alone_and_the_run_says_which_and_why(reference, tmp_path, capsys):
    root = data_copy(reference[0], tmp_path / "store")
    entries = {**FAKES, "train": "tests.study.jobkinds:fail_cell_job"}
    with StudyRunner(root, STUDY, workers=2, entries=entries) as runner:
        ids = runner.submit_grid(methods=["pinn"])
        assert ids == ["train-d1e3-dense-pinn_gs1-s0", "train-d1e3-sparse-pinn_gs1-s0", "compare"]
        assert follow(runner, ids, poll=0.1) == 1
    err = capsys.readouterr().err
    assert "train-d1e3-sparse-pinn_gs1-s0 failed: FloatingPointError: loss is NaN at epoch 0" in err
    states = {j.job_id: j.state for j in Registry(runner.store).all()}
    assert states == {ids[0]: "done", ids[1]: "failed", "compare": "done"}


def test_a_store_of_other_settings_is_refused_unless_forced(reference, tmp_path):
    root = data_copy(reference[0], tmp_path / "store")
    other = Study.from_dict({**STUDY.to_dict(), "epochs": 3})
    with pytest.raises(StudyError, match="other settings"):
        StudyRunner(root, other, workers=1)
    store = StudyRunner(root, STUDY, workers=1).store
    prepare_job(
        store, JobSpec("live", "sleep", "tests.study.jobkinds:sleep_job"), STUDY, process_identity()
    )
    with pytest.raises(StudyError, match=r"jobs that have not ended \(\['live'\]\)"):
        StudyRunner(root, other, workers=1, force=True)
    request_cancel(store.job_dir("live"))
    StudyRunner(root, other, workers=1, force=True).close()
    (archive,) = (root / "archive").iterdir()
    assert Study.load(archive / "study.yaml").epochs == STUDY.epochs
    assert (root / "doses").exists() and (root / "views").exists()  # epochs change neither


def test_force_archives_only_what_the_changed_settings_touch(reference, tmp_path):
    root = tmp_path / "store"
    shutil.copytree(reference[0], root)
    other = Study.from_dict({**STUDY.to_dict(), "epochs": 3})  # a train-stage setting
    _, ids, statuses = run_grid(root, other, force=True)
    assert sorted(ids) == sorted(
        ["train-d1e3-dense-pinn_gs1-s0", "train-d1e3-sparse-pinn_gs1-s0", "compare"]
    )
    assert all(s.state == "done" for s in statuses)
    (archive,) = (root / "archive").iterdir()
    assert sorted(p.name for p in (archive / "jobs").iterdir()) == sorted(ids)
    assert (
        not (archive / "doses").exists()
        and (root / "jobs" / "reconstruct-d1e3-dense-lsqml-s0").is_dir()
    )
    # extending the grid is no change of settings: no refusal, no archive
    StudyRunner(root, Study.from_dict({**other.to_dict(), "doses": [1e3, 1e4]}), workers=1).close()
    assert len(list((root / "archive").iterdir())) == 1


def test_run_command_rejects_an_empty_selection(reference, tmp_path, capsys):
    root = data_copy(reference[0], tmp_path / "store")
    assert main(["run", "--store", str(root), "--view", "nowhere"]) == 2
    assert "matches no cell" in capsys.readouterr().err


def test_overlap_command_prints_each_view_and_refuses_an_infeasible_one(
    reference, tmp_path, capsys
):
    root = data_copy(reference[0], tmp_path / "store")
    assert main(["overlap", "--store", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.endswith("(up to date)") for line in lines)
    assert (
        lines[1].startswith("dose 1e3 sparse  S = 12.8 px: train ") and "median spacing" in lines[1]
    )
    config = tmp_path / "strict.json"
    config.write_text(json.dumps({**STUDY.to_dict(), "min_positions": 60}))
    assert main(["overlap", "--config", str(config), "--store", str(tmp_path / "strict")]) == 2
    out, err = capsys.readouterr()
    assert out.startswith("dose 1e3 dense ") and len(out.splitlines()) == 1
    assert "view 'sparse'" in err and "min_positions = 60" in err


def test_a_refinement_waits_for_its_pinn_cell_which_a_filter_brings_along(tmp_path):
    from fly64.study.execution.planning import plan_jobs
    from fly64.study.execution.workspace import prepare_store
    from fly64.study.settings.cells import select_cells

    study = tiny_study(methods=["pinn", "lsqml", "pinn+lsqml"], views={"dense": 0.7})
    store = prepare_store(tmp_path / "store", study)
    # only the refinement asked for: its PINN cell is planned too, and runs first
    specs = plan_jobs(study, store, select_cells(study, methods=["pinn+lsqml"]), compare=False)
    by_id = {s.job_id: s for s in specs}
    refine = by_id["refine-d1e3-dense-pinn_gs1+lsqml-s0"]
    assert refine.kind == "refine" and "train-d1e3-dense-pinn_gs1-s0" in refine.needs
    assert [s.job_id for s in specs].index(refine.job_id) == len(specs) - 1
    assert "reconstruct-d1e3-dense-lsqml-s0" not in by_id  # the flat-start sibling is not
