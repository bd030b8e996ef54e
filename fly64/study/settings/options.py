"""Study settings owned by a stage's options: defined there, composed into the study here.

Each stage's options dataclass — the PINN's :class:`~fly64.models.TrainOptions`, the
baseline's :class:`~fly64.baseline.SolverSettings` — holds the default and the doc
(``metadata["doc"]``) of each of its fields. :class:`~fly64.study.settings.model.Study` declares a
field for each one a user may set with :func:`option_param`, which copies that default and
doc and records the source; :func:`options_from` reads a study back into the options. No
default or mapping is written twice.
"""

from dataclasses import MISSING, fields
from typing import TypeVar

import param

Options = TypeVar("Options")

#: the parameter type of a study field, by the Python type of its option field
KINDS = {bool: param.Boolean, int: param.Integer, float: param.Number}


def option_param(options: type, name: str, **kwargs) -> param.Parameter:
    """A study parameter for field ``name`` of the dataclass ``options``.

    Its default and doc are the field's; ``kwargs`` (e.g. ``bounds``) are passed on to the
    parameter type, picked from the field's type (bool, int or float). The parameter's
    ``metadata`` records ``(options, name)`` for :func:`options_from`.
    """
    by_name = {f.name: f for f in fields(options)}
    if name not in by_name or by_name[name].default is MISSING:
        raise TypeError(f"{options.__name__} has no field {name!r} with a default")
    field = by_name[name]
    return KINDS[field.type](
        field.default, doc=field.metadata["doc"], metadata={"option": (options, name)}, **kwargs
    )


def composed(parameterized: type[param.Parameterized], options: type) -> dict[str, str]:
    """``{study field: option field}`` of the fields ``parameterized`` composes from ``options``."""
    out = {}
    for name, p in parameterized.param.objects().items():
        source, field = (p.metadata or {}).get("option", (None, None))
        if source is options:
            out[name] = field
    return out


def options_from(study: param.Parameterized, options: type[Options], **given) -> Options:
    """``options`` with the study's values of the fields it composes, ``given`` the rest
    (e.g. the cell's seed); fields in neither keep their defaults."""
    values = {field: getattr(study, name) for name, field in composed(type(study), options).items()}
    clash = sorted(set(values) & set(given))
    if clash:
        raise TypeError(f"{clash} are study settings of {options.__name__}; do not pass them")
    return options(**values, **given)
