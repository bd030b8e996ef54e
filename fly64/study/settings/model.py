"""The study model: every setting of a dose × overlap study, in one param model.

Widgets, CLI flags and job manifests are all generated from this class. Each setting
belongs to the stage that first uses it (:data:`fly64.study.settings.stages.STAGES`); a stage's
hash covers its own settings and those of its upstream stages, so a result is reused only
when all its inputs agree.
The settings of the PINN's training loop and of the iterative baseline are defined, with
their defaults and docs, by those stages' options (:mod:`fly64.study.settings.options`).
"""

import numpy as np
import param

from fly64.baseline.settings import SolverSettings
from fly64.data.geometry import Geometry
from fly64.metrics.evaluate import MASK_THRESHOLD
from fly64.models.stitch import STITCHING
from fly64.models.train import TrainOptions
from fly64.physics import footprint_diameter
from fly64.physics.object import OBJECTS
from fly64.physics.probe import PROBES
from fly64.study.settings.checks import MIN_SCAN_STEP, check_settings, setting_warnings
from fly64.study.settings.methods import BASELINES, METHODS
from fly64.study.settings.options import option_param
from fly64.study.settings.probe_input import cached_probe, file_key
from fly64.study.settings.study_dict import StudyDict
from fly64.study.settings.study_file import StudyFile
from fly64.study.settings.types import SEED_BOUNDS, Choices, Doses, StudyError, Views


class Study(StudyFile, StudyDict, param.Parameterized):
    """A dose × overlap × gridsize × method × seed study (defaults follow the original study).

    Fields are grouped by the stage that first uses them
    (:data:`~fly64.study.settings.stages.STAGES` lists each stage's settings). The settings
    as a dict, the presets and the settings hash are
    :class:`~fly64.study.settings.study_dict.StudyDict`'s methods, the study files
    :class:`~fly64.study.settings.study_file.StudyFile`'s.
    """

    # --- simulate stage (and the dose axis)
    doses = Doses([1e3, 1e4, 1e5], precedence=1, doc="Expected photons per diffraction pattern.")
    patch_size = param.Integer(64, bounds=(16, 256), doc="Detector / probe window side N, pixels.")
    object_size = param.Integer(
        512,
        bounds=(32, 8192),
        doc="Side of the square test object, pixels (ignored with object_npz or object_file).",
    )
    object = param.Selector(
        objects=list(OBJECTS),
        default="probe_scale",
        doc="Built-in test object: 'probe_scale' (features from a few px to ≈ 2·D, most phase "
        "variance at periods below 2·D, amplitude independent of phase) or 'coarse' (the seed "
        "study's 1/f object whose amplitude copies its phase). Ignored with object_npz or "
        "object_file.",
    )
    object_npz = param.String(
        "", doc="Optional PtychoPINN NPZ whose objectGuess and probeGuess drive the simulation."
    )
    probe_file = param.String(
        "",
        doc="Optional CXI file or Ptychodus HDF5 product whose probe (one mode, patch_size "
        "side) drives the simulation, scaled to Σ|P|² = 1 like the built-in probe; it wins over "
        "object_npz's probeGuess and the built-in probe.",
    )
    object_file = param.String(
        "",
        doc="Optional CXI file or Ptychodus HDF5 product whose object (one layer) is the ground "
        "truth; it wins over object_npz's objectGuess and the built-in object.",
    )
    photon_energy_ev = param.Number(
        8000.0,
        bounds=(10.0, 1e6),
        doc="Photon energy, eV, recorded in exported CXI files and products (with the detector "
        "it gives the object pixel λ·z / (N·p) and positions in metres); changes no result.",
    )
    detector_distance_m = param.Number(
        2.0,
        bounds=(1e-3, 1e3),
        doc="Sample-to-detector distance, m, recorded in exported files; changes no result.",
    )
    detector_pixel_size_m = param.Number(
        75e-6,
        bounds=(1e-7, 1e-2),
        doc="Detector pixel side, m (75 µm: an Eiger), recorded in exported files; changes no "
        "result.",
    )
    probe = param.Selector(
        objects=list(PROBES),
        default="defocused",
        doc="Built-in probe: 'defocused' (soft-edged defocused pupil, D₉₀ ≈ 0.35·N, ≥ 99 % of |P|² "
        "inside N/2) or 'focused' (the seed study's Airy spot, D₉₀ ≈ 0.65·N, tails past N/2). "
        "Ignored with object_npz or probe_file.",
    )
    probe_pupil_radius = param.Number(
        None,
        bounds=(0.5, None),
        allow_None=True,
        doc="Pupil radius of the built-in probe, Fourier pixels; empty = the probe's design "
        "(defocused 0.325·N, focused 16/3). A smaller pupil makes a wider focus.",
    )
    probe_defocus = param.Number(
        None,
        bounds=(0.0, None),
        allow_None=True,
        doc="Quadratic pupil phase at the pupil radius, radians; empty = the probe's design "
        "(defocused 0.18·N, focused 4). More defocus makes a wider beam.",
    )
    scan_step = param.Number(
        None,
        bounds=(0.5, None),
        allow_None=True,
        doc="Pitch of the base raster the views are cut from, pixels; empty = half the densest "
        "view's spacing S (fine enough for the greedy cut to reach S).",
    )
    scan_jitter = param.Number(
        1.0, bounds=(0, None), doc="Uniform jitter of base positions, ± pixels."
    )
    guard_rows = param.Integer(
        4,
        bounds=(0, None),
        doc="Unilluminated rows between the train (top) and test (bottom) splits.",
    )
    simulation_seed = param.Integer(
        42, bounds=SEED_BOUNDS, doc="Seed of scan jitter and Poisson noise."
    )

    # --- overlap stage
    views = Views(
        {"dense": 0.7, "sparse": 0.2},
        doc="Linear overlap f per view: minimum centre spacing S = (1 − f)·D, "
        "D the probe footprint.",
    )
    spacing_basis = param.Selector(
        objects=["footprint", "window"],
        default="footprint",
        doc="What a view's overlap f is measured against: 'footprint' (S = (1 − f)·D, as "
        "ptychographers define overlap) or 'window' (S = (1 − f)·N, the seed study's rule).",
    )
    min_positions = param.Integer(
        16, bounds=(2, None), doc="Fewest positions a view must keep per split for any method."
    )
    gridsizes = Choices(
        [1, 2], allowed=(1, 2), item_type=int, doc="PINN groups of C = gridsize² patterns."
    )
    neighbor_count = param.Integer(
        7, bounds=(1, 64), doc="K nearest neighbours pooled for grouping (K ≥ C)."
    )
    groups_per_position = param.Integer(
        1, bounds=(1, 16), doc="Gridsize-2 training groups per position (K-choose-C oversampling)."
    )
    grouping_seed = param.Integer(123, bounds=SEED_BOUNDS, doc="Seed of group selection.")
    subsample_seed = param.Integer(456, bounds=SEED_BOUNDS, doc="Seed of the greedy view order.")

    # --- train stage, the PINN (and the method and repeat axes)
    methods = Choices(
        [str(method) for method in METHODS],
        allowed=METHODS,
        item_type=str,
        doc="Methods compared: 'pinn' (one cell per gridsize), the iterative baselines "
        "'lsqml', 'epie', 'rpie' (flat start, stopped by the held-out rule) and the "
        "PINN-initialised refinements 'pinn+lsqml', 'pinn+epie' (need 'pinn').",
    )
    repeats = param.List(
        [0],
        item_type=int,
        doc="Repeat seeds (error bars): repeat r is an independent experiment — "
        "its own Poisson counts at every dose (scan, object and probe shared), "
        "its own PINN initialisation and shuffling, "
        "the baseline run on its data. Adding a repeat runs only its jobs.",
    )
    epochs = option_param(TrainOptions, "epochs", bounds=(1, 10000))
    batch_size = option_param(TrainOptions, "batch_size", bounds=(1, 4096))
    learning_rate = option_param(TrainOptions, "learning_rate", bounds=(1e-6, 1.0))
    model_width = param.Integer(8, bounds=(2, 256), doc="Channels of the PINN U-Net's first level.")
    model_depth = param.Integer(
        3,
        bounds=(1, 6),
        doc="Levels of the PINN U-Net; patch_size / 2 must be divisible by 2^depth.",
    )
    validation_fraction = param.Number(
        0.1, bounds=(0.0, 0.5), doc="Training groups held out for validation."
    )
    patience = option_param(TrainOptions, "patience", bounds=(1, 1000))
    train_probe = param.Boolean(False, doc="Let the PINN refine the probe (default: known, fixed).")
    mae_weight = option_param(TrainOptions, "mae_weight", bounds=(0.0, None))
    stitching = param.Selector(
        objects=list(STITCHING),
        default="weighted",
        doc="How PINN patches are joined on the test canvas: 'weighted' (|P|²-weighted mean) or "
        "'synchronised' (each patch's phase level first fixed from its overlaps; no ground truth).",
    )
    snapshot_every = option_param(TrainOptions, "snapshot_every", bounds=(1, 1000))

    # --- reconstruct stage, the iterative baseline
    baseline_epochs = option_param(SolverSettings, "epochs", bounds=(1, 10000))
    baseline_batch_size = option_param(SolverSettings, "batch_size", bounds=(1, 4096))
    baseline_chunk = option_param(SolverSettings, "chunk", bounds=(1, 1000))
    baseline_snapshot_every = option_param(SolverSettings, "snapshot_every", bounds=(1, 1000))
    baseline_free_probe = option_param(SolverSettings, "free_probe")
    baseline_holdout_fraction = option_param(SolverSettings, "holdout_fraction", bounds=(0.0, 0.5))
    baseline_stop_patience = option_param(SolverSettings, "stop_patience", bounds=(1, 10000))
    baseline_tv_weight = param.Number(
        0.01,
        bounds=(0.0, 1.0),
        doc="Weight of pty-chi's object total-variation constraint in the 'lsqml_tv' baseline "
        "(the held-out rule then chooses between it and plain 'lsqml' per cell). Standard grid, "
        "dense 1e3: held-out NLL 0.2544 against 0.2591 for ePIE, phase correlation 0.711 "
        "against 0.558 (notes/science_v3.md has the sweep).",
    )

    # --- evaluate stage
    mask_threshold = param.Number(
        MASK_THRESHOLD,
        bounds=(0.001, 1.0),
        doc="Evaluate where illumination Σ|P|² ≥ this fraction of one probe's peak intensity.",
    )
    phase_ramp = param.Boolean(False, doc="Also remove a linear phase ramp before scoring.")

    # ----------------------------------------------------- derived values
    def make_probe(self) -> np.ndarray:
        """The probe the study simulates with (``probe_file``'s, the NPZ's, or the built-in
        one): a fresh copy, complex64 (N, N), Σ|P|² = 1 for a built-in or file probe."""
        npz = file_key("object_npz", self.object_npz)
        probe_file = file_key("probe_file", self.probe_file)
        try:
            return cached_probe(
                self.patch_size,
                self.probe,
                self.probe_pupil_radius,
                self.probe_defocus,
                None if probe_file else npz,
                probe_file,
            ).copy()
        except ValueError as exc:
            field = "probe_file" if probe_file else "object_npz" if npz else "probe"
            raise StudyError(f"{field}: {exc}") from exc

    @property
    def geometry(self) -> Geometry:
        """The set-up exported files record (photon energy, detector distance and pixel)."""
        return Geometry(self.photon_energy_ev, self.detector_distance_m, self.detector_pixel_size_m)

    @property
    def footprint(self) -> float:
        """The probe footprint D₉₀ (pixels): diameter of the centred disc holding 90 % of |P|²."""
        return footprint_diameter(self.make_probe())

    def spacing(self, view: str) -> float:
        """Minimum centre spacing S = (1 − f)·D of a view (or
        (1 − f)·N on the window basis), pixels.
        """
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
        return max(round(min(self.spacings.values()) / 2, 3), MIN_SCAN_STEP)

    @property
    def baseline_methods(self) -> list[str]:
        return [m for m in self.methods if m in BASELINES]

    # ----------------------------------------------------- validation
    def validate(self) -> "Study":
        """Cross-field checks (single fields are checked as they are set). Returns self."""
        check_settings(self)
        return self

    def warnings(self) -> list[str]:
        """Set-ups that run but break an assumption of a method, each ``"field: message"``."""
        return setting_warnings(self)

    def linear_overlap(self, view: str) -> float:
        """The overlap 1 − S/D a view's spacing S allows against the footprint D
        (any spacing basis).
        """
        return 1 - self.spacing(view) / self.footprint
