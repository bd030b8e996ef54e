"""A set-up preview of an unsaved study: what it would simulate and cut, computed in memory.

:func:`preview_study` runs the stages' own functions on small inputs — the study's scene
(:func:`fly64.study.pipeline.simulate.make_scene`), one pattern per dose from a few positions
(:func:`fly64.physics.simulate_counts`), each view's cut of the base scan
(:func:`fly64.study.settings.scan.accept_split`) and the shot-noise limit of its test scan at
each dose (:func:`fly64.metrics.shot_noise_limit`) — and writes nothing. Parts are cached by the
settings they depend on, so a change to one view recomputes only that view.
:mod:`fly64.study.display.preview_figures` draws it (notebooks, the app).
Positions are (y, x) window centres in object pixels.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch

from fly64.data.views import SPLIT_LABEL
from fly64.metrics import ShotNoiseLimit, evaluation_mask, shot_noise_limit
from fly64.overlap import disc_overlap_fraction, linear_overlap, nearest_neighbour_distances
from fly64.overlap.metrics import coverage_map
from fly64.physics import simulate_counts
from fly64.physics.forward import dose_scale
from fly64.study.display.store_summary import SceneSummary, summarise_scene
from fly64.study.pipeline.simulate import Scene, make_scene
from fly64.study.settings.checks import PTYCHOGRAPHIC_OVERLAP
from fly64.study.settings.model import Study
from fly64.study.settings.scan import accept_split

#: base-scan positions simulated per dose (the dose scale is their mean; the first is shown)
PATTERN_POSITIONS = 4
#: display scales of counts: log10(1 + c), √c, c
PATTERN_SCALES = {"log": lambda a: np.log10(1.0 + a), "sqrt": np.sqrt, "linear": lambda a: a}
NO_OVERLAP = "no ptychographic overlap"


@dataclass(frozen=True)
class ViewPreview:
    """One view's cut of the base scan.

    spacing : minimum centre spacing S, pixels.
    nominal_overlap : 1 − S/D, the overlap the spacing allows against the footprint D₉₀.
    accepted : bool (m,), True where the view keeps a base-scan position (both splits).
    kept, bound : per split (``train``, ``test``), positions kept and the geometric packing bound.
    needed : ``min_positions``, the fewest positions per split any method needs.
    linear_overlap : median of 1 − d/D over the kept positions' nearest-neighbour distances d
        (NaN when a split keeps fewer than 2).
    disc_overlap : mean disc-overlap fraction f(d) over the same distances (NaN likewise).
    """

    name: str
    spacing: float
    nominal_overlap: float
    accepted: np.ndarray
    kept: dict[str, int]
    bound: dict[str, int]
    needed: int
    linear_overlap: float
    disc_overlap: float

    @property
    def feasible(self) -> bool:
        return min(self.kept.values()) >= self.needed

    @property
    def label(self) -> str:
        return (
            NO_OVERLAP if self.nominal_overlap < PTYCHOGRAPHIC_OVERLAP else "ptychographic overlap"
        )


@dataclass(frozen=True)
class Preview:
    """What a study would simulate and cut.

    scene : probe footprints and support, object, its statistics and phase spectrum.
    probe : complex64 (N, N), the study's probe (Σ|P|² = 1 for a built-in one).
    base_positions : int64 (m, 2) the base scan, guard band removed; ``split`` int8 (m,) 0 train /
        1 test.
    pattern_positions : int64 (k, 2) the positions simulated for ``patterns``.
    patterns : {dose: int32 (k, N, N)} Poisson counts, fftshift-ed, the study's simulation seed.
    views : {name: ViewPreview}.
    limits : {view: {dose: ShotNoiseLimit}} of each view's test scan on the evaluation mask
        (the probe scaled to the dose as the simulation scales it); empty for a view whose
        test split keeps no position.
    seconds : wall time of :func:`preview_study`, including cache hits.
    """

    scene: SceneSummary
    probe: np.ndarray
    base_positions: np.ndarray
    split: np.ndarray
    pattern_positions: np.ndarray
    patterns: dict[float, np.ndarray]
    views: dict[str, ViewPreview]
    limits: dict[str, dict[float, ShotNoiseLimit]]
    seconds: float

    def view_rows(self) -> list[dict]:
        """One row of numbers per view (the app's and notebooks' table), with the median
        photons per object pixel and the phase correlation bound at each dose."""
        return [
            {
                "view": v.name,
                "S (px)": round(v.spacing, 2),
                "1 − S/D": round(v.nominal_overlap, 3),
                "linear overlap (median)": round(v.linear_overlap, 3),
                "disc overlap (mean)": round(v.disc_overlap, 3),
                **{f"positions {s}": v.kept[s] for s in SPLIT_LABEL},
                **{f"bound {s}": v.bound[s] for s in SPLIT_LABEL},
                "needed": v.needed,
                "feasible": v.feasible,
                "overlap": v.label,
                **{
                    f"photons/px at {d:g}": round(limit.fluence, 1)
                    for d, limit in self.limits[v.name].items()
                },
                **{
                    f"correlation bound at {d:g}": round(limit.correlation_bound, 3)
                    for d, limit in self.limits[v.name].items()
                },
            }
            for v in self.views.values()
        ]


class _Cache:
    """A small least-recently-used map shared by every session (thread-safe get / put)."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, compute):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = compute()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


_SCENES, _PATTERNS, _VIEWS, _LIMITS = _Cache(4), _Cache(32), _Cache(32), _Cache(32)


def _scene(study: Study) -> tuple[Scene, SceneSummary]:
    def compute():
        scene = make_scene(study)
        return scene, summarise_scene(scene.source, scene.probe, scene.object, study.footprint)

    return _SCENES.get(study.settings_hash("simulate"), compute)


def _patterns(study: Study, scene: Scene, positions: np.ndarray, dose: float) -> np.ndarray:
    def compute():
        return simulate_counts(scene.object, scene.probe, positions, dose, study.simulation_seed)[0]

    return _PATTERNS.get((study.settings_hash("simulate"), float(dose)), compute)


def _view(study: Study, scene: Scene, view: str, footprint: float) -> ViewPreview:
    spacing = study.spacing(view)

    def compute():
        accepted = np.zeros(len(scene.positions), bool)
        kept, bound, distances = {}, {}, []
        for name, label in SPLIT_LABEL.items():
            members = np.flatnonzero(scene.split == label)
            mask, bound[name] = accept_split(study, scene.positions[members], spacing)
            accepted[members[mask]] = True
            kept[name] = int(mask.sum())
            if kept[name] >= 2:
                distances.append(nearest_neighbour_distances(scene.positions[members[mask]]))
        d = np.concatenate(distances) if len(distances) == len(SPLIT_LABEL) else np.array([np.nan])
        measured = d[np.isfinite(d)]
        return ViewPreview(
            view,
            spacing,
            study.linear_overlap(view),
            accepted,
            kept,
            bound,
            study.min_positions,
            float(np.median(linear_overlap(measured, footprint)))
            if measured.size
            else float("nan"),
            float(np.mean(disc_overlap_fraction(measured, footprint)))
            if measured.size
            else float("nan"),
        )

    return _VIEWS.get(_view_key(study, view), compute)


def _view_key(study: Study, view: str) -> tuple:
    """What a view's cut of the base scan depends on."""
    return (
        study.settings_hash("simulate"),
        view,
        study.spacing(view),
        study.min_positions,
        study.subsample_seed,
    )


def _photons_per_dose(study: Study, scene: Scene) -> float:
    """s² of the simulation's probe scale at a dose of one photon per pattern (the scale is
    ``√dose``·s)."""

    def compute():
        tensors = (torch.as_tensor(a) for a in (scene.object, scene.probe, scene.positions))
        return dose_scale(*tensors, 1.0) ** 2

    return _SCENES.get(("dose scale", study.settings_hash("simulate")), compute)


def _limits(study: Study, scene: Scene, view: ViewPreview) -> dict[float, ShotNoiseLimit]:
    """The shot-noise limit of the view's test scan at each dose, on the evaluation mask."""

    def compute():
        test = view.accepted & (scene.split == SPLIT_LABEL["test"])
        if not test.any():
            return {}
        intensity = np.abs(scene.probe) ** 2 * _photons_per_dose(study, scene)  # per unit dose
        illumination = coverage_map(scene.positions[test], intensity, scene.object.shape)
        mask = evaluation_mask(illumination, study.mask_threshold, intensity.max())
        return {
            float(d): shot_noise_limit(scene.object, d * illumination, mask) for d in study.doses
        }

    key = (_view_key(study, view.name), tuple(study.doses), study.mask_threshold)
    return _LIMITS.get(key, compute)


def preview_study(study: Study) -> Preview:
    """Probe, object, one pattern per dose and every view's cut of an (unsaved) study, in memory.

    Nothing is written. Raises :class:`fly64.study.StudyError` where the stages would (e.g. an
    object too small for both splits). About a second for the standard preset when its scene
    changes (most of it the dose scale over the whole base scan), a tenth of that when only a
    view or a dose does.
    """
    start = time.perf_counter()
    scene, summary = _scene(study)
    picks = np.linspace(0, len(scene.positions) - 1, PATTERN_POSITIONS).astype(int)
    positions = scene.positions[picks]
    patterns = {float(d): _patterns(study, scene, positions, d) for d in study.doses}
    views = {v: _view(study, scene, v, summary.footprint_px) for v in study.views}
    return Preview(
        summary,
        scene.probe,
        scene.positions,
        scene.split,
        positions,
        patterns,
        views,
        {name: _limits(study, scene, view) for name, view in views.items()},
        time.perf_counter() - start,
    )
