"""Repeats are independent experiments: each draws its own Poisson counts; views are shared."""

import numpy as np
import pytest

from fly64.data.dataset import open_dose_dataset
from fly64.study import Study
from fly64.study.execution.planning import plan_jobs, simulate_spec
from fly64.study.execution.workspace import prepare_store
from fly64.study.pipeline.simulate import noise_seed, simulate_study
from fly64.study.settings.cells import iter_cells
from tests.study.jobkinds import TINY

STUDY = dict(TINY, object_size=64, views={"dense": 0.7}, methods=["lsqml"], min_positions=10)


def test_each_repeat_draws_its_own_counts_over_the_same_scene(tmp_path):
    study = Study.preset("quick", **STUDY, repeats=[0, 1, 2])
    store = prepare_store(tmp_path / "store", study)
    report = simulate_study(study, store)
    assert [path.name for _, path, _ in report] == [
        "dose-1e3.zarr",
        "dose-1e3-r1.zarr",
        "dose-1e3-r2.zarr",
    ]
    sets = [open_dose_dataset(store.dose_path(1e3, r)) for r in (0, 1, 2)]
    for ds in sets[1:]:
        for name in ("positions", "split", "probe", "object"):
            np.testing.assert_array_equal(ds[name].values, sets[0][name].values)
        assert not np.array_equal(ds["counts"].values, sets[0]["counts"].values)
    assert [ds.attrs["repeat"] for ds in sets] == [0, 1, 2]
    assert len({ds.attrs["noise_seed"] for ds in sets}) == 3
    single = Study.preset(
        "quick", **STUDY
    )  # repeat 0 is the single-repeat study's dataset, bit for bit
    alone = prepare_store(tmp_path / "alone", single)
    simulate_study(single, alone)
    np.testing.assert_array_equal(
        open_dose_dataset(alone.dose_path(1e3))["counts"].values, sets[0]["counts"].values
    )
    assert noise_seed(42, 0) == 42 and noise_seed(42, 1) != noise_seed(43, 1)
    assert all(
        skipped for *_, skipped in simulate_study(study, store)
    )  # resumable: nothing to redo


def test_the_plan_simulates_each_repeat_and_cuts_views_from_repeat_0(tmp_path):
    study = Study.preset("quick", **STUDY, repeats=[1, 2])
    store = prepare_store(tmp_path / "store", study)
    specs = plan_jobs(study, store, list(iter_cells(study)), compare=False)
    ids = [s.job_id for s in specs]
    assert ids[:3] == [
        "simulate-d1e3-r1",
        "simulate-d1e3-r2",
        "simulate-d1e3",
    ]  # repeat 0 for the scan
    overlap = next(s for s in specs if s.kind == "overlap")
    assert overlap.needs == ("simulate-d1e3",)
    cells = {s.job_id: s for s in specs if s.kind == "reconstruct"}
    assert cells["reconstruct-d1e3-dense-lsqml-s2"].needs == (overlap.job_id, "simulate-d1e3-r2")
    assert simulate_spec(study, 1e3, 2).params == {"dose": 1e3, "repeat": 2}


@pytest.mark.slow
def test_the_baseline_differs_between_repeats(tmp_path):
    """LSQML on each repeat's own counts: a spread across repeats
    (it was 0 when only the PINN re-seeded).
    """
    from fly64.study.execution.runner import StudyRunner
    from fly64.study.records.cube import load_cube

    study = Study.preset("quick", **STUDY, repeats=[0, 1], baseline_epochs=5)
    with StudyRunner(tmp_path / "store", study, workers=2) as runner:
        ids = runner.submit_grid()
        statuses = runner.wait(ids, timeout=300)
    assert all(s.state == "done" for s in statuses), [
        (s.job_id, s.state, s.message) for s in statuses
    ]
    ssim = load_cube(runner.store).sel(
        {"dose": 1e3, "view": "dense", "method": "lsqml", "part": "phase", "metric": "ssim"}
    )  # "method" is also a keyword of sel
    assert np.isfinite(ssim.values).all() and float(ssim.sel(seed=0)) != float(ssim.sel(seed=1))
