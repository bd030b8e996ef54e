"""Study layer: the study model, the pipeline of stages, the job records, running, displays.

Sub-packages, each importing only the ones before it (and the lower layers of fly64):

``settings``
    the :class:`Study` model, its setting types, presets, stages and cells;
``records``
    what jobs leave in the store and reading it back: job files, cell results, the
    comparison cube and its tables, the job registry;
``pipeline``
    each stage's computation (simulate, overlap, train, reconstruct, compare) and job entry;
``display``
    what a person reads or takes away: store summaries, the set-up preview, the HTML
    report, Ptychodus products;
``execution``
    the workspace, the runner, the run-time estimate, a job's process and the executors;
``cli``
    the ``fly64`` command.

The names below are the public API (what the app and the notebooks use); each is imported
on first use (`lazy_loader <https://scientific-python.org/specs/spec-0001/>`_), so importing
:mod:`fly64.study` costs nothing until a name is read.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "settings.model": ["Choices", "Doses", "Study", "StudyError", "Views"],
        "settings.presets": ["PRESETS"],
        "settings.cells": ["Cell", "iter_cells", "select_cells"],
        "settings.stages": ["STAGES"],
        "records.jobs": ["JobState"],
        "records.registry": [
            "JobStatus",
            "Registry",
            "finished_cells",
            "health_text",
            "load_snapshot",
            "read_events",
        ],
        "records.cell_result": ["TIMING_FIELDS", "load_result"],
        "records.cube": ["PHASE_BOUNDS", "NoResultsError", "load_cube", "stale_reasons"],
        "records.cube_tables": [
            "best_iterative_choices",
            "differences",
            "frc_band_table",
            "phase_against_limit",
            "quality_time",
            "shot_noise_limits",
            "speedups",
            "timing_table",
        ],
        "pipeline.simulate": ["simulate_study"],
        "pipeline.overlap": ["InfeasibleViewError", "cut_views"],
        "pipeline.train": ["prepare_cell", "train_cell"],
        "pipeline.reconstruct": ["reconstruct_cell"],
        "pipeline.warm_start": ["warm_start_reading"],
        "display.aggregate": ["aggregate"],
        "display.html_report": ["write_study_report"],
        "display.preview": ["PATTERN_SCALES", "Preview", "preview_study"],
        "display.geometry": ["ProbeCircle", "image_bounds", "probe_circles"],
        "display.preview_figures": ["preview_figures", "preview_layout", "probe_circles_overlay"],
        "display.products": ["product_name", "write_cell_product"],
        "display.store_summary": [
            "SceneSummary",
            "change_stamp",
            "dose_dataset",
            "dose_summary",
            "ground_truth",
            "pattern",
            "scene_summary",
            "simulated_doses",
        ],
        "display.view_summary": ["available_views", "overlap_summary", "split_box"],
        "display.result_summary": ["frc_curves", "result_files", "warm_start_rows"],
        "execution.estimate": ["RunEstimate", "estimate_run"],
        "execution.executors": ["LocalExecutor"],
        "execution.planning": ["plan_jobs"],
        "execution.runner": ["StudyRunner"],
        "execution.workspace": ["load_store_study", "prepare_store", "read_store_study"],
    },
)
