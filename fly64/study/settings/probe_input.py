"""The study's probe, made (or read from an input file) once per distinct setting, and the key
that names an input file's version.

:func:`cached_probe` returns a read-only complex (N, N) probe (built-in probes and probe files
scaled to Σ|P|² = 1); :func:`file_key` keys a cache by the file's (path, mtime, bytes), so a
rewritten file is read afresh. :meth:`fly64.study.settings.model.Study.make_probe` uses both.
"""

from functools import lru_cache
from pathlib import Path

import numpy as np

from fly64.data.hdf5_inputs import load_probe_file
from fly64.data.npz import load_npz
from fly64.physics import make_probe
from fly64.study.settings.types import StudyError


def file_key(field: str, value: str) -> tuple | None:
    """(path, mtime, bytes) of the input file a setting names (None when empty): what a cache
    of its contents is keyed by. A missing file is a :class:`StudyError` naming ``field``."""
    if not value:
        return None
    path = Path(value)
    if path.is_dir():
        raise StudyError(f"{field}: {path} is a directory; name a file in it")
    if not path.is_file():
        raise StudyError(f"{field}: {path} does not exist")
    return (str(path), path.stat().st_mtime_ns, path.stat().st_size)


@lru_cache(maxsize=32)
def cached_probe(
    size: int, kind: str, radius, defocus, npz: tuple | None, probe_file: tuple | None
) -> np.ndarray:
    """The study's probe, made (or read) once per distinct setting; ``npz`` and ``probe_file``
    as :func:`file_key` gives them.
    """
    if probe_file:
        probe = load_probe_file(probe_file[0], size)
    elif npz:
        probe = load_npz(npz[0])["probe"]
    else:
        probe = make_probe(size, kind, pupil_radius=radius, defocus=defocus)
    probe.setflags(write=False)
    return probe
