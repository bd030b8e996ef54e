"""Atomic writes: a reader sees the old file or the complete new one, never a half-written one."""

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process's file mode creation mask, read without changing it (threads share it)."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1], 8) for line in fh if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        mask = os.umask(0o022)  # no /proc: read it by setting it back at once
        os.umask(mask)
        return mask


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, fsync it, then rename over ``path``.

    The file gets the mode an ordinary write would (0o666 less the umask), not the temporary
    file's 0o600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json_atomic(path: Path, obj) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    write_bytes_atomic(
        path, (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode()
    )


@contextlib.contextmanager
def atomic_dir(path: Path):
    """Yield a temporary directory that replaces ``path`` only if the block completes.

    An interrupted block leaves ``path`` as it was (absent or the previous version); a
    previous version is removed only after the new one is complete.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        tmp.chmod(0o777 & ~_umask())  # an ordinary directory's mode, not mkdtemp's 0o700
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if path.exists():
        old = path.with_name(f".{path.name}.old-{os.getpid()}")
        os.replace(path, old)
    os.replace(tmp, path)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
