"""The pipeline's stages, declared once: what each depends on, where its results go, its jobs.

A study runs six stages: simulate → overlap → train (the PINN) and reconstruct (the
iterative baselines) → refine (a solver started from the PINN's reconstruction) → evaluate.
Each is a function of (settings, inputs) → outputs, run from Python, from its CLI
sub-command or as a job (see ``docs/architecture.md#stages``).
The settings model (:mod:`fly64.study.settings.model`: each stage's settings hash), the store
(:mod:`fly64.study.execution.workspace`: what ``--force`` archives), the runner (job kinds),
the CLI and the app's settings form all read :data:`STAGES`; what each job kind runs is the
pipeline's (:data:`fly64.study.pipeline.entries.JOB_FUNCTIONS`).

**The original study's letters.** The study fly64 reproduces called its stages phases A–G,
and old notes use the letters: A is the design (here the ``Study`` model and its
validation), B the dataset-contract validator (here ``validate_dose_dataset``, run on
every dataset write and open: no stage), and C–G are the stages below (``letter``; the
refinement, which the original study did not have, shares F with the baseline).
Everywhere else fly64 says "stage"; "phase" is the optical phase.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline.

    name : the stage (``simulate``, ``overlap``, ``train``, ``reconstruct``, ``refine``,
        ``evaluate``).
    title : its heading in the app's settings form.
    letter : its letter in the original study (C–G; see the module docstring).
    upstream : the earlier stages whose results it reads; its settings hash covers their
        settings and its own (:attr:`covers`).
    settings : the study settings this stage is the first to use (the grid axes ``doses``,
        ``methods`` and ``repeats`` belong to none: a cell's identity carries them).
    folders : the store folders holding its results (relative to the store root); train
        and reconstruct keep theirs in their job directories.
    job_kind : the ``kind`` of its jobs in ``job.json`` (the function they run:
        :data:`fly64.study.pipeline.entries.JOB_FUNCTIONS`).
    command : its ``fly64`` sub-command.
    """

    name: str
    title: str
    letter: str
    upstream: tuple[str, ...]
    settings: tuple[str, ...]
    folders: tuple[str, ...]
    job_kind: str
    command: str

    @property
    def covers(self) -> tuple[str, ...]:
        """The stages whose settings this stage's settings hash covers: its upstream and itself."""
        return (*self.upstream, self.name)


#: every stage, by name, in pipeline order
STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage(
            "simulate",
            title="Simulate",
            letter="C",
            upstream=(),
            settings=(
                "patch_size",
                "object_size",
                "object",
                "object_npz",
                "probe_file",
                "object_file",
                "photon_energy_ev",
                "detector_distance_m",
                "detector_pixel_size_m",
                "probe",
                "probe_pupil_radius",
                "probe_defocus",
                "scan_step",
                "scan_jitter",
                "guard_rows",
                "simulation_seed",
            ),
            folders=("doses",),
            job_kind="simulate",
            command="simulate",
        ),
        Stage(
            "overlap",
            title="Overlap views",
            letter="D",
            upstream=("simulate",),
            settings=(
                "views",
                "spacing_basis",
                "min_positions",
                "gridsizes",
                "neighbor_count",
                "groups_per_position",
                "grouping_seed",
                "subsample_seed",
            ),
            folders=("views",),
            job_kind="overlap",
            command="overlap",
        ),
        Stage(
            "train",
            title="PINN training",
            letter="E",
            upstream=("simulate", "overlap"),
            settings=(
                "epochs",
                "batch_size",
                "learning_rate",
                "model_width",
                "model_depth",
                "validation_fraction",
                "patience",
                "train_probe",
                "mae_weight",
                "stitching",
                "snapshot_every",
            ),
            folders=(),
            job_kind="train",
            command="train",
        ),
        Stage(
            "reconstruct",
            title="Iterative baseline",
            letter="F",
            upstream=("simulate", "overlap"),
            settings=(
                "baseline_epochs",
                "baseline_batch_size",
                "baseline_chunk",
                "baseline_free_probe",
                "baseline_snapshot_every",
                "baseline_holdout_fraction",
                "baseline_stop_patience",
                "baseline_tv_weight",
            ),
            folders=(),
            job_kind="reconstruct",
            command="reconstruct",
        ),
        Stage(
            "refine",
            title="PINN-initialised refinement",
            letter="F",
            upstream=("simulate", "overlap", "train", "reconstruct"),
            settings=(),
            folders=(),
            job_kind="refine",
            command="refine",
        ),
        Stage(
            "evaluate",
            title="Evaluation",
            letter="G",
            upstream=("simulate", "overlap", "train", "reconstruct", "refine"),
            settings=("mask_threshold", "phase_ramp"),
            folders=("results",),
            job_kind="compare",
            command="compare",
        ),
    )
}


#: settings that only label exported files (the geometry): they change no result, so they are
#: in no settings hash (changing them re-runs and archives nothing)
UNHASHED = frozenset({"photon_energy_ev", "detector_distance_m", "detector_pixel_size_m"})
#: input files added after stores existed: left out of every hash while empty, so the results
#: made before them keep their hashes
HASHED_WHEN_SET = frozenset({"probe_file", "object_file"})


def stage_of_kind(kind: str) -> Stage | None:
    """The stage whose jobs are of ``kind`` (``"compare"``: evaluate); None for other kinds."""
    return next((s for s in STAGES.values() if s.job_kind == kind), None)


def hashed_settings(name: str) -> list[str]:
    """The settings (sorted) a stage's results depend on: its own and its upstream stages'."""
    return sorted(
        {n for covered in STAGES[name].covers for n in STAGES[covered].settings} - UNHASHED
    )
