"""The ``dask`` executor: each job a task of a ``distributed`` cluster.

The task launches the same job process as the local executor and supervises it
(:class:`~fly64.study.execution.executors.base.Supervised`), so cancel and hard kill work the
same way. A remote cluster must see the store at the same path.
"""

import contextlib
import os
import time
import uuid

from fly64.data.store import JOB, Store
from fly64.study.execution.executors.base import READY, Executor, Supervised, gate, settle_unstarted
from fly64.study.records.jobs import JobSpec, JobState, read_json, write_final_status
from fly64.study.records.registry import Registry


def run_dask_task(store_root: str, job_id: str, kill_after: float, *upstream) -> JobState:
    """Dask task: wait for the job's upstream, run its process, supervise it; its final state.

    ``upstream`` are the results of the upstream jobs' tasks: passing them only orders the
    graph (an upstream job owned by another submitter is waited for by polling).
    """
    store = Store.open(store_root)
    registry = Registry(store)
    spec = JobSpec.from_dict(read_json(store.job_dir(job_id) / JOB))
    while not settle_unstarted(registry, spec):
        if gate(registry, spec)[0] == READY:
            job = Supervised(store, job_id)
            while not job.poll(kill_after):
                time.sleep(0.2)
            break
        time.sleep(0.5)
    return registry.get(job_id).state


class DaskExecutor(Executor):
    """Jobs as tasks of a ``distributed`` cluster.

    address : scheduler address (``tcp://host:8786``); None starts a ``LocalCluster`` of
        ``workers`` single-threaded processes on 127.0.0.1 (dashboard on a free port).
    GPU jobs ask for the ``GPU`` resource when the cluster's workers declare one.
    """

    name = "dask"

    def __init__(
        self,
        store: Store,
        address: str | None = None,
        workers: int | None = None,
        kill_after: float = 10.0,
    ):
        from distributed import Client, LocalCluster

        super().__init__(store, kill_after)
        self._cluster = None
        if address:
            self.client = Client(address, timeout="20s")
        else:
            self._cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=":0",
            )
            self.client = Client(self._cluster)
        workers_info = self.client.scheduler_info()["workers"].values()
        self._gpu_resource = any("GPU" in w.get("resources", {}) for w in workers_info)
        self._futures: dict = {}

    @property
    def address(self) -> str:
        return self.client.scheduler.address

    def submit(self, spec: JobSpec) -> None:
        upstream = [self._futures[d] for d in (*spec.needs, *spec.after) if d in self._futures]
        self._futures[spec.job_id] = self.client.submit(
            run_dask_task,
            str(self.store.root),
            spec.job_id,
            self.kill_after,
            *upstream,
            key=f"{spec.job_id}-{uuid.uuid4().hex[:8]}",
            pure=False,
            resources={"GPU": 1} if spec.gpu and self._gpu_resource else None,
        )

    def close(self) -> None:
        from distributed import wait

        ending = []
        for job_id, future in self._futures.items():
            status = self.registry.get(job_id)
            if status is not None and status.state == JobState.QUEUED and not future.done():
                write_final_status(
                    self.store.job_dir(job_id),
                    JobState.CANCELLED,
                    "executor closed before it started",
                )
            elif status is not None and status.terminal:
                ending.append(future)  # its task is returning: let it, so workers close quietly
        with contextlib.suppress(TimeoutError):
            wait(ending, timeout=10)
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()
