"""A store bound to one study: refuses to mix results of different settings unless forced."""

import shutil
import time
from pathlib import Path

from fly64.data.store import Store
from fly64.study.model import Study, StudyError

#: the parts of a store that hold results of a particular study
RESULT_PARTS = ("study.yaml", "doses", "views", "jobs", "results")


def prepare_store(root: str | Path, study: Study, *, force: bool = False) -> Store:
    """Open (or create) the store at ``root`` for ``study``.

    When the store's recorded study has a different settings hash, refuse with a message
    naming both hashes, unless ``force``: then the old results move to
    ``archive/<timestamp>/`` (never deleted) and the store starts afresh.
    """
    study.validate()
    store = Store.create(root)
    if store.study_path.exists():
        recorded = Study.load(store.study_path)
        if recorded.settings_hash() != study.settings_hash():
            if not force:
                changed = sorted(
                    k for k, v in study.to_dict().items() if recorded.to_dict().get(k) != v
                )
                raise StudyError(
                    f"store {store.root} holds results of other settings (hash "
                    f"{recorded.settings_hash()}, this study {study.settings_hash()}; changed: "
                    f"{changed}); use another --store, or --force to archive the old results"
                )
            archive = store.archive_dir / time.strftime("%Y%m%d-%H%M%S")
            archive.mkdir(parents=True)
            for part in RESULT_PARTS:
                if (store.root / part).exists():
                    shutil.move(str(store.root / part), str(archive / part))
    study.save(store.study_path)
    return store


def load_store_study(root: str | Path) -> tuple[Store, Study]:
    """Open an existing store and the study it was made with."""
    store = Store.open(root)
    if not store.study_path.exists():
        raise StudyError(f"store {store.root} has no study.yaml: run `fly64 simulate` first")
    return store, Study.load(store.study_path)
