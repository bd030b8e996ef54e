"""``Study.load`` and ``Study.from_yaml`` (what the app reads study files with): an empty,
non-UTF-8 or cut-short file is a named error, never the ``standard`` defaults."""

from pathlib import Path

import pytest

from fly64.study.settings.model import Study, StudyError

QUICK = Study.preset("quick", doses=[1e3])


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b"preset: quick\nobject_kind: \xff\xfe\n", "not UTF-8"),
        (b"preset: quick\ndoses: [1e3, 1e4\n", "not valid YAML"),
        (b"- 1e3\n", "must hold a mapping"),
    ],
)
def test_damaged_file_is_named_by_load(tmp_path, data, problem):
    path = tmp_path / "study.yaml"
    path.write_bytes(data)
    with pytest.raises(StudyError, match=problem) as caught:
        Study.load(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_yaml_text_is_not_the_standard_study(text):
    with pytest.raises(StudyError, match="empty|mapping"):
        Study.from_yaml(text)


def test_from_yaml_reads_exponents_as_numbers():
    study = Study.from_yaml("preset: quick\ndoses: [1e3, 1e4, 1e5]\nlearning_rate: 1e-3\n")
    assert study.doses == [1e3, 1e4, 1e5] and study.learning_rate == 1e-3


@pytest.mark.parametrize("cut", ["at a line", "inside a value"])
def test_a_whole_file_cut_short_is_named(tmp_path, cut):
    text = QUICK.to_yaml(hashed=True)
    lines = text.splitlines(keepends=True)
    short = "".join(lines[: len(lines) // 2]) if cut == "at a line" else text.rstrip()[:-1]
    path = tmp_path / "study.yaml"
    path.write_text(short)
    with pytest.raises(StudyError, match="cut short") as caught:
        Study.load(path, whole=True)
    assert str(path) in str(caught.value)
    path.write_text(text)
    assert Study.load(path, whole=True).settings_hash() == QUICK.settings_hash()


def test_an_edited_copy_of_a_store_file_is_a_valid_config(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text(QUICK.to_yaml(hashed=True).replace("epochs: 12", "epochs: 13"))
    assert Study.load(path).epochs == 13
    with pytest.raises(StudyError, match="edited"):
        Study.load(path, whole=True)


def test_the_readme_config_example_reads_its_exponents_as_numbers():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    study = Study.from_yaml(example, "README.md")
    assert study.doses == [1e3, 1e4, 1e5] and study.learning_rate == 1e-3 and study.epochs == 12
