"""Content checksums of a directory's files, recorded at write time and verified before reading.

A dataset directory (a zarr store) gets a manifest ``fly64-checksums.json`` mapping each
file's path (relative, ``/``-separated) to its size in bytes and BLAKE2b digest; any file
missing, added, resized or changed since is reported by :func:`checksum_problems`.
"""

import hashlib
import json
from pathlib import Path

from fly64.data.atomic import write_json_atomic

MANIFEST = "fly64-checksums.json"


def bytes_digest(data: bytes) -> str:
    """The BLAKE2b digest (32 hex) of ``data``, as :func:`file_digest` computes a file's."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_digest(path: Path) -> str:
    """The BLAKE2b digest (32 hex) of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(directory: Path) -> list[str]:
    return sorted(
        p.relative_to(directory).as_posix()
        for p in directory.rglob("*")
        if p.is_file() and p.name != MANIFEST
    )


def record_checksums(directory: Path) -> None:
    """Write the manifest of every file under ``directory`` (call once it is complete)."""
    directory = Path(directory)
    files = {
        name: {"bytes": (directory / name).stat().st_size, "blake2b": file_digest(directory / name)}
        for name in _files(directory)
    }
    write_json_atomic(directory / MANIFEST, {"files": files})


def checksum_problems(directory: Path) -> list[str]:
    """What differs from the manifest (``"<file> is missing"`` …); empty when intact.

    A directory without a readable manifest yields one problem naming it.
    """
    directory = Path(directory)
    try:
        recorded = json.loads((directory / MANIFEST).read_text())["files"]
    except FileNotFoundError:
        return [f"{MANIFEST} is missing"]
    except (ValueError, KeyError, TypeError):
        return [f"{MANIFEST} is unreadable"]
    present = set(_files(directory))
    problems = [f"{name} is missing" for name in recorded if name not in present]
    problems += [
        f"{name} was not written with the data" for name in sorted(present - set(recorded))
    ]
    for name in sorted(present & set(recorded)):
        path, want = directory / name, recorded[name]
        if path.stat().st_size != want["bytes"] or file_digest(path) != want["blake2b"]:
            problems.append(f"{name} is damaged (its checksum differs)")
    return problems
