"""The one interface of the dashboard's pages, and the store reads several pages share.

Every page is a :class:`Page`. The dashboard's poller calls ``collect(store, jobs)`` in a
worker thread: it reads from disk what the page shows (file reads only, no Panel object
touched) and returns it, or :data:`UNCHANGED` when nothing it shows changed (each page keeps
its own change check). Then ``apply(data)`` shows the collected data on the server loop.
``store`` is None until the store directory exists; ``jobs`` are the store's jobs, read once
per poll for every page.
"""

import enum
import functools
import logging
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from fly64.data import Store, StoreError
from fly64.study import JobStatus, Study, StudyError, change_stamp, read_store_study

log = logging.getLogger(__name__)


class Collected(enum.Enum):
    """What a page's collect says instead of data (one member: nothing to apply)."""

    UNCHANGED = "unchanged"


#: what :meth:`Page.collect` returns when nothing the page shows changed (no apply follows)
UNCHANGED = Collected.UNCHANGED


@runtime_checkable
class Page(Protocol):
    def collect(self, store: Store | None, jobs: list[JobStatus]) -> Any:
        """What the page shows, read from disk (worker thread), or :data:`UNCHANGED`."""

    def apply(self, data: Any) -> None:
        """Show what :meth:`collect` returned (server loop)."""


def open_store(root) -> Store | None:
    """The store at ``root``; None while it does not exist (or is no store)."""
    try:
        return Store.open(root)
    except StoreError:
        return None


@functools.lru_cache(maxsize=4)
def _read_study(root: str, stamp: int) -> Study | None:
    try:
        return read_store_study(Store(Path(root)))
    except StudyError as exc:
        log.warning("cannot read the study of %s: %s", root, exc)
        return None


def store_study(store: Store | None) -> Study | None:
    """The study the store's results were made with (read again only when its file changed);
    None without a store or a study.yaml, or when the file cannot be read (logged)."""
    if store is None:
        return None
    stamp = change_stamp(store.study_path)
    return None if stamp is None else _read_study(str(store.root), stamp)


def data_stamps(store: Store, study: Study | None, views: bool = False) -> tuple:
    """Change stamps of the store's study, the datasets of its doses and (``views``) its cut views:
    a key that changes whenever any of them is written."""
    stamps = [change_stamp(store.study_path)]
    if study is not None:
        stamps += [change_stamp(store.dose_path(d)) for d in study.doses]
        if views:
            stamps += [
                change_stamp(store.view_path(d, v)) for d in study.doses for v in study.views
            ]
    return tuple(stamps)
