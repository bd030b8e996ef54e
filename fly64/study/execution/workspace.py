"""A store bound to one study: refuses to mix results of different settings unless forced.

The store's ``study.yaml`` is written whole with its settings hash and read with
:meth:`~fly64.study.settings.model.Study.load` (``whole``): an empty, non-UTF-8, unparsable,
incomplete or changed file is a :class:`~fly64.study.settings.model.StudyError` naming it, never
a silent default.
"""

import shutil
import time
from pathlib import Path

from fly64.data.atomic import write_bytes_atomic
from fly64.data.store import JOB, Store
from fly64.study.pipeline.simulate import make_scene
from fly64.study.records.jobs import JobFileError, read_json
from fly64.study.settings.model import Study, StudyError
from fly64.study.settings.stages import STAGES, stage_of_kind

#: what to do about a damaged study.yaml of a store
DAMAGED_STUDY = (
    "the store's settings file is damaged: restore it (archive/*/study.yaml holds earlier "
    "settings), or pass --preset or --config with --force to archive the store's results"
)


def read_store_study(store: Store) -> Study:
    """The study ``store``'s results were made with; :class:`StudyError` when study.yaml is damaged.

    The store's file holds every setting under a first line with their hash (see
    :func:`save_store_study`): a missing setting, or settings of another hash, mean the file
    was cut short or changed. (A file written before the hash line only needs every setting.)
    """
    try:
        return Study.load(store.study_path, whole=True)
    except StudyError as exc:
        raise StudyError(f"{exc}; {DAMAGED_STUDY}") from exc


def save_store_study(store: Store, study: Study) -> None:
    """Write every setting of ``study``, under a line with their hash, to the store's study.yaml:
    atomically, and only when it changed."""
    text = study.to_yaml(hashed=True).encode()
    try:
        unchanged = store.study_path.read_bytes() == text
    except FileNotFoundError:
        unchanged = False
    if not unchanged:
        write_bytes_atomic(store.study_path, text)


def check_inputs(study: Study) -> None:
    """Read every input the study's settings name (object NPZ, probe) and build its scene.

    Raises the input's own error (:class:`~fly64.data.npz.NPZContractError`,
    :class:`StudyError`) naming the bad file or field.
    """
    make_scene(study)


def changed_stages(recorded: Study, study: Study) -> list[str]:
    """The stages whose results ``study`` cannot reuse from ``recorded`` (settings hash differs).

    Grid axes (doses, view names, methods, repeats) are in no stage hash: extending or
    narrowing a grid changes nothing here.
    """
    return [s for s in STAGES if recorded.settings_hash(s) != study.settings_hash(s)]


def _job_kind(job_dir: Path) -> str | None:
    """A job directory's kind; None when its job.json is missing or damaged."""
    try:
        return (read_json(job_dir / JOB) or {}).get("kind")
    except JobFileError:
        return None


def archive_results(store: Store, stages: list[str]) -> Path:
    """Move the results of ``stages`` (folders and job directories) to ``archive/<timestamp>/``.

    The archive also gets a copy of the store's study.yaml (as it is); job directories
    whose kind cannot be read go too; nothing is deleted.
    """
    archive = store.archive_dir / time.strftime("%Y%m%d-%H%M%S")
    archive.mkdir(parents=True)
    shutil.copy2(store.study_path, archive / store.study_path.name)
    archived = [STAGES[name] for name in stages]
    for stage in archived:
        for folder in stage.folders:
            if (store.root / folder).exists():
                shutil.move(str(store.root / folder), str(archive / folder))
    if store.jobs_dir.is_dir():
        for job_dir in sorted(p for p in store.jobs_dir.iterdir() if p.is_dir()):
            kind = _job_kind(job_dir)
            if kind is None or stage_of_kind(kind) in archived:
                (archive / "jobs").mkdir(exist_ok=True)
                shutil.move(str(job_dir), str(archive / "jobs" / job_dir.name))
    return archive


def archive_paths(store: Store, paths: list[Path], label: str) -> Path:
    """Move ``paths`` (files or folders of the store: job directories, dose datasets, views) to
    ``archive/<timestamp>-<label>/``, each under its path in the store (nothing deleted)."""
    archive = store.archive_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{label}"
    for path in paths:
        target = archive / Path(path).relative_to(store.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(target))
    return archive


def prepare_store(root: str | Path, study: Study, *, force: bool = False) -> Store:
    """Open (or create) the store at ``root`` for ``study``.

    When results in the store were made with other settings (a stage's settings hash
    differs), refuse with a message naming the changed settings, unless ``force``: then the
    results of the changed stages and of every stage after them move to
    ``archive/<timestamp>/`` (never deleted); results the new settings can reuse stay.
    Before anything moves, every input the new settings name is read (:func:`check_inputs`).
    A damaged study.yaml is refused, unless ``force``: then every result is archived.
    """
    study.validate()
    store = Store.create(root)
    if store.study_path.exists():
        try:
            recorded = read_store_study(store)
        except StudyError:
            if not force:
                raise
            recorded = None
        stages = list(STAGES) if recorded is None else changed_stages(recorded, study)
        if stages:
            if not force:
                changed = sorted(
                    k for k, v in study.to_dict().items() if recorded.to_dict().get(k) != v
                )
                raise StudyError(
                    f"store {store.root} holds results of other settings (hash "
                    f"{recorded.settings_hash()}, this study {study.settings_hash()}; changed: "
                    f"{changed}, affecting {stages}); use another --store, or --force to archive "
                    "the results those settings change"
                )
            check_inputs(study)
            archive_results(store, stages)
    save_store_study(store, study)
    return store


def load_store_study(root: str | Path) -> tuple[Store, Study]:
    """Open an existing store and the study it was made with (see :func:`read_store_study`)."""
    store = Store.open(root)
    if not store.study_path.exists():
        raise StudyError(f"store {store.root} has no study.yaml: run `fly64 simulate` first")
    return store, read_store_study(store)
