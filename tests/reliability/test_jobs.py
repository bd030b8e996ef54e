"""Damaged job files: read as ``damaged`` (never done, never a crash), re-run by the next run,
the old directory kept under ``archive/``."""

import json

import pytest
import xarray as xr

from fly64.data.store import Store
from fly64.study.cli.main import main
from fly64.study.execution.workspace import load_store_study
from fly64.study.records.cell_result import DamagedResultError, load_result
from fly64.study.records.cube import result_stamp, stale_reasons
from fly64.study.records.registry import Registry, finished_cells, read_job
from fly64.study.settings.cells import iter_cells
from tests.reliability.tinystore import CELLS, STUDY, run_grid

CELL = CELLS[0]


def flip_middle_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGE = {
    "status.json cut short": lambda d: (d / "status.json").write_text('{"state": "do'),
    "job.json cut short": lambda d: (d / "job.json").write_text('{"kind"'),
    "reconstruction.npz deleted": lambda d: (d / "reconstruction.npz").unlink(),
    "reconstruction.npz cut short": lambda d: (d / "reconstruction.npz").write_bytes(
        (d / "reconstruction.npz").read_bytes()[:50]
    ),
    "result.json not UTF-8": lambda d: (d / "result.json").write_bytes(b"\xff\xfe"),
}


@pytest.mark.parametrize("name", DAMAGE)
def test_damaged_job_reads_damaged(store, capsys, name):
    DAMAGE[name](store / "jobs" / CELL)
    status = read_job(store / "jobs" / CELL)
    assert status.state == "damaged" and status.terminal and "fly64 run" in status.message
    assert main(["status", "--store", str(store)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(CELL))
    assert row.split()[1] == "damaged"


def test_changed_reconstruction_is_caught_by_its_checksum(store, capsys):
    flip_middle_byte(store / "jobs" / CELL / "reconstruction.npz")
    with pytest.raises(DamagedResultError, match="checksum differs"):
        load_result(store / "jobs" / CELL)
    assert main(["compare", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert "reconstruction.npz changed" in err and "Traceback" not in err


def test_run_archives_and_reruns_damaged_jobs(store):
    (store / "jobs" / CELLS[0] / "status.json").write_text("")
    (store / "jobs" / CELLS[1] / "reconstruction.npz").unlink()
    ran = run_grid(store)
    assert {ran[c].state for c in CELLS} == {"done"} and ran["compare"].state == "done"
    archived = {p.name for p in store.glob("archive/*-damaged/jobs/*")}
    assert archived == set(CELLS)
    registry = Registry(load_store_study(store)[0])
    assert {j.state for j in registry.all()} == {"done"}
    for cell in CELLS:
        load_result(store / "jobs" / cell)


@pytest.mark.parametrize("name", DAMAGE)
def test_a_damaged_cell_is_not_finished_and_makes_the_comparison_stale(store, name):
    """A comparison made while the cell was intact is flagged, naming the damaged job."""
    root, cell = Store.open(store), next(c for c in iter_cells(STUDY) if c.job_id == CELL)
    assert cell in finished_cells(STUDY, root)
    cube = xr.DataArray(
        0.0,
        attrs={
            "settings_hash": STUDY.settings_hash("evaluate"),
            "results": json.dumps({CELL: result_stamp(root, cell)}),
        },
    )
    assert stale_reasons(STUDY, root, cube) == [f"1 cell(s) finished after it: {CELLS[1]}"]
    DAMAGE[name](store / "jobs" / CELL)
    assert cell not in finished_cells(STUDY, root)
    assert stale_reasons(STUDY, root, cube)[-1] == (
        f"1 cell(s) are damaged (`fly64 run` archives the job and runs it again): {CELL}"
    )
