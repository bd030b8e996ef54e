"""A store bound to one study: refuses to mix results of different settings unless forced."""

import shutil
import time
from pathlib import Path

from fly64.data.store import Store
from fly64.study.jobs import JOB, read_json
from fly64.study.model import PHASES, Study, StudyError

#: the store folders holding each phase's results (job directories are matched by kind)
PHASE_FOLDERS = {"simulate": ("doses",), "overlap": ("views",), "evaluate": ("results",)}
#: the phase whose settings hash a job of each kind carries
JOB_PHASE = {"simulate": "simulate", "overlap": "overlap", "train": "train",
             "reconstruct": "reconstruct", "compare": "evaluate"}


def changed_phases(recorded: Study, study: Study) -> list[str]:
    """The phases whose results ``study`` cannot reuse from ``recorded`` (settings hash differs).

    Grid axes (doses, view names, methods, repeats) are in no phase hash: extending or
    narrowing a grid changes nothing here.
    """
    return [phase for phase in PHASES if recorded.settings_hash(phase) != study.settings_hash(phase)]


def archive_results(store: Store, recorded: Study, phases: list[str]) -> Path:
    """Move the results of ``phases`` (folders and job directories) to ``archive/<timestamp>/``.

    The archive also gets the recorded study's settings; nothing is deleted.
    """
    archive = store.archive_dir / time.strftime("%Y%m%d-%H%M%S")
    archive.mkdir(parents=True)
    recorded.save(archive / store.study_path.name)
    for phase in phases:
        for folder in PHASE_FOLDERS.get(phase, ()):
            if (store.root / folder).exists():
                shutil.move(str(store.root / folder), str(archive / folder))
    if store.jobs_dir.is_dir():
        for job_dir in sorted(p for p in store.jobs_dir.iterdir() if p.is_dir()):
            kind = (read_json(job_dir / JOB) or {}).get("kind")
            if JOB_PHASE.get(kind) in phases:
                (archive / "jobs").mkdir(exist_ok=True)
                shutil.move(str(job_dir), str(archive / "jobs" / job_dir.name))
    return archive


def prepare_store(root: str | Path, study: Study, *, force: bool = False) -> Store:
    """Open (or create) the store at ``root`` for ``study``.

    When results in the store were made with other settings (a phase's settings hash
    differs), refuse with a message naming the changed settings, unless ``force``: then the
    results of the changed phases and of every phase after them move to
    ``archive/<timestamp>/`` (never deleted); results the new settings can reuse stay.
    """
    study.validate()
    store = Store.create(root)
    if store.study_path.exists():
        recorded = Study.load(store.study_path)
        phases = changed_phases(recorded, study)
        if phases:
            if not force:
                changed = sorted(
                    k for k, v in study.to_dict().items() if recorded.to_dict().get(k) != v
                )
                raise StudyError(
                    f"store {store.root} holds results of other settings (hash "
                    f"{recorded.settings_hash()}, this study {study.settings_hash()}; changed: "
                    f"{changed}, affecting {phases}); use another --store, or --force to archive "
                    "the results those settings change"
                )
            archive_results(store, recorded, phases)
    study.save(store.study_path)
    return store


def load_store_study(root: str | Path) -> tuple[Store, Study]:
    """Open an existing store and the study it was made with."""
    store = Store.open(root)
    if not store.study_path.exists():
        raise StudyError(f"store {store.root} has no study.yaml: run `fly64 simulate` first")
    return store, Study.load(store.study_path)
