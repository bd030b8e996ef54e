"""The stage table: every setting in one stage, upstream stages earlier,
entries and commands real.
"""

from collections import Counter

from fly64.study.cli.main import build_parser
from fly64.study.execution.job_process import resolve_entry
from fly64.study.execution.planning import ENTRIES
from fly64.study.pipeline.entries import JOB_FUNCTIONS
from fly64.study.settings.model import Study
from fly64.study.settings.stages import STAGES, hashed_settings, stage_of_kind

GRID_AXES = {"doses", "methods", "repeats"}


def test_every_setting_but_the_grid_axes_belongs_to_exactly_one_stage():
    owners = Counter(name for stage in STAGES.values() for name in stage.settings)
    assert [name for name, n in owners.items() if n > 1] == []
    assert set(owners) | GRID_AXES == set(Study.setting_names())
    assert not set(owners) & GRID_AXES


def test_upstream_stages_come_earlier_and_the_hash_covers_them():
    order = list(STAGES)
    for stage in STAGES.values():
        assert all(order.index(up) < order.index(stage.name) for up in stage.upstream)
    assert "snapshot_every" in hashed_settings("evaluate")
    assert "baseline_epochs" not in hashed_settings("train")


def test_each_stage_has_its_job_kind_entry_and_command():
    parser = build_parser()
    for stage in STAGES.values():
        assert stage_of_kind(stage.job_kind) is stage
        assert resolve_entry(ENTRIES[stage.job_kind]) is JOB_FUNCTIONS[stage.job_kind]
        assert parser.parse_args([stage.command, "--store", "s"]).command == stage.command
    assert stage_of_kind("compare").name == "evaluate" and stage_of_kind("sleep") is None
