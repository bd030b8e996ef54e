"""The right file, not only an intact one: every dataset, view and job result is checked against
what its path and the current study say, and `fly64 run` repairs what does not match."""

import json
import os
import shutil
import stat

import numpy as np
import pytest

from fly64.data.atomic import write_bytes_atomic
from fly64.data.dataset import DoseDatasetError, open_dose_dataset
from fly64.data.store import Store
from fly64.data.views import ViewError, load_view
from fly64.study.cli.main import main
from fly64.study.execution.runner import StudyRunner
from fly64.study.execution.workspace import save_store_study
from fly64.study.records.registry import Registry, finished_cells
from tests.reliability.tinystore import CELLS, STUDY, run_grid
from tests.study.jobkinds import FAKES, tiny_study

TWO_DOSES = tiny_study(views={"dense": 0.7}, doses=[1e3, 1e4])


@pytest.fixture(scope="module")
def finished_two(tmp_path_factory):
    root = tmp_path_factory.mktemp("two") / "store"
    assert {s.state for s in run_grid(root, TWO_DOSES).values()} == {"done"}
    return root


@pytest.fixture
def two(finished_two, tmp_path):
    """A private copy of a finished store of two doses."""
    return shutil.copytree(finished_two, tmp_path / "store")


def archived(root, path):
    """The one copy of ``path`` (relative to the store) that a run set aside as damaged."""
    (copy,) = (root / "archive").glob(f"*-damaged/{path}")
    return copy


def results_of(root):
    """Every cell's result file (what an untouched store holds)."""
    return {p.parent.name: p.read_bytes() for p in (root / "jobs").glob("*/reconstruction.npz")}


def test_another_doses_dataset_is_named_and_rerun_resimulates(two, capsys):
    intact, results = (
        open_dose_dataset(two / "doses/dose-1e4.zarr")["counts"].values,
        results_of(two),
    )
    shutil.rmtree(two / "doses/dose-1e4.zarr")
    shutil.copytree(two / "doses/dose-1e3.zarr", two / "doses/dose-1e4.zarr")
    with pytest.raises(DoseDatasetError, match=r"dose-1e4.zarr holds dose 1000 .*copy of dose-1e3"):
        open_dose_dataset(two / "doses/dose-1e4.zarr")
    assert main(["compare", "--store", str(two)]) == 2
    err = capsys.readouterr().err
    assert "holds dose 1000" in err and "Traceback" not in err and err.count("\n") == 1
    ran = run_grid(two, TWO_DOSES)
    assert ran["simulate-d1e4"].state == "done"
    copy = archived(two, "doses/dose-1e4.zarr")
    assert json.loads((copy / "zarr.json").read_text())["attributes"]["dose"] == 1e3
    assert np.array_equal(open_dose_dataset(two / "doses/dose-1e4.zarr")["counts"].values, intact)
    assert results_of(two) == results  # the cells made from the right data stay
    assert run_grid(two, TWO_DOSES) == {}


def test_another_doses_view_is_named_and_rerun_recuts_it(two):
    path = two / "views/dose-1e4/dense.npz"
    intact = load_view(path).indices["train"]
    shutil.copy(two / "views/dose-1e3/dense.npz", path)
    with pytest.raises(ViewError, match=r"holds view 'dense' of dose 1000.*copy of dose-1e3"):
        load_view(path)
    ran = run_grid(two, TWO_DOSES)
    assert ran["overlap-d1e4-dense"].state == "done"
    with np.load(archived(two, "views/dose-1e4/dense.npz")) as copy:
        assert json.loads(str(copy["header"]))["dose"] == 1e3
    record = load_view(path)
    assert record.dose == 1e4 and np.array_equal(record.indices["train"], intact)


def test_missing_metrics_cube_makes_compare_not_done(store, capsys):
    (store / "results" / "metrics.nc").unlink()
    assert state(store, "compare") == "damaged"
    assert main(["status", "--store", str(store)]) == 0
    assert "compare  done" not in capsys.readouterr().out
    ran = run_grid(store)
    assert set(ran) == {"compare"} and ran["compare"].state == "done"
    assert (store / "results" / "metrics.nc").is_file()


def state(root, job_id):
    return Registry(Store(root)).get(job_id).state


def test_another_jobs_directory_is_damaged_and_rerun(store):
    pinn, lsqml = (store / "jobs" / c for c in CELLS)
    shutil.rmtree(pinn)
    shutil.copytree(lsqml, pinn)
    assert state(store, CELLS[0]) == "damaged"
    ran = run_grid(store)
    assert ran[CELLS[0]].state == "done" and archived(store, f"jobs/{CELLS[0]}").is_dir()
    assert json.loads((pinn / "job.json").read_text())["job_id"] == CELLS[0]


def test_another_cells_result_is_damaged(store):
    pinn, lsqml = (store / "jobs" / c for c in CELLS)
    for name in ("result.json", "reconstruction.npz"):
        shutil.copy(lsqml / name, pinn / name)
    status = Registry(Store(store)).get(CELLS[0])
    assert status.state == "damaged" and f"result of job {CELLS[1]}" in status.message


def test_results_of_other_settings_are_not_current(store, capsys):
    """study.yaml edited with its hash line rewritten: the per-job hash decides what is current."""
    edited = tiny_study(views={"dense": 0.7}, epochs=STUDY.epochs + 1)
    save_store_study(Store(store), edited)
    (lsqml,) = [c for c in finished_cells(STUDY, Store(store)) if c.method == "lsqml"]
    assert finished_cells(edited, Store(store)) == [lsqml]
    assert main(["status", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[3:-1]}
    assert rows[CELLS[0]] == "stale" and rows[CELLS[1]] == "done", out
    assert main(["run", "--store", str(store), "--method", "lsqml"]) == 0
    assert "compare" in capsys.readouterr().out  # the comparison drops the stale cell
    with StudyRunner(store, edited, workers=2, entries=FAKES) as runner:
        ran = {s.job_id: s for s in runner.wait(runner.submit_grid(), timeout=120)}
    assert ran[CELLS[0]].state == "done" and CELLS[1] not in ran
    old = json.loads(archived(store, f"jobs/{CELLS[0]}/job.json").read_text())
    assert old["settings_hash"] == STUDY.settings_hash("train")


def test_gridsize_with_a_baseline_method_is_refused(store, capsys):
    args = ["run", "--store", str(store), "--method", "pinn", "--method", "lsqml"]
    assert main([*args, "--gridsize", "1"]) == 2
    err = capsys.readouterr().err
    assert "['lsqml'] have no gridsize" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "PINN cells and their refinements only" in " ".join(capsys.readouterr().out.split())


def test_a_file_where_a_job_directory_belongs_is_moved_aside(store):
    shutil.rmtree(store / "jobs" / CELLS[0])
    (store / "jobs" / CELLS[0]).write_text("not a job")
    ran = run_grid(store)
    assert ran[CELLS[0]].state == "done"
    assert archived(store, f"jobs/{CELLS[0]}").read_text() == "not a job"


@pytest.mark.parametrize(
    "setting, named",
    [
        ({"views": {"dense": 0.99}}, "views: 'dense' at overlap 0.99 leaves a spacing of"),
        ({"object_npz": "."}, "object_npz: . is a directory"),
    ],
)
def test_setting_messages_name_the_setting_the_user_set(tmp_path, capsys, setting, named):
    config = tmp_path / "cfg.yaml"
    config.write_text(json.dumps({"preset": "quick", **setting}))
    assert main(["simulate", "--config", str(config), "--store", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert named in err and "scan_step" not in err and "does not exist" not in err


def test_written_files_follow_the_umask(tmp_path):
    """The HTML report (like every store file) is written by write_bytes_atomic."""
    previous = os.umask(0o022)
    try:
        write_bytes_atomic(tmp_path / "report.html", b"<html></html>")
        (tmp_path / "plain.html").write_bytes(b"<html></html>")
    finally:
        os.umask(previous)
    modes = [stat.S_IMODE((tmp_path / n).stat().st_mode) for n in ("report.html", "plain.html")]
    assert modes == [0o644, 0o644]
