"""The study model: defaults, presets, validation, serialisation, hashing, cells."""

from dataclasses import fields

import pytest

from fly64.baseline import SolverSettings
from fly64.models import TrainOptions
from fly64.physics import footprint_diameter, make_probe
from fly64.study import PRESETS, Study, StudyError, select_cells
from fly64.study.pipeline.reconstruct import solver_settings
from fly64.study.pipeline.train import train_options
from fly64.study.settings.cells import Cell, iter_cells
from fly64.study.settings.options import composed, options_from


def test_seed_faithful_defaults():
    s = Study()
    assert s.doses == [1e3, 1e4, 1e5]
    assert s.views == {"dense": 0.7, "sparse": 0.2}
    assert s.gridsizes == [1, 2] and s.neighbor_count == 7 and s.patch_size == 64
    assert (s.simulation_seed, s.grouping_seed, s.subsample_seed) == (42, 123, 456)
    assert (s.probe, s.object, s.spacing_basis) == ("defocused", "probe_scale", "footprint")


@pytest.mark.parametrize(
    "options, prefix, names",
    [
        (
            TrainOptions,
            "",
            {"epochs", "batch_size", "learning_rate", "patience", "snapshot_every", "mae_weight"},
        ),
        (
            SolverSettings,
            "baseline_",
            {
                "epochs",
                "batch_size",
                "chunk",
                "snapshot_every",
                "free_probe",
                "holdout_fraction",
                "stop_patience",
            },
        ),
    ],
)
def test_stage_options_own_the_defaults_and_docs_of_their_study_settings(options, prefix, names):
    assert composed(Study, options) == {prefix + name: name for name in names}
    docs = {f.name: f.metadata["doc"] for f in fields(options)}
    for name in names:
        assert Study.param[prefix + name].default == getattr(options(), name)
        assert Study.param[prefix + name].doc == docs[name]
    assert options_from(Study(), options) == options()  # Study's defaults are the options' defaults
    with pytest.raises(TypeError, match="epochs"):
        options_from(Study(), options, epochs=3)


def test_a_cell_gets_its_stage_options_from_the_study_and_itself():
    study = Study.preset("quick", snapshot_every=3, baseline_snapshot_every=4, mae_weight=0.5)
    trained = train_options(study, Cell(1e3, "dense", "pinn", 1, 2))
    assert (trained.epochs, trained.snapshot_every, trained.mae_weight, trained.seed) == (
        12,
        3,
        0.5,
        2,
    )
    solved = solver_settings(study, Cell(1e3, "dense", "epie", 1, 2))
    assert (solved.algorithm, solved.epochs, solved.snapshot_every, solved.seed) == (
        "epie",
        40,
        4,
        2,
    )


def test_the_pinn_and_the_baseline_snapshot_cadences_are_separate_settings():
    a = Study.preset("quick")
    pinn, baseline = (
        Study.preset("quick", snapshot_every=7),
        Study.preset("quick", baseline_snapshot_every=7),
    )
    assert pinn.settings_hash("train") != a.settings_hash("train")
    assert pinn.settings_hash("reconstruct") == a.settings_hash("reconstruct")
    assert baseline.settings_hash("reconstruct") != a.settings_hash("reconstruct")
    assert baseline.settings_hash("train") == a.settings_hash("train")


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_spacing_is_measured_against_the_probe_footprint(name):
    s = Study.preset(name)
    assert s.footprint == pytest.approx(footprint_diameter(make_probe(s.patch_size)))
    assert s.spacings == {
        "dense": pytest.approx(0.3 * s.footprint),
        "sparse": pytest.approx(0.8 * s.footprint),
    }
    assert s.base_step == pytest.approx(s.spacing("dense") / 2, abs=1e-3)
    seed_rule = Study.preset(name, spacing_basis="window", probe="focused")
    assert seed_rule.spacings == {
        "dense": pytest.approx(0.3 * s.patch_size),
        "sparse": pytest.approx(0.8 * s.patch_size),
    }
    assert Study.preset(name, scan_step=1.5).base_step == 1.5


def test_probe_settings_change_the_footprint_and_the_spacing():
    s = Study.preset("quick")
    wider = Study.preset("quick", probe_defocus=0.22 * s.patch_size)
    assert wider.footprint > 1.1 * s.footprint and wider.spacing("dense") > s.spacing("dense")
    assert Study.preset("quick", probe="focused").footprint > 1.6 * s.footprint


def test_probe_past_half_the_window_warns_for_pinn_cells_only():
    assert Study.preset("quick").warnings() == []
    focused = Study.preset("quick", probe="focused")
    (message,) = focused.warnings()
    assert message.startswith("probe: ") and "N/2" in message and "D₉₉" in message
    assert Study.preset("quick", probe="focused", methods=["lsqml"]).warnings() == []


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_are_valid_and_round_trip(name, tmp_path):
    study = Study.preset(name)
    for suffix in (".yaml", ".json"):
        back = Study.load(study.save(tmp_path / f"s{suffix}"))
        assert back.to_dict() == study.to_dict()
        assert back.settings_hash() == study.settings_hash()


@pytest.mark.parametrize(
    "override, field",
    [
        (dict(doses=[]), "doses"),
        (dict(doses=[1e3, -1]), "doses"),
        (dict(doses=["x"]), "doses"),
        (dict(views={"dense": 1.0}), "views"),
        (dict(views={"dense": -0.1}), "views"),
        (dict(neighbor_count=3), "neighbor_count"),
        (dict(patch_size=8), "patch_size"),
        (dict(methods=["magic"]), "methods"),
        (dict(methods=[]), "methods"),
        (dict(gridsizes=[3]), "gridsizes"),
        (dict(scan_step=30.0), "scan_step"),
        (dict(object_size=40), "object_size"),
        (dict(learning_rate=5.0), "learning_rate"),
        (dict(probe_pupil_radius=16.0), "probe_pupil_radius"),
        (dict(probe="pencil"), "probe"),
        (dict(object="cat"), "object"),
        (dict(spacing_basis="probe"), "spacing_basis"),
        (dict(typo_field=1), "unknown settings"),
    ],
)
def test_validation_names_the_field(override, field):
    with pytest.raises(StudyError, match=field):
        Study.preset("quick", **override)


def test_setting_a_bad_value_raises_immediately_and_keeps_the_old_one():
    study = Study.preset("quick")
    with pytest.raises(StudyError, match="doses"):
        study.doses = [0.0]
    assert study.doses == [1e3, 1e4, 1e5]


def test_bad_files(tmp_path):
    (tmp_path / "a.yaml").write_text("doses: [1, 2\n")
    with pytest.raises(StudyError, match="YAML"):
        Study.load(tmp_path / "a.yaml")
    with pytest.raises(StudyError, match="does not exist"):
        Study.load(tmp_path / "missing.yaml")
    with pytest.raises(StudyError, match="unknown preset"):
        Study.preset("huge")


def test_hash_is_stable_and_stage_scoped():
    a, b = Study.preset("quick"), Study.preset("quick")
    assert a.settings_hash() == b.settings_hash()
    b.epochs = a.epochs + 1
    assert a.settings_hash() != b.settings_hash()
    assert a.settings_hash("simulate") == b.settings_hash("simulate")
    assert a.settings_hash("overlap") == b.settings_hash("overlap")
    assert a.settings_hash("train") != b.settings_hash("train")
    b.doses = [1e3]  # a grid axis: existing doses stay valid
    assert a.settings_hash("simulate") == b.settings_hash("simulate")
    with pytest.raises(StudyError, match="unknown stage"):
        a.settings_hash("bake")


def test_cells_enumerate_the_grid_lazily():
    study = Study.preset("quick")
    cells = iter_cells(study)
    assert next(cells).label == "pinn_gs1"
    every = list(iter_cells(study))
    # 3 doses × 2 views × (PINN gs1, gs2, LSQML, ePIE, gs1+ePIE, gs2+ePIE) × 1 repeat
    assert len(every) == 36 and len(set(c.job_id for c in every)) == 36
    assert {c.label for c in every} == {
        "pinn_gs1",
        "pinn_gs2",
        "lsqml",
        "epie",
        "pinn_gs1+epie",
        "pinn_gs2+epie",
    }


def test_a_refinement_starts_from_its_pinn_cell_and_needs_the_pinn():
    cell = Cell(1e4, "dense", "pinn+epie", 2, 1)
    assert cell.label == "pinn_gs2+epie" and cell.stage == "refine" and cell.solver == "epie"
    assert cell.parent == Cell(1e4, "dense", "pinn", 2, 1)
    assert Cell(1e4, "dense", "epie", 1, 1).parent is None
    with pytest.raises(StudyError, match="add 'pinn' to methods"):
        Study.preset("quick", methods=["lsqml", "pinn+lsqml"])


def test_filters_select_and_empty_selection_is_an_error():
    study = Study.preset("quick")
    cells = select_cells(study, doses=[1e4], views=["dense"], gridsizes=[2])
    assert [c.label for c in cells] == ["pinn_gs2", "pinn_gs2+epie"]
    assert len(select_cells(study, methods=["lsqml"])) == 6
    assert len(select_cells(study, methods=["pinn_gs1"])) == 6
    with pytest.raises(StudyError, match="matches no cell"):
        select_cells(study, doses=[5e5])
    with pytest.raises(StudyError, match="matches no cell"):
        select_cells(study, views=["medium"])


def test_a_study_file_from_before_the_snapshot_split_loads_with_the_shared_value(tmp_path):
    study = Study.preset("quick", snapshot_every=3, baseline_snapshot_every=3)
    lines = study.to_yaml(hashed=True).splitlines(keepends=True)
    older = "".join(line for line in lines if not line.startswith("baseline_snapshot_every:"))
    path = tmp_path / "study.yaml"
    path.write_text(
        older.replace("snapshot_every: 3", "snapshot_every: 4")
    )  # the hash line no longer fits
    loaded = Study.load(path, whole=True)
    assert loaded.snapshot_every == loaded.baseline_snapshot_every == 4
    path.write_text(
        "".join(lines).replace("baseline_snapshot_every: 3", "baseline_snapshot_every: 4")
    )
    with pytest.raises(StudyError, match="cut short or edited"):  # a current file is still checked
        Study.load(path, whole=True)


def test_views_that_move_the_simulated_raster_change_the_simulation_hash():
    quick = Study.preset("quick")
    denser = Study.preset("quick", views={**quick.views, "dense": 0.8})
    assert denser.base_step != quick.base_step
    assert denser.settings_hash("simulate") != quick.settings_hash("simulate")
    pinned = Study.preset("quick", scan_step=1.0)
    pinned_denser = Study.preset("quick", scan_step=1.0, views={**quick.views, "dense": 0.8})
    assert pinned.settings_hash("simulate") == pinned_denser.settings_hash("simulate")
    assert pinned.settings_hash("overlap") != pinned_denser.settings_hash("overlap")


def test_the_baselines_are_pty_chis_solvers_and_their_tv_variants():
    from fly64.baseline import ALGORITHMS
    from fly64.study.settings.methods import BASELINES, METHODS, TV_SOLVERS, Method

    assert [m for m in BASELINES if not m.endswith("_tv")] == list(ALGORITHMS)
    assert [m.removesuffix("_tv") for m in BASELINES if m.endswith("_tv")] == list(TV_SOLVERS)
    assert set(METHODS) == set(Method) and Study().methods == [str(m) for m in METHODS]
    assert all(type(m) is str for m in Study().methods)  # plain strings: the study file is YAML
