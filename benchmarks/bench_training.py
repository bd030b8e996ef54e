"""PINN training throughput (gridsize 1 and 2) and the full loop's overhead, in one run.

* bare: the network, optimiser and batches of the standard preset stepping on tensors
  already in memory (forward, Poisson loss, backward, Adam step; nothing else);
* loop: :func:`fly64.models.fit` as ``train_cell`` runs it, set up by the same
  :func:`fly64.study.train.prepare_cell` (counts read from the zarr store by
  :class:`~fly64.models.PatternReader`, included in the time), a loss event per epoch, no
  snapshots (no validation slice in either measurement);
* loop + snapshots: the same plus a stitched test reconstruction every ``snapshot_every``
  epochs (the standard preset's value).

Target: the full loop (data loading, events, snapshots) within 10 % of bare.
Throughput is in diffraction patterns per second (a gridsize-2 group holds 4 patterns).
"""

import tempfile
import time

import numpy as np
import torch

from fly64.data import Store
from fly64.models import TrainOptions, fit, poisson_nll
from fly64.physics import default_device
from fly64.reporting import Reporter
from fly64.study import Study
from fly64.study.cells import Cell
from fly64.study.overlap import cut_views
from fly64.study.simulate import simulate_study
from fly64.study.train import build_model, prepare_cell

REPEATS, DOSE = 2, 1e4


class Recording(Reporter):
    """Keeps what a job's reporter would write (events and snapshots) in memory."""

    def __init__(self):
        self.rows, self.snapshots = [], 0

    def event(self, kind, **row):
        self.rows.append(row)

    def snapshot(self, **arrays):
        self.snapshots += 1


def make_store(root) -> tuple[Study, Store]:
    study = Study.preset(
        "standard", object_size=448, doses=[DOSE], views={"dense": 0.7}, validation_fraction=0.0
    )
    store = Store.create(root)
    simulate_study(study, store)
    cut_views(study, store)
    return study, store


def run_bare(model, tensors, order_batches, device) -> float:
    amplitudes, counts, offsets = (t.to(device) for t in tensors)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for rows in order_batches:
        rates, _ = model(amplitudes[rows], offsets[rows])
        loss = poisson_nll(rates, counts[rows])
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        loss.item()
    return time.perf_counter() - start


def measure(study, store, gridsize, device) -> dict:
    cell = Cell(DOSE, "dense", "pinn", gridsize, 0)
    epochs = study.snapshot_every  # one snapshot, at the preset's cadence
    options = TrainOptions(
        epochs=epochs,
        batch_size=study.batch_size,
        learning_rate=1e-3,
        patience=epochs,
        snapshot_every=study.snapshot_every,
    )

    def loop(with_snapshots: bool) -> float:
        start = time.perf_counter()
        data = prepare_cell(study, store, cell)
        net = build_model(study, data, gridsize, 0).to(device)
        reporter = Recording()
        snapshot = (lambda: data.reconstruct(net, device)) if with_snapshots else None
        fit(net, data.train, None, options, reporter, device, snapshot)
        assert len(reporter.rows) == epochs and reporter.snapshots == int(with_snapshots)
        return time.perf_counter() - start

    # bare: the same batches (same shuffling) from tensors prepared beforehand
    data = prepare_cell(study, store, cell)
    batch = data.train.batch(np.arange(len(data.train)), torch.device("cpu"))
    shuffle = torch.Generator().manual_seed(1000)
    batches = [
        order[i : i + options.batch_size]
        for order in (torch.randperm(len(data.train), generator=shuffle) for _ in range(epochs))
        for i in range(0, len(order), options.batch_size)
    ]
    times = {"bare": [], "loop": [], "loop + snapshots": []}
    for _ in range(REPEATS):
        net = build_model(study, data, gridsize, 0).to(device)
        times["bare"].append(
            run_bare(net, (batch.amplitudes, batch.counts, batch.offsets), batches, device)
        )
        times["loop"].append(loop(False))
        times["loop + snapshots"].append(loop(True))
    return {
        "groups": len(data.train),
        "epochs": epochs,
        "patterns": epochs * data.train.groups.size,
        **{k: min(v) for k, v in times.items()},
    }


def main() -> None:
    device = default_device()
    print(f"device: {device}, torch threads: {torch.get_num_threads()}, best of {REPEATS}")
    with tempfile.TemporaryDirectory() as root:
        study, store = make_store(root)
        print(
            f"standard preset network: N={study.patch_size}, width={study.model_width}, "
            f"depth={study.model_depth}, batch={study.batch_size}, "
            f"snapshot_every={study.snapshot_every}"
        )
        for gridsize in (1, 2):
            r = measure(study, store, gridsize, device)
            print(
                f"gridsize {gridsize}: {r['groups']} train groups, "
                f"{r['patterns']} patterns over {r['epochs']} epochs"
            )
            for kind in ("bare", "loop", "loop + snapshots"):
                print(f"  {kind:17s} {r[kind]:7.2f} s  {r['patterns'] / r[kind]:7.1f} patterns/s")
            for kind in ("loop", "loop + snapshots"):
                overhead = r[kind] / r["bare"] - 1
                verdict = "OK" if overhead <= 0.10 else "ABOVE TARGET"
                print(f"  overhead {kind} / bare: {overhead:+.1%} (target ≤ 10 %) -> {verdict}")


if __name__ == "__main__":
    main()
