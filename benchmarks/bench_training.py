"""PINN training throughput (gridsize 1 and 2) and the full loop's overhead, in one run.

* bare: the network, optimiser and batches of the standard preset stepping on tensors
  already in memory (forward, Poisson loss, backward, Adam step; nothing else);
* loop: :func:`fly64.models.fit` as ``train_cell`` runs it, counts read lazily from the zarr
  store by :class:`~fly64.models.PatternReader` (reader set-up included), a loss event per
  epoch, no snapshots;
* loop + snapshots: the same plus a stitched test reconstruction every ``snapshot_every``
  epochs (the standard preset's value).

Target: the full loop (data loading, events, snapshots) within 10 % of bare.
Throughput is in diffraction patterns per second (a gridsize-2 group holds 4 patterns).
"""

import tempfile
import time

import numpy as np
import torch

from fly64.data import Store, open_dose_dataset
from fly64.data.views import load_view
from fly64.models import (
    PINN,
    GroupSet,
    PatternReader,
    TrainOptions,
    amplitude_scale,
    anchored_groups,
    fit,
    poisson_nll,
    predict_windows,
    stitch,
)
from fly64.physics import default_device
from fly64.reporting import Reporter
from fly64.study import Study
from fly64.study.overlap import cut_views
from fly64.study.simulate import simulate_study

EPOCHS, REPEATS, DOSE = 4, 2, 1e4


class Recording(Reporter):
    """Keeps what a job's reporter would write (events and snapshots) in memory."""

    def __init__(self):
        self.rows, self.snapshots = [], 0

    def event(self, kind, **row):
        self.rows.append(row)

    def snapshot(self, **arrays):
        self.snapshots += 1


def make_store(root) -> tuple[Study, Store]:
    study = Study.preset("standard", object_size=448, doses=[DOSE], views={"dense": 0.7})
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
    ds = open_dose_dataset(store.dose_path(DOSE))
    view = load_view(store.view_path(DOSE, "dense"))
    positions, probe, truth = ds["positions"].values, ds["probe"].values, ds["object"].values
    train_groups = view.groups["train"][gridsize]
    test_indices = view.indices["test"]
    test_groups = anchored_groups(test_indices, view.groups["test"][gridsize])
    scale = amplitude_scale(DOSE, study.patch_size)
    options = TrainOptions(
        epochs=EPOCHS, batch_size=study.batch_size, learning_rate=1e-3, patience=EPOCHS,
        snapshot_every=study.snapshot_every,
    )

    def model():
        torch.manual_seed(0)
        return PINN(torch.from_numpy(probe), gridsize, study.model_width, study.model_depth).to(device)

    def loop(with_snapshots: bool) -> float:
        start = time.perf_counter()
        reader = PatternReader(ds["counts"], np.concatenate([train_groups.ravel(), test_groups.ravel()]))
        train = GroupSet.from_groups(train_groups, positions, reader, scale)
        test = GroupSet.from_groups(test_groups, positions, reader, scale)
        net = model()

        def snapshot():
            obj, weights = stitch(predict_windows(net, test, device), positions[test_indices], probe, truth.shape)
            return {"object": obj, "weights": weights}

        reporter = Recording()
        fit(net, train, None, options, reporter, device, snapshot if with_snapshots else None)
        assert len(reporter.rows) == EPOCHS
        return time.perf_counter() - start

    # bare: the same batches (same shuffling) from tensors prepared beforehand
    in_memory = GroupSet.from_groups(train_groups, positions, PatternReader(ds["counts"], train_groups), scale)
    batch = in_memory.batch(np.arange(len(in_memory)), torch.device("cpu"))
    shuffle = torch.Generator().manual_seed(1000)
    batches = [
        order[i : i + options.batch_size]
        for order in (torch.randperm(len(in_memory), generator=shuffle) for _ in range(EPOCHS))
        for i in range(0, len(order), options.batch_size)
    ]
    times = {"bare": [], "loop": [], "loop + snapshots": []}
    for _ in range(REPEATS):
        times["bare"].append(run_bare(model(), (batch.amplitudes, batch.counts, batch.offsets), batches, device))
        times["loop"].append(loop(False))
        times["loop + snapshots"].append(loop(True))
    patterns = EPOCHS * train_groups.size
    return {"groups": len(train_groups), "patterns": patterns, **{k: min(v) for k, v in times.items()}}


def main() -> None:
    device = default_device()
    print(f"device: {device}, torch threads: {torch.get_num_threads()}, epochs: {EPOCHS}, best of {REPEATS}")
    with tempfile.TemporaryDirectory() as root:
        study, store = make_store(root)
        print(
            f"standard preset network: N={study.patch_size}, width={study.model_width}, "
            f"depth={study.model_depth}, batch={study.batch_size}, snapshot_every={study.snapshot_every}"
        )
        for gridsize in (1, 2):
            r = measure(study, store, gridsize, device)
            print(f"gridsize {gridsize}: {r['groups']} train groups, {r['patterns']} patterns over {EPOCHS} epochs")
            for kind in ("bare", "loop", "loop + snapshots"):
                print(f"  {kind:17s} {r[kind]:7.2f} s  {r['patterns'] / r[kind]:7.1f} patterns/s")
            for kind in ("loop", "loop + snapshots"):
                overhead = r[kind] / r["bare"] - 1
                verdict = "OK" if overhead <= 0.10 else "ABOVE TARGET"
                print(f"  overhead {kind} / bare: {overhead:+.1%} (target ≤ 10 %) -> {verdict}")


if __name__ == "__main__":
    main()
