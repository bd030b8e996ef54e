"""The study form (Python level): the model's warnings sit beside their field, in amber."""

import pytest

from app.pages.study.form import StudyForm, _parse_views
from fly64.study import Study, StudyError


def test_a_focused_probe_with_pinn_cells_warns_under_probe_until_set_back():
    form = StudyForm(Study.preset("quick"))
    probe = form.fields["probe"]
    assert form.warnings == [] and not probe.warning.visible
    probe.widget.value = "focused"
    assert form.error == "" and form.study.probe == "focused"  # a warning is not an error
    assert probe.warning.visible and probe.warning.object.startswith("probe: only")
    assert not probe.message.visible and form.warnings == [probe.warning.object]
    assert form.cards[form.section_of["probe"]].collapsed is False
    assert (
        probe.warning.styles["color"] != probe.message.styles["color"]
    )  # amber, not the error red
    assert not form.warning_banner.visible  # it names its field
    form.fields["methods"].widget.value = ["lsqml"]  # no PINN cells: nothing to warn about
    assert form.warnings == [] and not probe.warning.visible
    form.fields["methods"].widget.value = ["pinn", "lsqml"]
    assert probe.warning.visible
    probe.widget.value = "defocused"
    assert form.warnings == [] and not probe.warning.visible and form.study.probe == "defocused"


def test_errors_still_show_and_keep_the_last_valid_study_and_its_warnings():
    form = StudyForm(Study.preset("quick", probe="focused"))
    assert form.fields["probe"].warning.visible  # shown from the start
    form.fields["doses"].widget.value = "1000, -5"
    assert "positive" in form.fields["doses"].message.object and form.error
    assert form.study.probe == "focused" and form.fields["probe"].warning.visible
    form.load(Study.preset("quick"))
    assert form.error == "" and form.warnings == [] and not form.fields["probe"].warning.visible


def test_a_view_named_twice_is_refused_not_collapsed():
    assert _parse_views("views", "dense=0.7, sparse=0.2") == {"dense": 0.7, "sparse": 0.2}
    with pytest.raises(StudyError, match="views: view 'dense' is named twice"):
        _parse_views("views", "dense=0.7, sparse=0.2, dense = 0.5")
    form = StudyForm(Study.preset("quick"))
    form.fields["views"].widget.value = "dense=0.7, dense=0.2"
    views = form.fields["views"]
    assert views.message.visible and "named twice" in views.message.object and form.error
    assert form.study.views == Study.preset("quick").views  # the last valid study stands
