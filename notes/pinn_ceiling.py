"""How well could a patch-wise method
(one pattern or one group at a time) do on a study's test split?

The measurement behind issue 4's block (see the session-3 closing note). No network: the amplitude
and phase of every test patch are free pixels, started flat (1, 0), fitted by Adam to the Poisson
NLL of the measured counts through the PINN's own forward model (for gridsize 2 its in-group
reassembly), then stitched like the PINN and scored like the health check (test split, mask × probe
peak) three ways: raw; with the patches' phase levels fixed from their overlaps (eigenvector
synchronisation); and with each level taken from the truth (an oracle, sizing what the levels alone
are worth).

Usage: ``.venv/bin/python notes/pinn_ceiling.py STORE [--view dense] [--gridsize 1] [--steps 100]``
(STORE simulated and cut, e.g. by ``fly64 overlap``). Prints one line per dose.
"""

import argparse

import numpy as np
import torch

from fly64.metrics.health import health_checks
from fly64.models import poisson_nll, stitch, synchronise_levels
from fly64.models.physics import ForwardModel
from fly64.physics import extract_windows
from fly64.study.execution.workspace import load_store_study
from fly64.study.pipeline.train import prepare_cell
from fly64.study.settings.cells import Cell


def ceiling(store, study, dose: float, view_name: str, gridsize: int, steps: int) -> dict:
    """Phase correlation of the stitched free-pixel retrieval: raw, synchronised, oracle levels."""
    data = prepare_cell(study, store, Cell(dose, view_name, "pinn", gridsize, 0))
    batch = data.test.batch(np.arange(len(data.test)), torch.device("cpu"))
    physics = ForwardModel(torch.from_numpy(data.probe))
    amplitude = torch.ones(batch.counts.shape, requires_grad=True)
    phase = torch.zeros(batch.counts.shape, requires_grad=True)
    optimiser = torch.optim.Adam([amplitude, phase], lr=0.02)
    for _ in range(steps):
        rates, _ = physics(torch.polar(amplitude, phase), batch.offsets)
        loss = poisson_nll(rates, batch.counts)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    with torch.no_grad():
        patches = physics(torch.polar(amplitude, phase), batch.offsets)[1][:, 0].numpy()
    centres, truth, probe = data.positions[data.test_indices], data.truth, data.probe
    truths = extract_windows(
        torch.from_numpy(truth), torch.from_numpy(centres), probe.shape[-1]
    ).numpy()
    weight = np.abs(probe) ** 2
    oracle = (
        patches
        * np.exp(-1j * np.angle((weight * patches * truths.conj()).sum((1, 2))))[:, None, None]
    )
    unit = float(weight.max())

    def score(p):
        obj, weights = stitch(p, centres, probe, truth.shape)
        return health_checks(
            [], obj, weights, truth, mask_threshold=study.mask_threshold, illumination_unit=unit
        )["phase_correlation"]

    return {
        "raw": score(patches),
        "synchronised": score(
            patches * np.exp(-1j * synchronise_levels(patches, centres, probe))[:, None, None]
        ),
        "oracle": score(oracle),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store")
    parser.add_argument("--view", default="dense")
    parser.add_argument("--gridsize", type=int, default=1, choices=(1, 2))
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    store, study = load_store_study(args.store)
    for dose in study.doses:
        scores = ceiling(store, study, dose, args.view, args.gridsize, args.steps)
        print(
            f"dose {dose:g} {args.view} gs{args.gridsize}: "
            + "  ".join(f"{k} {v:.3f}" for k, v in scores.items()),
            flush=True,
        )


if __name__ == "__main__":
    main()
