"""Executors: where prepared jobs run, behind one interface (:class:`Executor`).

``local`` (:class:`LocalExecutor`, default) launches each job as a detached process of this
machine. ``dask`` (:mod:`fly64.study.execution.executors.dask_cluster`) hands each job to a
``distributed`` cluster (a scheduler address, or a ``LocalCluster`` of processes on
loopback); the dask task launches the same job process and supervises it, so cancel and hard
kill work the same way. A remote cluster must see the store at the same path.
"""

from fly64.data.store import Store
from fly64.study.execution.executors.base import Executor
from fly64.study.execution.executors.local import LocalExecutor

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "make_executor"]

EXECUTORS = ("local", "dask")


def make_executor(
    name: str,
    store: Store,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    kill_after: float = 10.0,
) -> Executor:
    """An executor by name: ``local`` (default) or ``dask``."""
    if name == "local":
        if scheduler:
            raise ValueError("--scheduler applies to the dask executor only")
        return LocalExecutor(store, workers=workers, kill_after=kill_after)
    if name == "dask":
        from fly64.study.execution.executors.dask_cluster import DaskExecutor  # imports distributed

        return DaskExecutor(store, address=scheduler, workers=workers, kill_after=kill_after)
    raise ValueError(f"unknown executor {name!r}; choose from {list(EXECUTORS)}")
