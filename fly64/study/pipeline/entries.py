"""The job entry of each stage: ``function(study, store, params, reporter, job_dir)``.

Each wraps one stage function for one dose, view or cell and runs in the job's own
process (:func:`fly64.study.execution.job_process.run_job`); :data:`JOB_FUNCTIONS` maps each
job kind (:attr:`fly64.study.settings.stages.Stage.job_kind`) to its entry. Stage modules are
imported inside the entries so a job process loads only what its stage needs.
"""

from pathlib import Path

from fly64.data.store import Store
from fly64.reporting import Reporter
from fly64.study.settings.cells import Cell
from fly64.study.settings.model import Study


def simulate_job(
    study: Study, store: Store, params: dict, reporter: Reporter, job_dir: Path
) -> dict:
    """The simulate stage for ``params["dose"]`` and repeat ``params["repeat"]`` (0 when absent)."""
    from fly64.study.pipeline.simulate import simulate_study

    def tick(dose, done, total):
        reporter.progress(done / total, f"{done}/{total} patterns")
        reporter.check_cancel()

    [(_, path, skipped)] = simulate_study(
        study, store, doses=[params["dose"]], progress=tick, repeats=[params.get("repeat", 0)]
    )
    return {"path": str(path), "skipped": skipped}


def overlap_job(
    study: Study, store: Store, params: dict, reporter: Reporter, job_dir: Path
) -> dict:
    """The overlap stage for ``params["dose"]`` and ``params["view"]``; see :func:`view_summary`."""
    from fly64.study.pipeline.overlap import cut_views

    [(record, reused)] = cut_views(study, store, doses=[params["dose"]], views=[params["view"]])
    return {**view_summary(record), "reused": reused}


def train_job(study: Study, store: Store, params: dict, reporter: Reporter, job_dir: Path):
    """The train stage: train the PINN of one cell; returns its CellResult."""
    from fly64.study.pipeline.train import train_cell

    return train_cell(study, store, Cell(**params["cell"]), reporter, job_dir)


def reconstruct_job(study: Study, store: Store, params: dict, reporter: Reporter, job_dir: Path):
    """The reconstruct stage: the iterative baseline of one cell; returns its CellResult."""
    from fly64.study.pipeline.reconstruct import reconstruct_cell

    return reconstruct_cell(study, store, Cell(**params["cell"]), reporter, job_dir)


def refine_job(study: Study, store: Store, params: dict, reporter: Reporter, job_dir: Path):
    """The refine stage: an iterative solver started from one cell's trained PINN; returns its
    CellResult."""
    from fly64.study.pipeline.reconstruct import reconstruct_cell

    return reconstruct_cell(study, store, Cell(**params["cell"]), reporter, job_dir)


def compare_job(
    study: Study, store: Store, params: dict, reporter: Reporter, job_dir: Path
) -> dict:
    """The evaluate stage over every finished cell of the store.

    The summary's ``cells`` (job id → finish time of each result compared) tells the
    runner whether a later comparison would see anything new.
    """
    from fly64.study.pipeline.compare import compare_study
    from fly64.study.records.registry import Registry, cell_finish_times

    cells = cell_finish_times(Registry(store), study)
    comparison = compare_study(study, store, reporter)
    return {
        "cells": cells,
        "scored": comparison.cells,
        "not_scored": comparison.failed,
        "cube": str(comparison.cube),
        "figures": [str(p) for p in comparison.figures],
    }


#: the entry each job kind runs
JOB_FUNCTIONS = {
    "simulate": simulate_job,
    "overlap": overlap_job,
    "train": train_job,
    "reconstruct": reconstruct_job,
    "refine": refine_job,
    "compare": compare_job,
}


def view_summary(record) -> dict:
    """Per split: positions kept, median nearest-neighbour spacing (px), measured overlap."""
    out = {"dose": record.dose, "view": record.view, "spacing": record.spacing}
    for split, diag in record.diagnostics.items():
        out[split] = {
            "positions": int(diag["accepted"]),
            "median_spacing_px": float(diag["view_nn_median"]),
            "disc_overlap": float(diag["disc_overlap_mean"]),
            "linear_overlap": float(diag["linear_overlap_median"]),
        }
    return out
