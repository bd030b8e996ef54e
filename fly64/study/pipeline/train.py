"""The train stage: one cell's PINN trained on its view's training groups, run on its test split."""

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from fly64.data.dataset import open_dose_dataset
from fly64.data.store import CHECKPOINT, Store
from fly64.metrics.health import health_checks
from fly64.models import (
    PINN,
    GroupSet,
    PatternReader,
    TrainOptions,
    amplitude_scale,
    anchored_groups,
    fit,
    flat_field,
    noise_floor_ratio,
    predict_windows,
    save_checkpoint,
    split_validation,
    stitch,
    synchronise_levels,
)
from fly64.physics import default_device
from fly64.reporting import Reporter
from fly64.study.pipeline.overlap import load_current_view
from fly64.study.records.cell_result import CellResult, timing
from fly64.study.settings.cells import Cell
from fly64.study.settings.methods import Method
from fly64.study.settings.model import Study, StudyError
from fly64.study.settings.options import options_from


def train_options(study: Study, cell: Cell) -> TrainOptions:
    """The training loop's options: the study's settings of them, the cell's seed."""
    return options_from(study, TrainOptions, seed=cell.seed)


@dataclass
class CellData:
    """What training one PINN cell needs, read from the store (counts stay lazy).

    train, validation : the view's training groups (a seeded ``validation_fraction`` held out;
        validation None when it is 0); test : one group anchored at each test position.
    positions : int (n, 2) (y, x) window centres of the whole dose dataset, object pixels.
    probe : complex64 (N, N) photon-scaled probe; truth : complex64 (H, W) object.
    test_indices : int (m,) the view's test positions (pattern indices), in stitching order.
    scale : the input normalisation (:func:`fly64.models.amplitude_scale`).
    """

    train: GroupSet
    validation: GroupSet | None
    test: GroupSet
    positions: np.ndarray
    probe: np.ndarray
    truth: np.ndarray
    test_indices: np.ndarray
    scale: float

    def reconstruct(self, model: PINN, device: torch.device, stitching: str = "weighted") -> dict:
        """The stitched test-split object and its weights, ``{"object", "weights"}``.

        ``stitching``: ``"weighted"`` or ``"synchronised"`` (patch levels fixed from overlaps
        first).
        """
        windows = predict_windows(model, self.test, device)
        probe = model.probe.detach().cpu().numpy()
        support = model.physics.support.cpu().numpy()
        positions = self.positions[self.test_indices]
        if stitching == "synchronised":
            windows = (
                windows
                * np.exp(-1j * synchronise_levels(windows, positions, probe, support))[
                    :, None, None
                ]
            )
        obj, weights = stitch(windows, positions, probe, self.truth.shape, support)
        return {"object": obj, "weights": weights}


def prepare_cell(study: Study, store: Store, cell: Cell) -> CellData:
    """Open the cell's dose dataset and view and set up its groups (StudyError if out of date)."""
    ds = open_dose_dataset(store.dose_path(cell.dose, cell.seed))  # the repeat's own counts
    view = load_current_view(store, study, cell.dose, cell.view, before="training")
    gridsize = cell.gridsize
    if gridsize not in view.groups.get("train", {}) or gridsize not in view.groups.get("test", {}):
        raise StudyError(
            f"view {cell.view!r} of dose {cell.dose:g} has no gridsize-{gridsize} groups; "
            f"add {gridsize} to gridsizes and run `fly64 overlap` again"
        )
    positions, probe = ds["positions"].values, ds["probe"].values
    test_indices = view.indices["test"]
    test_groups = anchored_groups(test_indices, view.groups["test"][gridsize])
    train_groups = view.groups["train"][gridsize]
    reader = PatternReader(
        ds["counts"], np.concatenate([train_groups.ravel(), test_groups.ravel()])
    )
    scale = amplitude_scale(float(ds.attrs["dose"]), probe.shape[-1])
    train, validation = split_validation(
        GroupSet.from_groups(train_groups, positions, reader, scale),
        study.validation_fraction,
        cell.seed,
    )
    test = GroupSet.from_groups(test_groups, positions, reader, scale)
    return CellData(
        train, validation, test, positions, probe, ds["object"].values, test_indices, scale
    )


def build_model(study: Study, data: CellData, gridsize: int, seed: int) -> PINN:
    """The cell's PINN, initialised from ``seed`` (same seed, same weights), its flat field
    taken from the training groups."""
    torch.manual_seed(seed)
    model = PINN(
        torch.from_numpy(data.probe),
        gridsize,
        study.model_width,
        study.model_depth,
        study.train_probe,
    )
    model.net.set_flat_field(*flat_field(data.train))
    return model


def train_cell(
    study: Study, store: Store, cell: Cell, reporter: Reporter | None, job_dir: Path
) -> CellResult:
    """Train one PINN cell and stitch its test-split reconstruction.

    Trains on exactly the view's training groups of the cell's gridsize (a seeded
    ``validation_fraction`` of them held out), then predicts one patch per test position
    (for gridsize 2, through the test group anchored at it) and stitches the patches onto
    the ground-truth canvas with |P|² weights. Writes ``job_dir/checkpoint.pt`` (state dict).
    Deterministic on CPU for fixed settings and seed; runs on CUDA when available.

    Returns
    -------
    CellResult with the object complex64 (H, W), weights float32 (H, W), the per-epoch
    losses, health flags and info (epochs, seconds, group and position counts, device).
    """
    if cell.method != Method.PINN:
        raise StudyError(
            f"train_cell trains PINN cells; got method {cell.method!r} ({cell.job_id})"
        )
    reporter = reporter or Reporter()
    started = time.perf_counter()
    data = prepare_cell(study, store, cell)
    device = default_device()
    model = build_model(study, data, cell.gridsize, cell.seed)
    train, validation = data.train, data.validation
    reporter.progress(0.0, f"training {cell.label} on {len(train)} groups ({device})")
    result = fit(
        model,
        train,
        validation,
        train_options(study, cell),
        reporter,
        device,
        lambda: data.reconstruct(model, device, study.stitching),
    )
    job_dir = Path(job_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    save_checkpoint(model, job_dir / CHECKPOINT)
    inference_started = time.perf_counter()
    final = data.reconstruct(model, device, study.stitching)
    inference_seconds = time.perf_counter() - inference_started
    health = health_checks(  # on the default lit region: the flags follow only this cell's settings
        result.losses,
        final["object"],
        final["weights"],
        data.truth,
        mask_threshold=Study.param.mask_threshold.default,
        illumination_unit=float((model.probe.detach().abs() ** 2).max()),
        noise_floor=noise_floor_ratio(model, validation or train, device),
    )
    info = {
        "epochs_run": len(result.losses),
        "best_epoch": result.best_epoch,
        "stopped_early": result.stopped_early,
        "stop_reason": result.stop_reason,
        "seconds": time.perf_counter() - started,
        **timing(
            sum(row["seconds"] for row in result.losses), inference_seconds, len(data.test_indices)
        ),
        "n_train_groups": len(train),
        "n_validation_groups": len(validation) if validation else 0,
        "n_test_positions": len(data.test_indices),
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "unet_precision": "bfloat16" if model.net.bfloat16(device) else "float32",
        "input_scale": data.scale,
        "parameters": sum(p.numel() for p in model.parameters()),
        "checkpoint": CHECKPOINT,
        "stitching": study.stitching,
    }
    reporter.progress(1.0, f"trained {cell.label}: {len(result.losses)} epochs")
    return CellResult(final["object"], final["weights"], result.losses, health, info)
