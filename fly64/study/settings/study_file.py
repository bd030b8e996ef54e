"""Study files: the settings as YAML or JSON, read with errors that name the file.

:class:`StudyFile` gives :class:`~fly64.study.settings.model.Study` its file methods; it needs the
study's ``to_dict``, ``from_dict``, ``setting_names`` and ``settings_hash``.
"""

import json
import re
from pathlib import Path
from typing import Self

import yaml

from fly64.study.settings.types import StudyError


class _SettingsLoader(yaml.SafeLoader):
    """Safe YAML that reads ``1e3`` and ``1e-3`` as floats (YAML 1.2;
    YAML 1.1 made them strings).
    """


_SettingsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)

#: first line of a study file fly64 wrote whole (:meth:`StudyFile.to_yaml` ``hashed``):
#: the settings' hash
HASH_LINE = re.compile(rb"# fly64 settings ([0-9a-f]{16})\b")


#: settings split off an older one: a file written before the split takes the older value
#: (its hash line, over the older names, is then not checked)
RENAMED = {"baseline_snapshot_every": "snapshot_every"}
#: settings added later: a file written before them takes the value its results were made
#: with (no held-out rule: every epoch run, the last kept; the TV weight of a baseline
#: they did not have; no probe or object file; the default geometry, which changes no result)
ADDED = {
    "baseline_holdout_fraction": 0.0,
    "baseline_stop_patience": 10,
    "baseline_tv_weight": 0.01,
    "probe_file": "",
    "object_file": "",
    "photon_energy_ev": 8000.0,
    "detector_distance_m": 2.0,
    "detector_pixel_size_m": 75e-6,
}


def parse_settings(data: bytes, path: str | Path, fmt: str | None = None) -> dict:
    """The settings mapping in ``data``, the bytes of the study file ``path``.

    ``fmt`` is ``"json"`` or ``"yaml"``; by default JSON for a ``.json`` path, else YAML.
    Raises :class:`StudyError` naming ``path`` when ``data`` is empty, not UTF-8, not valid
    YAML/JSON, or holds something other than a mapping.
    """
    if not data.strip():
        raise StudyError(
            f"study file {path} is empty; write the settings in it (e.g. `preset: quick`)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StudyError(
            f"study file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from exc
    fmt = fmt or ("json" if Path(path).suffix == ".json" else "yaml")
    try:
        settings = json.loads(text) if fmt == "json" else yaml.load(text, Loader=_SettingsLoader)
    except ValueError as exc:
        raise StudyError(f"study file {path} is not valid JSON: {exc}") from exc
    except yaml.YAMLError as exc:
        raise StudyError(f"study file {path} is not valid YAML ({_yaml_problem(exc)})") from exc
    if not isinstance(settings, dict):
        raise StudyError(
            f"study file {path} must hold a mapping of settings, not a {type(settings).__name__}"
        )
    return settings


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error on one line: where and what."""
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None) or str(exc)
    return (
        f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
        if mark
        else problem.replace("\n", " ")
    )


class StudyFile:
    """Writing a study as YAML or JSON, and reading one back validated."""

    def to_yaml(self, *, hashed: bool = False) -> str:
        """Every setting as YAML; ``hashed``: under a first line recording their hash
        (:data:`HASH_LINE`), so that :meth:`load` with ``whole`` can tell a file cut short."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=True)
        if not hashed:
            return text
        return (
            f"# fly64 settings {self.settings_hash()}: the settings of this store's results "
            "(to change them, pass a copy with --config)\n" + text
        )

    @classmethod
    def from_yaml(cls, text: str, path: str | Path = "<text>") -> Self:
        """The validated study in YAML ``text`` (``1e3`` reads as a float);
        see :meth:`from_bytes`.
        """
        return cls.from_bytes(text.encode(), path, fmt="yaml")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    @classmethod
    def from_json(cls, text: str, path: str | Path = "<text>") -> Self:
        """The validated study in JSON ``text``; see :meth:`from_bytes`."""
        return cls.from_bytes(text.encode(), path, fmt="json")

    @classmethod
    def from_bytes(
        cls, data: bytes, path: str | Path, *, fmt: str | None = None, whole: bool = False
    ) -> Self:
        """The validated study in ``data``, the contents of the study file ``path``.

        Parameters
        ----------
        data : bytes
            The file's contents (see :func:`parse_settings`; ``fmt`` as there).
        path : str or Path
            The file, named in every error.
        whole : bool
            The file was written whole by fly64 (a store's study.yaml): every setting must be
            in it, and when its first line records their hash, the settings must have it;
            otherwise it was cut short or edited.

        Raises
        ------
        StudyError
            Naming ``path``: an empty, non-UTF-8, unparsable, invalid or (``whole``) incomplete
            file.
        """
        settings = parse_settings(data, path, fmt)
        upgraded = {
            new: settings[old]
            for new, old in RENAMED.items()
            if new not in settings and old in settings
        }
        if whole:
            upgraded |= {name: value for name, value in ADDED.items() if name not in settings}
        settings = {**settings, **upgraded}
        missing = sorted(set(cls.setting_names()) - set(settings)) if whole else []
        if missing:
            raise StudyError(f"study file {path} is incomplete (cut short?): it lacks {missing}")
        try:
            study = cls.from_dict(settings)
        except StudyError as exc:
            raise StudyError(f"{path}: {exc}") from exc
        recorded = HASH_LINE.match(data) if whole and not upgraded else None
        if recorded and recorded[1].decode() != study.settings_hash():
            raise StudyError(
                f"study file {path} holds settings of hash {study.settings_hash()}, but "
                f"was written with {recorded[1].decode()} (cut short or edited?)"
            )
        return study

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json() if path.suffix == ".json" else self.to_yaml())
        return path

    @classmethod
    def load(cls, path: str | Path, *, whole: bool = False) -> Self:
        """The validated study of a settings file (``.json``: JSON, else YAML); see
        :meth:`from_bytes`.

        Raises :class:`StudyError` naming the file when it is missing or unreadable too.
        """
        path = Path(path)
        try:
            data = path.read_bytes()  # once: the file may be replaced between two reads
        except FileNotFoundError:
            raise StudyError(f"study file {path} does not exist") from None
        except OSError as exc:
            raise StudyError(f"cannot read study file {path} ({exc.strerror or exc})") from exc
        return cls.from_bytes(data, path, whole=whole)
