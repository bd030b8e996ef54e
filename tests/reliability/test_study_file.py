"""The store's study.yaml: written atomically and only when it changes; a damaged one is named,
never read as the ``standard`` defaults."""

import threading

import pytest

from fly64.data.store import Store
from fly64.study.cli.main import main
from fly64.study.execution.workspace import prepare_store, read_store_study, save_store_study
from fly64.study.settings.model import StudyError
from tests.reliability.tinystore import STUDY
from tests.study.jobkinds import tiny_study

OTHER = tiny_study(views={"dense": 0.7}, simulation_seed=7)


def test_study_file_is_rewritten_only_when_it_changes(tmp_path):
    store = prepare_store(tmp_path / "s", STUDY)
    before = store.study_path.stat()
    prepare_store(tmp_path / "s", STUDY)
    after = store.study_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_readers_never_see_a_half_written_study_file(tmp_path):
    store = Store.create(tmp_path / "s")
    save_store_study(store, STUDY)
    stop, seen, errors = threading.Event(), set(), []

    def write():
        for i in range(150):
            save_store_study(store, (STUDY, OTHER)[i % 2])
        stop.set()

    writer = threading.Thread(target=write)
    writer.start()
    while not stop.is_set():
        try:
            seen.add(read_store_study(store).simulation_seed)
        except StudyError as exc:
            errors.append(str(exc))
    writer.join()
    assert not errors and seen <= {STUDY.simulation_seed, OTHER.simulation_seed}


DAMAGE = {
    "empty": lambda text: b"",
    "cut short": lambda text: text[: len(text) // 2],
    "last value cut": lambda text: text.rstrip()[:-1],
    "not UTF-8": lambda text: (
        text.replace(b"quick", b"\xff\xfe") if b"quick" in text else b"\xff" + text
    ),
}


@pytest.mark.parametrize("name", DAMAGE)
def test_damaged_study_file_is_named_and_nothing_is_redone(store, name, capsys):
    path = store / "study.yaml"
    path.write_bytes(DAMAGE[name](path.read_bytes()))
    dataset = store / "doses/dose-1e3.zarr/zarr.json"
    stamp = dataset.stat().st_mtime_ns
    for argv in (["status"], ["simulate"], ["run"]):
        assert main([*argv, "--store", str(store)]) == 2
        err = capsys.readouterr().err
        assert "study.yaml" in err and "damaged" in err and "Traceback" not in err
    assert dataset.stat().st_mtime_ns == stamp  # not re-simulated with the standard defaults


def test_force_with_a_damaged_study_file_archives_everything(store):
    (store / "study.yaml").write_bytes(b"")
    prepare_store(store, STUDY, force=True)
    archived = next((store / "archive").iterdir())
    assert (archived / "doses").is_dir() and (archived / "jobs").is_dir()
    assert (archived / "study.yaml").read_bytes() == b""
    assert read_store_study(Store.open(store)).settings_hash() == STUDY.settings_hash()
