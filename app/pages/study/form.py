"""Study settings as widgets generated from the :class:`fly64.study.Study` param model.

Every change re-validates the whole draft with the model itself; the model's message is
shown under the widget of the field it names (or above the form when it names none), and
:attr:`StudyForm.study` keeps the last valid study. A valid study's :meth:`Study.warnings`
(set-ups that run but break a method's assumption) are shown the same way in amber; they
do not make the study invalid.
"""

import re

import panel as pn
import param

from fly64.study import PRESETS, STAGES, Choices, Doses, Study, StudyError, Views

AXES = "Grid axes"
AXIS_FIELDS = ("doses", "views", "methods", "gridsizes", "repeats")
#: the form's section of each stage's settings, in pipeline order (stages with settings of
#: their own: the refinement has none)
SECTIONS = {name: stage.title for name, stage in STAGES.items() if stage.settings}
ERROR_STYLE = {"color": "#b00020", "font-size": "0.85em", "margin": "0 5px"}
WARNING_STYLE = {**ERROR_STYLE, "color": "#8a5a00", "background": "#fff4d6"}  # amber
WRAP = [":host pre { white-space: pre-wrap; }"]  # warnings are sentences: wrap them to the field


def _list_text(values) -> str:
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


def _parse_numbers(name: str, text: str, kind) -> list:
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            out.append(
                kind(float(part)) if kind is int and float(part).is_integer() else kind(part)
            )
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise StudyError(f"{name}: cannot read {part!r} as {what}") from None
    return out


def _parse_views(name: str, text: str) -> dict:
    """``{view: overlap fraction}`` from ``"dense=0.7, sparse=0.2"``; StudyError naming ``name``
    for a part that is not name=number or a view named twice."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise StudyError(
                f"{name}: write each view as name=fraction, e.g. dense=0.7 (got {part!r})"
            )
        if key.strip() in out:
            raise StudyError(
                f"{name}: view {key.strip()!r} is named twice; give each view its own name"
            )
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise StudyError(
                f"{name}: overlap fraction {value.strip()!r} of view {key.strip()!r} "
                "is not a number"
            ) from None
    return out


class FieldWidget:
    """One setting: its widget, how to read and write it, and its inline message."""

    def __init__(self, name: str, parameter: param.Parameter, value):
        self.name = name
        self.parameter = parameter
        label = name.replace("_", " ")
        doc = parameter.doc or ""
        if isinstance(parameter, Choices):
            self.widget = pn.widgets.MultiChoice(
                label=label, options=list(parameter.allowed), description=doc, width=260
            )
        elif isinstance(parameter, param.Selector):
            self.widget = pn.widgets.Select(
                label=label, options=list(parameter.objects), description=doc, width=260
            )
        elif isinstance(parameter, param.Boolean):
            self.widget = pn.widgets.Checkbox(label=label, width=260)
        elif isinstance(parameter, param.Integer):
            self.widget = pn.widgets.IntInput(label=label, description=doc, width=260)
        elif isinstance(parameter, param.Number):
            self.widget = pn.widgets.FloatInput(label=label, description=doc, width=260)
        else:  # strings, dose lists, view dicts, repeat lists: typed as text
            self.widget = pn.widgets.TextInput(label=label, description=doc, width=260)
        self.widget.css_classes = [f"field-{name}"]
        self.message = pn.pane.Str(
            "", visible=False, styles=ERROR_STYLE, css_classes=[f"error-{name}"]
        )
        self.warning = pn.pane.Str(
            "",
            visible=False,
            styles=WARNING_STYLE,
            stylesheets=WRAP,
            width=260,
            css_classes=[f"warning-{name}"],
        )
        self.set(value)

    def set(self, value) -> None:
        if isinstance(self.parameter, (Doses, param.List)) and not isinstance(
            self.parameter, Choices
        ):
            value = _list_text(value)
        elif isinstance(self.parameter, Views):
            value = ", ".join(f"{k}={v:g}" for k, v in value.items())
        self.widget.value = value

    def get(self):
        """The typed value (StudyError naming the field when the text cannot be read)."""
        value = self.widget.value
        if isinstance(self.parameter, Doses):
            return _parse_numbers(self.name, value, float)
        if isinstance(self.parameter, Views):
            return _parse_views(self.name, value)
        if isinstance(self.parameter, param.List) and not isinstance(self.parameter, Choices):
            return _parse_numbers(self.name, value, int)
        if isinstance(value, list):
            return list(value)
        return value

    def show(self, message: str) -> None:
        self.message.object = message
        self.message.visible = bool(message)

    def warn(self, messages: list[str]) -> None:
        self.warning.object = "\n".join(messages)
        self.warning.visible = bool(messages)

    @property
    def panel(self):
        return pn.Column(self.widget, self.message, self.warning, margin=0)


def field_of(message: str, names) -> str | None:
    """The setting a model message is about: ``name: ...`` or param's ``'Study.name'``."""
    head = message.split(":", 1)[0].strip()
    if head in names:
        return head
    match = re.search(r"'Study\.(\w+)'", message)
    return match.group(1) if match and match.group(1) in names else None


class StudyForm(pn.viewable.Viewer):
    """The study's settings; :attr:`study` is the last valid one, :attr:`error` the current problem,
    :attr:`warnings` the last valid study's warnings."""

    study = param.ClassSelector(class_=Study)
    error = param.String("")
    warnings = param.List([], item_type=str)

    def __init__(self, study: Study, **params):
        super().__init__(study=study, **params)
        self.fields = {
            n: FieldWidget(n, p, getattr(study, n))
            for n, p in Study.param.objects().items()
            if n != "name"
        }
        for f in self.fields.values():
            f.widget.param.watch(self._changed, "value")
        self.preset = pn.widgets.Select(
            label="load a preset",
            options={"(choose)": "", **{p: p for p in PRESETS}},
            value="",
            width=160,
            css_classes=["preset"],
        )
        self.preset.param.watch(lambda e: e.new and self.load(Study.preset(e.new)), "value")
        self.banner = pn.pane.Str("", visible=False, styles=ERROR_STYLE, css_classes=["error-form"])
        self.warning_banner = pn.pane.Str(
            "", visible=False, styles=WARNING_STYLE, css_classes=["warning-form"]
        )
        self._loading = False
        stage_of = {n: SECTIONS[stage.name] for stage in STAGES.values() for n in stage.settings}
        self.section_of = {n: AXES if n in AXIS_FIELDS else stage_of[n] for n in self.fields}
        self.cards = {
            title: pn.Card(
                pn.FlexBox(
                    *(f.panel for n, f in self.fields.items() if self.section_of[n] == title)
                ),
                title=title,
                collapsed=title != AXES,
                sizing_mode="stretch_width",
            )
            for title in [AXES, *SECTIONS.values()]
        }
        self._warn(study)

    def load(self, study: Study) -> None:
        """Show ``study`` in the widgets (errors cleared, its warnings shown)."""
        self._loading = True
        try:
            for name, f in self.fields.items():
                f.set(getattr(study, name))
                f.show("")
        finally:
            self._loading = False
        self.banner.visible = False
        self.error = ""
        self._warn(study)
        self.study = study

    def _warn(self, study: Study) -> None:
        """Show ``study``'s warnings under the fields they name (above the form otherwise)."""
        warnings = study.warnings()
        by_field: dict[str | None, list[str]] = {}
        for message in warnings:
            by_field.setdefault(field_of(message, self.fields), []).append(message)
        for name, f in self.fields.items():
            if name in by_field and not f.warning.visible:  # a new warning: open its section
                self.cards[self.section_of[name]].collapsed = False
            f.warn(by_field.get(name, []))
        self.warning_banner.object = "\n".join(by_field.get(None, []))
        self.warning_banner.visible = None in by_field
        self.warnings = warnings

    def _changed(self, event=None) -> None:
        if self._loading:
            return
        for f in self.fields.values():
            f.show("")
        self.banner.visible = False
        try:
            values = {n: f.get() for n, f in self.fields.items()}
            study = Study.from_dict(values)
        except StudyError as exc:
            message = str(exc)
            name = field_of(message, self.fields)
            if name:
                self.fields[name].show(message)
                self.cards[self.section_of[name]].collapsed = False
            else:
                self.banner.object, self.banner.visible = message, True
            self.error = message
            return
        self.error = ""
        self._warn(study)
        self.study = study

    def __panel__(self):
        return pn.Column(
            self.preset,
            self.banner,
            self.warning_banner,
            *self.cards.values(),
            sizing_mode="stretch_width",
        )
