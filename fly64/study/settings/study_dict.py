"""The study as a mapping of settings: their names, a JSON-ready dict and back (validated,
unknown keys refused), the presets, and the settings' content hash (16 hex) per stage.

:class:`StudyDict` gives :class:`~fly64.study.settings.model.Study` these methods (its files
are :class:`~fly64.study.settings.study_file.StudyFile`'s); it needs the study's params,
``validate`` and ``base_step``.
"""

import hashlib
import json
from typing import Self

from fly64.study.settings.presets import PRESETS
from fly64.study.settings.stages import HASHED_WHEN_SET, STAGES, hashed_settings
from fly64.study.settings.types import StudyError


class StudyDict:
    """A study's settings by name, as a dict and as a hash."""

    @classmethod
    def setting_names(cls) -> list[str]:
        return [name for name in cls.param if name != "name"]

    def to_dict(self) -> dict:
        """Every setting, JSON-ready (lists and dicts copied)."""
        return {k: json.loads(json.dumps(getattr(self, k))) for k in self.setting_names()}

    @classmethod
    def from_dict(cls, settings: dict) -> Self:
        """A validated study from a mapping; unknown keys are an error
        (typos never pass silently).
        """
        if not isinstance(settings, dict):
            raise StudyError(f"study settings must be a mapping, got {type(settings).__name__}")
        unknown = sorted(set(settings) - set(cls.setting_names()) - {"preset"})
        if unknown:
            raise StudyError(f"unknown settings {unknown}; known: {cls.setting_names()}")
        if settings.get("preset", "standard") not in PRESETS:
            raise StudyError(
                f"preset: unknown preset {settings['preset']!r}; choose from {sorted(PRESETS)}"
            )
        base = dict(PRESETS[settings["preset"]]) if "preset" in settings else {}
        base.update({k: v for k, v in settings.items() if k != "preset"})
        try:
            study = cls(**base)
        except StudyError:
            raise
        except ValueError as exc:  # param's own bound/type messages name the field
            raise StudyError(str(exc)) from exc
        return study.validate()

    @classmethod
    def preset(cls, name: str, **overrides) -> Self:
        """One of :data:`PRESETS` (``quick``, ``standard``, ``paper``, ``seed``), with optional
        overrides."""
        if name not in PRESETS:
            raise StudyError(f"preset: unknown preset {name!r}; choose from {sorted(PRESETS)}")
        return cls.from_dict({**PRESETS[name], **overrides})

    def settings_hash(self, stage: str | None = None) -> str:
        """Stable content hash (16 hex) of all settings, or of those a stage's results depend on.

        The grid axes (doses, view names, methods, repeats) are in no stage's hash: a cell's
        identity carries them, so extending a grid keeps the results already made. A stage
        hash takes the raster pitch actually simulated (:attr:`base_step`) for ``scan_step``:
        left empty, it follows the views, and views that move it move the simulation too.
        The geometry (:data:`~fly64.study.settings.stages.UNHASHED`) is in no stage hash, and an
        empty ``probe_file`` / ``object_file`` in no hash, so stores made before them keep theirs.
        """
        if stage is None:
            names = self.setting_names()
        elif stage in STAGES:
            names = hashed_settings(stage)
        else:
            raise StudyError(f"unknown stage {stage!r}; choose from {list(STAGES)}")
        values = {
            n: getattr(self, n)
            for n in names
            if not (n in HASHED_WHEN_SET and not getattr(self, n))
        }
        if stage is not None and "scan_step" in values:
            # the raster simulated: an empty scan_step follows the densest view's spacing
            values["scan_step"] = self.base_step
        payload = json.dumps(values, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
