"""Whether a process still runs: its identity (pid, host, start time from ``/proc``) and liveness.

A job's status records the identity of the process that writes it (and of its submitter);
readers (:mod:`fly64.study.records.registry`) test it to tell a live job from a lost one.
"""

import os
import socket
from pathlib import Path


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks since boot) from /proc, None when absent."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return fields[0], int(fields[19])


def process_identity(pid: int | None = None) -> dict:
    """``{"pid", "host", "pid_start"}`` of a process (default: this one), to test liveness later."""
    pid = pid or os.getpid()
    stat = _proc_stat(pid)
    return {"pid": pid, "host": socket.gethostname(), "pid_start": stat[1] if stat else None}


def process_alive(identity: dict) -> bool | None:
    """Whether the process of :func:`process_identity` still runs; None when on another host.

    A zombie, or a new process that reused the pid, counts as gone.
    """
    pid = identity.get("pid")
    if not pid:
        return False
    if identity.get("host") != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    stat = _proc_stat(pid)
    if stat is None:
        return not Path("/proc/self/stat").exists()
    state, start = stat
    started = identity.get("pid_start")
    return state not in "ZX" and (started is None or started == start)
