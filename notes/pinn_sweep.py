"""Train one PINN cell of a finished store's study with chosen settings and score it like the
comparison.

The measurement behind the PINN's preset (issue 18): epochs, batch, learning rate and width
are picked from these runs. Prints one line per epoch (train / validation loss, learning rate,
seconds) and the test-split scores (phase and amplitude correlation, local correlation, SSIM),
with training and inference seconds.

Usage: ``.venv/bin/python notes/pinn_sweep.py STORE --dose 1e5 [--view dense] [--gridsize 1]
[--set epochs=20 learning_rate=3e-3 ...]`` (STORE simulated and cut, e.g. by ``fly64 overlap``).
"""

import argparse
import time

import numpy as np
import torch
import yaml

from fly64.metrics import evaluate, footprint_core
from fly64.models import STITCHING, fit, noise_floor_ratio
from fly64.physics import default_device
from fly64.study.execution.workspace import load_store_study
from fly64.study.pipeline.cell_scoring import local_scores
from fly64.study.pipeline.train import build_model, prepare_cell, train_options
from fly64.study.settings.cells import Cell


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--dose", type=float, required=True)
    parser.add_argument("--view", default="dense")
    parser.add_argument("--gridsize", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], help="train settings as name=value")
    args = parser.parse_args()
    torch.set_num_threads(1)
    store, study = load_store_study(args.store)
    for item in args.set:
        name, value = item.split("=", 1)
        setattr(study, name, yaml.safe_load(value))
    cell = Cell(args.dose, args.view, "pinn", args.gridsize, args.seed)
    data = prepare_cell(study, store, cell)
    device = default_device()
    model = build_model(study, data, args.gridsize, args.seed)
    started = time.perf_counter()
    result = fit(model, data.train, data.validation, train_options(study, cell), device=device)
    trained = time.perf_counter() - started
    for row in result.losses:
        print(
            f"epoch {row['epoch']:3d}  train {row['train']:.4f}  "
            f"val {row['validation'] or float('nan'):.4f}"
            f"  lr {row['lr']:.1e}  {row['seconds']:.1f} s"
        )
    for stitching in STITCHING:
        started = time.perf_counter()
        final = data.reconstruct(model, device, stitching)
        inferred = time.perf_counter() - started
        ev = evaluate(
            data.truth,
            final["object"],
            final["weights"],
            mask_threshold=study.mask_threshold,
            illumination_unit=float(np.abs(data.probe).max() ** 2),
        )
        core = footprint_core(data.probe.shape[-1], study.footprint)
        local = local_scores(data.truth, ev, data.positions[data.test_indices], core)
        floor = noise_floor_ratio(model, data.validation or data.train, device)
        print(
            f"{args.view} gs{args.gridsize} dose {args.dose:g} {' '.join(args.set)} [{stitching}]: "
            f"phase corr {ev.phase.correlation:.3f} local {local['phase']:.3f} "
            f"ssim {ev.phase.ssim:.3f} | "
            f"amplitude corr {ev.amplitude.correlation:.3f} local {local['amplitude']:.3f} | "
            f"NLL/floor {floor['ratio']:.2f} | "
            f"best epoch {result.best_epoch}/{len(result.losses)}, "
            f"train {trained:.0f} s, inference {inferred:.2f} s "
            f"({len(data.test_indices)} test positions, {len(data.train)} train groups)",
            flush=True,
        )


if __name__ == "__main__":
    main()
