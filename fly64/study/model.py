"""The study model (phase A): every setting of a dose × overlap study, in one param model.

Widgets, CLI flags and job manifests are all generated from this class. Settings are
grouped by the phase that first uses them; a phase's hash covers its own settings and
those of every phase before it, so a result is reused only when all its inputs agree.
"""

import hashlib
import json
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import param
import yaml

from fly64.data.npz import load_npz
from fly64.models.stitch import STITCHING
from fly64.physics import footprint_diameter, make_probe, support_fraction
from fly64.physics.object import OBJECTS
from fly64.physics.probe import PROBES

PHASES = ("simulate", "overlap", "train", "reconstruct", "evaluate")
METHODS = ("pinn", "lsqml", "epie", "rpie")
BASELINES = ("lsqml", "epie", "rpie")
#: which phases each phase depends on (for the per-phase settings hash)
UPSTREAM = {
    "simulate": ("simulate",),
    "overlap": ("simulate", "overlap"),
    "train": ("simulate", "overlap", "train"),
    "reconstruct": ("simulate", "overlap", "reconstruct"),
    "evaluate": ("simulate", "overlap", "train", "reconstruct", "evaluate"),
}


class StudyError(ValueError):
    """Invalid study settings; the message names the field and what is allowed."""


class _SettingsLoader(yaml.SafeLoader):
    """Safe YAML that reads ``1e3`` and ``1e-3`` as floats (YAML 1.2; YAML 1.1 made them strings)."""


_SettingsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)

#: first line of a study file fly64 wrote whole (:meth:`Study.to_yaml` ``hashed``): the settings' hash
HASH_LINE = re.compile(rb"# fly64 settings ([0-9a-f]{16})\b")


def parse_settings(data: bytes, path: str | Path, fmt: str | None = None) -> dict:
    """The settings mapping in ``data``, the bytes of the study file ``path``.

    ``fmt`` is ``"json"`` or ``"yaml"``; by default JSON for a ``.json`` path, else YAML.
    Raises :class:`StudyError` naming ``path`` when ``data`` is empty, not UTF-8, not valid
    YAML/JSON, or holds something other than a mapping.
    """
    if not data.strip():
        raise StudyError(f"study file {path} is empty; write the settings in it (e.g. `preset: quick`)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StudyError(f"study file {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    fmt = fmt or ("json" if Path(path).suffix == ".json" else "yaml")
    try:
        settings = json.loads(text) if fmt == "json" else yaml.load(text, Loader=_SettingsLoader)
    except ValueError as exc:
        raise StudyError(f"study file {path} is not valid JSON: {exc}") from exc
    except yaml.YAMLError as exc:
        raise StudyError(f"study file {path} is not valid YAML ({_yaml_problem(exc)})") from exc
    if not isinstance(settings, dict):
        raise StudyError(f"study file {path} must hold a mapping of settings, not a {type(settings).__name__}")
    return settings


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error on one line: where and what."""
    mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None) or str(exc)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem.replace("\n", " ")


#: least fraction of |P|² the central disc of diameter N/2 must hold for the PINN's support
SUPPORT_FRACTION = 0.99
#: least linear overlap 1 − S/D of a view with ptychographic overlap (below it a view is expected
#: to be a sparse contrast, and is warned about only when no view of the study reaches it)
PTYCHOGRAPHIC_OVERLAP = 0.6


@lru_cache(maxsize=32)
def _cached_probe(size: int, kind: str, radius, defocus, npz: tuple | None) -> np.ndarray:
    """The study's probe, made (or read) once per distinct setting; ``npz`` = (path, mtime, bytes)."""
    probe = load_npz(npz[0])["probe"] if npz else make_probe(size, kind, pupil_radius=radius, defocus=defocus)
    probe.setflags(write=False)
    return probe


#: the highest dose (photons per pattern): counts are int32, and every photon may fall in one pixel
MAX_DOSE = 1e9
#: seeds must fit the unsigned 32-bit range every generator the study feeds accepts
SEED_BOUNDS = (0, 2**32 - 1)


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


class Study(param.Parameterized):
    """A dose × overlap × gridsize × method × seed study (defaults follow the original study)."""

    # --- simulate (phase C)
    doses = Doses([1e3, 1e4, 1e5], precedence=1, doc="Expected photons per diffraction pattern.")
    patch_size = param.Integer(64, bounds=(16, 256), doc="Detector / probe window side N, pixels.")
    object_size = param.Integer(
        512, bounds=(32, 8192), doc="Side of the square test object, pixels (ignored with object_npz)."
    )
    object = param.Selector(
        objects=list(OBJECTS), default="probe_scale",
        doc="Built-in test object: 'probe_scale' (features from a few px to ≈ 2·D, most phase "
            "variance at periods below 2·D, amplitude independent of phase) or 'coarse' (the seed "
            "study's 1/f object whose amplitude copies its phase). Ignored with object_npz.",
    )
    object_npz = param.String(
        "", doc="Optional PtychoPINN NPZ whose objectGuess and probeGuess drive the simulation."
    )
    probe = param.Selector(
        objects=list(PROBES), default="defocused",
        doc="Built-in probe: 'defocused' (soft-edged defocused pupil, D₉₀ ≈ 0.35·N, ≥ 99 % of |P|² "
            "inside N/2) or 'focused' (the seed study's Airy spot, D₉₀ ≈ 0.65·N, tails past N/2). "
            "Ignored with object_npz.",
    )
    probe_pupil_radius = param.Number(
        None, bounds=(0.5, None), allow_None=True,
        doc="Pupil radius of the built-in probe, Fourier pixels; empty = the probe's design "
            "(defocused 0.325·N, focused 16/3). A smaller pupil makes a wider focus.",
    )
    probe_defocus = param.Number(
        None, bounds=(0.0, None), allow_None=True,
        doc="Quadratic pupil phase at the pupil radius, radians; empty = the probe's design "
            "(defocused 0.18·N, focused 4). More defocus makes a wider beam.",
    )
    scan_step = param.Number(
        None, bounds=(0.5, None), allow_None=True,
        doc="Pitch of the base raster the views are cut from, pixels; empty = half the densest "
            "view's spacing S (fine enough for the greedy cut to reach S).",
    )
    scan_jitter = param.Number(1.0, bounds=(0, None), doc="Uniform jitter of base positions, ± pixels.")
    guard_rows = param.Integer(
        4, bounds=(0, None), doc="Unilluminated rows between the train (top) and test (bottom) splits."
    )
    simulation_seed = param.Integer(42, bounds=SEED_BOUNDS, doc="Seed of scan jitter and Poisson noise.")

    # --- overlap (phase D)
    views = Views(
        {"dense": 0.7, "sparse": 0.2},
        doc="Linear overlap f per view: minimum centre spacing S = (1 − f)·D, D the probe footprint.",
    )
    spacing_basis = param.Selector(
        objects=["footprint", "window"], default="footprint",
        doc="What a view's overlap f is measured against: 'footprint' (S = (1 − f)·D, as "
            "ptychographers define overlap) or 'window' (S = (1 − f)·N, the seed study's rule).",
    )
    min_positions = param.Integer(
        16, bounds=(2, None), doc="Fewest positions a view must keep per split for any method."
    )
    gridsizes = Choices([1, 2], allowed=(1, 2), item_type=int, doc="PINN groups of C = gridsize² patterns.")
    neighbor_count = param.Integer(7, bounds=(1, 64), doc="K nearest neighbours pooled for grouping (K ≥ C).")
    groups_per_position = param.Integer(
        1, bounds=(1, 16), doc="Gridsize-2 training groups per position (K-choose-C oversampling)."
    )
    grouping_seed = param.Integer(123, bounds=SEED_BOUNDS, doc="Seed of group selection.")
    subsample_seed = param.Integer(456, bounds=SEED_BOUNDS, doc="Seed of the greedy view order.")

    # --- train (phase E, the PINN)
    methods = Choices(["pinn", "lsqml"], allowed=METHODS, item_type=str, doc="Methods compared.")
    repeats = param.List(
        [0], item_type=int,
        doc="Repeat seeds (error bars): repeat r is an independent experiment — its own Poisson counts "
            "at every dose (scan, object and probe shared), its own PINN initialisation and shuffling, "
            "the baseline run on its data. Adding a repeat runs only its jobs.",
    )
    epochs = param.Integer(50, bounds=(1, 10000), doc="PINN training epochs (early stopping may end sooner).")
    batch_size = param.Integer(16, bounds=(1, 4096), doc="PINN batch size, groups.")
    learning_rate = param.Number(2e-3, bounds=(1e-6, 1.0), doc="PINN Adam learning rate.")
    model_width = param.Integer(8, bounds=(2, 256), doc="Channels of the PINN U-Net's first level.")
    model_depth = param.Integer(
        3, bounds=(1, 6), doc="Levels of the PINN U-Net; patch_size / 2 must be divisible by 2^depth."
    )
    validation_fraction = param.Number(0.1, bounds=(0.0, 0.5), doc="Training groups held out for validation.")
    patience = param.Integer(8, bounds=(1, 1000), doc="Epochs without validation improvement before stopping.")
    train_probe = param.Boolean(False, doc="Let the PINN refine the probe (default: known, fixed).")
    mae_weight = param.Number(
        0.0, bounds=(0.0, None),
        doc="Weight of an amplitude-MAE term (√photons per pixel) added to the PINN's Poisson NLL. "
            "Off by default: it is biased at low counts, and with the back-propagated input it stalls "
            "gridsize 2 at 1e3 photons (dense, 10 epochs: phase correlation 0.15 with 10 against 0.42 "
            "with the NLL alone; notes/science_v2.md).",
    )
    stitching = param.Selector(
        objects=list(STITCHING), default="weighted",
        doc="How PINN patches are joined on the test canvas: 'weighted' (|P|²-weighted mean) or "
            "'synchronised' (each patch's phase level first fixed from its overlaps; no ground truth).",
    )
    snapshot_every = param.Integer(5, bounds=(1, 1000), doc="Epochs (or chunks) between snapshots.")

    # --- reconstruct (phase F, the iterative baseline)
    baseline_epochs = param.Integer(100, bounds=(1, 10000), doc="Iterative solver epochs.")
    baseline_batch_size = param.Integer(32, bounds=(1, 4096), doc="Iterative solver batch size.")
    baseline_chunk = param.Integer(5, bounds=(1, 1000), doc="Epochs per progress/cancel chunk.")
    baseline_free_probe = param.Boolean(False, doc="Let the solver refine the probe (default: fixed).")

    # --- evaluate (phase G)
    mask_threshold = param.Number(
        0.1, bounds=(0.001, 1.0),
        doc="Evaluate where illumination Σ|P|² ≥ this fraction of one probe's peak intensity.",
    )
    phase_ramp = param.Boolean(False, doc="Also remove a linear phase ramp before scoring.")

    #: settings each phase's results depend on; the grid axes (doses, view names, methods,
    #: repeats) are not listed: a cell's identity carries them, so extending a grid keeps
    #: the results already made
    PHASE_OF = {
        "simulate": ("patch_size", "object_size", "object", "object_npz", "probe", "probe_pupil_radius",
                     "probe_defocus", "scan_step", "scan_jitter", "guard_rows", "simulation_seed"),
        "overlap": ("views", "spacing_basis", "min_positions", "gridsizes", "neighbor_count", "groups_per_position",
                    "grouping_seed", "subsample_seed"),
        "train": ("epochs", "batch_size", "learning_rate", "model_width",
                  "model_depth", "validation_fraction", "patience", "train_probe", "mae_weight",
                  "stitching", "snapshot_every"),
        "reconstruct": ("baseline_epochs", "baseline_batch_size",
                        "baseline_chunk", "baseline_free_probe", "snapshot_every"),
        "evaluate": ("mask_threshold", "phase_ramp"),
    }

    # ----------------------------------------------------------------- derived values
    def make_probe(self) -> np.ndarray:
        """The probe the study simulates with (the NPZ's, or the built-in one): a fresh copy,
        complex64 (N, N), Σ|P|² = 1 for a built-in probe."""
        npz = None
        if self.object_npz:
            path = Path(self.object_npz)
            if not path.is_file():
                raise StudyError(f"object_npz: {path} does not exist")
            npz = (str(path), path.stat().st_mtime_ns, path.stat().st_size)
        try:
            return _cached_probe(self.patch_size, self.probe, self.probe_pupil_radius, self.probe_defocus,
                                 npz).copy()
        except ValueError as exc:
            raise StudyError(f"{'object_npz' if npz else 'probe'}: {exc}") from exc

    @property
    def footprint(self) -> float:
        """The probe footprint D₉₀ (pixels): diameter of the centred disc holding 90 % of |P|²."""
        return footprint_diameter(self.make_probe())

    def spacing(self, view: str) -> float:
        """Minimum centre spacing S = (1 − f)·D of a view (or (1 − f)·N on the window basis), pixels."""
        if view not in self.views:
            raise StudyError(f"views: no view named {view!r}; the study has {list(self.views)}")
        basis = self.footprint if self.spacing_basis == "footprint" else self.patch_size
        return round((1 - self.views[view]) * basis, 6)

    @property
    def spacings(self) -> dict[str, float]:
        return {v: self.spacing(v) for v in self.views}

    @property
    def base_step(self) -> float:
        """Pitch of the base raster, pixels: ``scan_step``, or half the densest view's spacing."""
        if self.scan_step is not None:
            return self.scan_step
        return max(round(min(self.spacings.values()) / 2, 3), 0.5)

    @property
    def baseline_methods(self) -> list[str]:
        return [m for m in self.methods if m in BASELINES]

    # ----------------------------------------------------------------- validation
    def validate(self) -> "Study":
        """Cross-field checks (single fields are checked as they are set). Returns self."""
        group = max(self.gridsizes) ** 2 if "pinn" in self.methods else 1
        if self.neighbor_count < group:
            raise StudyError(
                f"neighbor_count: K = {self.neighbor_count} is below C = gridsize² = {group}; "
                f"allowed K ≥ {group}"
            )
        if self.min_positions <= self.neighbor_count and "pinn" in self.methods:
            raise StudyError(
                f"min_positions: {self.min_positions} must exceed neighbor_count "
                f"({self.neighbor_count}) so every position has K neighbours in its view"
            )
        if "pinn" in self.methods and self.patch_size % 2 ** (self.model_depth + 1):
            raise StudyError(
                f"model_depth: the PINN's U-Net halves the N/2 = {self.patch_size // 2} px support "
                f"{self.model_depth} times; patch_size must be a multiple of {2 ** (self.model_depth + 1)}"
            )
        if not self.object_npz and not (self.probe_pupil_radius or 0) < self.patch_size / 2:
            raise StudyError(
                f"probe_pupil_radius: {self.probe_pupil_radius} Fourier px must be below "
                f"patch_size / 2 = {self.patch_size / 2}"
            )
        if not self.object_npz and self.patch_size * 2 > self.object_size:
            raise StudyError(
                f"object_size: {self.object_size} px must be at least 2 × patch_size "
                f"({2 * self.patch_size} px) to hold a train and a test split"
            )
        for view in self.views:
            if self.spacing(view) <= 0:
                raise StudyError(f"views: spacing of {view!r} is {self.spacing(view)} px; need S > 0")
        if self.base_step > min(self.spacings.values()):
            raise StudyError(
                f"scan_step: {self.base_step} px is coarser than the densest view's spacing "
                f"{min(self.spacings.values()):.1f} px; allowed scan_step ≤ that spacing"
            )
        if not self.repeats:
            raise StudyError("repeats: needs at least one repeat seed, e.g. [0]")
        if len(set(self.repeats)) != len(self.repeats) or min(self.repeats) < 0:
            raise StudyError(f"repeats: {self.repeats} must be distinct seeds ≥ 0, e.g. [0, 1, 2]")
        return self

    def warnings(self) -> list[str]:
        """Set-ups that run but break an assumption of a method, each ``"field: message"``."""
        out = []
        probe = self.make_probe()
        inside = support_fraction(probe)
        if "pinn" in self.methods and inside < SUPPORT_FRACTION:
            field = "object_npz" if self.object_npz else "probe"
            out.append(
                f"{field}: only {inside:.1%} of |P|² lies inside the central disc of diameter N/2 = "
                f"{self.patch_size / 2:g} px (D₉₉ = {footprint_diameter(probe, 0.99):.1f} px); the PINN "
                f"assumes the illuminated object fits there, so its cells will under-sample the exit "
                f"wave — use the 'defocused' probe or less defocus"
            )
        return out + self._overlap_warnings() + self._scan_warnings()

    def linear_overlap(self, view: str) -> float:
        """The overlap 1 − S/D a view's spacing S allows against the footprint D (any spacing basis)."""
        return 1 - self.spacing(view) / self.footprint

    def _overlap_warnings(self) -> list[str]:
        """Every view, when none has ptychographic overlap (a sparse view alone is a contrast)."""
        overlaps = {view: self.linear_overlap(view) for view in self.views}
        if max(overlaps.values()) >= PTYCHOGRAPHIC_OVERLAP:
            return []
        listed = ", ".join(f"{view!r} {f:.0%}" for view, f in overlaps.items())
        return [
            f"views: no ptychographic overlap in any view (linear overlap 1 − S/D: {listed}, below "
            f"{PTYCHOGRAPHIC_OVERLAP:.0%}); expected of a sparse view, but a dense view needs f ≥ "
            f"{PTYCHOGRAPHIC_OVERLAP:g}, e.g. dense=0.7"
        ]

    def _scan_warnings(self) -> list[str]:
        """An object too small for both splits, or a view that keeps fewer than ``min_positions``."""
        from fly64.data.views import SPLIT_LABEL  # the stages below import this module
        from fly64.study.overlap import accept_split
        from fly64.study.simulate import base_scan

        shape = load_npz(self.object_npz)["object"].shape if self.object_npz else (self.object_size,) * 2
        try:
            positions, split = base_scan(self, shape)
        except StudyError as exc:
            return [str(exc)]
        out = []
        for view in self.views:
            for name, label in SPLIT_LABEL.items():
                accepted, bound = accept_split(self, positions[split == label], self.spacing(view))
                if accepted.sum() < self.min_positions:
                    out.append(
                        f"views: view {view!r} (S = {self.spacing(view):.1f} px) keeps {accepted.sum()} "
                        f"{name} positions (geometric bound {bound}) but methods need min_positions = "
                        f"{self.min_positions}; use a larger object_size or a higher overlap fraction"
                    )
        return out

    # ----------------------------------------------------------------- (de)serialisation
    @classmethod
    def setting_names(cls) -> list[str]:
        return [name for name in cls.param if name != "name"]

    def to_dict(self) -> dict:
        """Every setting, JSON-ready (lists and dicts copied)."""
        return {k: json.loads(json.dumps(getattr(self, k))) for k in self.setting_names()}

    @classmethod
    def from_dict(cls, settings: dict) -> "Study":
        """A validated study from a mapping; unknown keys are an error (typos never pass silently)."""
        if not isinstance(settings, dict):
            raise StudyError(f"study settings must be a mapping, got {type(settings).__name__}")
        unknown = sorted(set(settings) - set(cls.setting_names()) - {"preset"})
        if unknown:
            raise StudyError(f"unknown settings {unknown}; known: {cls.setting_names()}")
        if settings.get("preset", "standard") not in PRESETS:
            raise StudyError(f"preset: unknown preset {settings['preset']!r}; choose from {sorted(PRESETS)}")
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
    def preset(cls, name: str, **overrides) -> "Study":
        """One of :data:`PRESETS` (``quick``, ``standard``, ``seed``), with optional overrides."""
        if name not in PRESETS:
            raise StudyError(f"preset: unknown preset {name!r}; choose from {sorted(PRESETS)}")
        return cls.from_dict({**PRESETS[name], **overrides})

    def to_yaml(self, *, hashed: bool = False) -> str:
        """Every setting as YAML; ``hashed``: under a first line recording their hash
        (:data:`HASH_LINE`), so that :meth:`load` with ``whole`` can tell a file cut short."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=True)
        if not hashed:
            return text
        return (f"# fly64 settings {self.settings_hash()}: the settings of this store's results "
                "(to change them, pass a copy with --config)\n" + text)

    @classmethod
    def from_yaml(cls, text: str, path: str | Path = "<text>") -> "Study":
        """The validated study in YAML ``text`` (``1e3`` reads as a float); see :meth:`from_bytes`."""
        return cls.from_bytes(text.encode(), path, fmt="yaml")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)

    @classmethod
    def from_json(cls, text: str, path: str | Path = "<text>") -> "Study":
        """The validated study in JSON ``text``; see :meth:`from_bytes`."""
        return cls.from_bytes(text.encode(), path, fmt="json")

    @classmethod
    def from_bytes(cls, data: bytes, path: str | Path, *, fmt: str | None = None,
                   whole: bool = False) -> "Study":
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
            Naming ``path``: an empty, non-UTF-8, unparsable, invalid or (``whole``) incomplete file.
        """
        settings = parse_settings(data, path, fmt)
        missing = sorted(set(cls.setting_names()) - set(settings)) if whole else []
        if missing:
            raise StudyError(f"study file {path} is incomplete (cut short?): it lacks {missing}")
        try:
            study = cls.from_dict(settings)
        except StudyError as exc:
            raise StudyError(f"{path}: {exc}") from exc
        recorded = HASH_LINE.match(data) if whole else None
        if recorded and recorded[1].decode() != study.settings_hash():
            raise StudyError(f"study file {path} holds settings of hash {study.settings_hash()}, but "
                             f"was written with {recorded[1].decode()} (cut short or edited?)")
        return study

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.to_json() if path.suffix == ".json" else self.to_yaml())
        return path

    @classmethod
    def load(cls, path: str | Path, *, whole: bool = False) -> "Study":
        """The validated study of a settings file (``.json``: JSON, else YAML); see :meth:`from_bytes`.

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

    # ----------------------------------------------------------------- hashing
    def settings_hash(self, phase: str | None = None) -> str:
        """Stable content hash (16 hex) of all settings, or of those a phase's results depend on."""
        if phase is None:
            names = self.setting_names()
        elif phase in UPSTREAM:
            names = sorted({n for p in UPSTREAM[phase] for n in self.PHASE_OF[p]})
        else:
            raise StudyError(f"unknown phase {phase!r}; choose from {list(PHASES)}")
        payload = json.dumps({n: getattr(self, n) for n in names}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


PRESETS: dict[str, dict] = {
    # tests, tutorials, CI: the whole grid in a few minutes on 2 CPU cores
    "quick": dict(
        patch_size=32, object_size=160, epochs=12, model_depth=2, baseline_epochs=40, baseline_chunk=5, snapshot_every=2, patience=6,
    ),
    # the app's and `fly64 run`'s default: meaningful science on a laptop CPU
    "standard": dict(),
    # the standard grid with error bars: three independent repeats (≈ 3 × 26 min on 2 cores)
    "paper": dict(repeats=[0, 1, 2]),
    # seed-scale sizes (N = 128), for a GPU
    "seed": dict(
        patch_size=128, object_size=1024, epochs=100, batch_size=32,
        model_width=32, model_depth=4, baseline_epochs=200, baseline_chunk=10, patience=15,
    ),
}
