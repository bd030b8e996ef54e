"""Parameter types of study settings that check their values, and the error they raise."""

import math

import param

#: the highest dose (photons per pattern): counts are int32, and every photon may fall in one pixel
MAX_DOSE = 1e9
#: seeds must fit the unsigned 32-bit range every generator the study feeds accepts
SEED_BOUNDS = (0, 2**32 - 1)


class StudyError(ValueError):
    """Invalid study settings; the message names the field and what is allowed."""


class Doses(param.List):
    """A non-empty list of doses (photons per pattern) in (0, :data:`MAX_DOSE`]."""

    def _validate(self, val):
        super()._validate(val)
        if val is None:
            return
        if not val:
            raise StudyError(f"{self.name}: needs at least one dose (photons per pattern > 0)")
        for d in val:
            if isinstance(d, bool) or not isinstance(d, (int, float)) or not (0 < d < math.inf):
                raise StudyError(
                    f"{self.name}: every dose must be a positive number of photons, got {d!r}"
                )
            if d > MAX_DOSE:
                raise StudyError(
                    f"{self.name}: {d:g} photons per pattern is beyond the physical range "
                    f"(0, {MAX_DOSE:g}] (counts are stored as int32)"
                )


class Views(param.Dict):
    """Named overlap views: {name: target overlap fraction f in [0, 1)}."""

    def _validate(self, val):
        super()._validate(val)
        if val is None:
            return
        if not val:
            raise StudyError(f"{self.name}: needs at least one view, e.g. {{'dense': 0.7}}")
        for name, f in val.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise StudyError(f"{self.name}: view name {name!r} must be a plain word")
            if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 <= f < 1:
                raise StudyError(
                    f"{self.name}: overlap fraction of view {name!r} must lie in [0, 1), got {f!r}"
                )


class Choices(param.List):
    """A non-empty list drawn from a fixed set of allowed values, without repeats."""

    __slots__ = ["allowed"]

    def __init__(self, default=None, *, allowed=(), **params):
        self.allowed = tuple(allowed)
        super().__init__(default=default, **params)

    def _validate(self, val):
        super()._validate(val)
        if val is None:
            return
        if not val:
            raise StudyError(f"{self.name}: choose at least one of {list(self.allowed)}")
        bad = [v for v in val if v not in self.allowed]
        if bad:
            raise StudyError(f"{self.name}: {bad} not allowed; choose from {list(self.allowed)}")
        if len(set(val)) != len(val):
            raise StudyError(f"{self.name}: {list(val)} repeats a value")
