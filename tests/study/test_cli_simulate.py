"""`fly64 simulate` end to end on the quick preset, resume and refusals."""

import numpy as np
import pytest

from fly64.data import open_dose_dataset
from fly64.physics import footprint_diameter, make_probe
from fly64.study import Study
from fly64.study.cli.main import main
from fly64.study.pipeline.simulate import make_scene


def test_simulate_quick_store_validates_and_resumes(tmp_path, capsys):
    store = tmp_path / "s"
    assert main(["simulate", "--preset", "quick", "--store", str(store), "--dose", "1000"]) == 0
    out = capsys.readouterr().out
    assert "dose 1000: wrote" in out
    ds = open_dose_dataset(store / "doses" / "dose-1e3.zarr")
    study = Study.preset("quick")
    assert ds.attrs["settings_hash"] == study.settings_hash("simulate")
    assert set(np.unique(ds["split"].values)) == {0, 1}
    assert abs(ds["counts"].values.sum(axis=(1, 2)).mean() - 1e3) < 5 * np.sqrt(
        1e3 / ds.sizes["pattern"]
    )
    assert main(["simulate", "--store", str(store), "--dose", "1000"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_probe_settings_shape_the_simulated_probe():
    default = make_scene(Study.preset("quick", object_size=96))
    assert np.array_equal(default.probe, make_probe(32))
    wider = make_scene(Study.preset("quick", object_size=96, probe_defocus=0.22 * 32))
    assert footprint_diameter(wider.probe) > 1.1 * footprint_diameter(default.probe)  # more defocus
    focused = make_scene(Study.preset("quick", object_size=96, probe="focused"))
    narrow = make_scene(
        Study.preset("quick", object_size=96, probe="focused", probe_pupil_radius=8.0)
    )
    assert np.array_equal(focused.probe, make_probe(32, "focused"))
    assert footprint_diameter(narrow.probe) < 0.8 * footprint_diameter(
        focused.probe
    )  # in focus, D ∝ 1 / radius


def test_other_settings_are_refused_then_archived_with_force(tmp_path, capsys):
    store = tmp_path / "s"
    assert main(["simulate", "--preset", "quick", "--store", str(store), "--dose", "1000"]) == 0
    config = tmp_path / "study.yaml"
    Study.preset("quick", simulation_seed=7).save(config)
    assert main(["simulate", "--config", str(config), "--store", str(store), "--dose", "1000"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (
        main(
            [
                "simulate",
                "--config",
                str(config),
                "--store",
                str(store),
                "--dose",
                "1000",
                "--force",
            ]
        )
        == 0
    )
    archived = list((store / "archive").glob("*/doses/dose-1e3.zarr"))
    assert len(archived) == 1  # the old results were kept


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dose", "-5"], "positive"),
        (["--preset", "nope"], "unknown preset"),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path, capsys, argv, message):
    assert main(["simulate", "--store", str(tmp_path / "s"), *argv]) == 2
    assert message in capsys.readouterr().err


def test_not_a_store(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("x")
    assert main(["simulate", "--preset", "quick", "--store", str(tmp_path)]) == 2
    assert "not a fly64 store" in capsys.readouterr().err
