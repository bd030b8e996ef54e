"""PINN training speed: the network's speed settings side by side, and the full loop's overhead.

``python -m benchmarks bench_training`` (a minute or two on 2 cores) measures the speed
settings: seconds per training step (forward, Poisson loss, backward, Adam step, on
batches already in memory) of the standard preset's network on the dense view's training
batches at gridsize 1 and 2, with :class:`~fly64.models.PatchNet`'s speed settings added
one at a time, from float32 / NCHW to the defaults (channels-last, bfloat16 where native).
The models share their weights and step on the same batches, in turn, so the ratios are side
by side (median of the steps). The first row is not the network before issue 24: that one also ran
two one-channel heads and averaged the windows in the physics layer (together ≈ 15 % of a
gridsize-2 step); ``notes/pinn_speed.md`` has both.

``python -m benchmarks.bench_training --overhead`` (several minutes) adds the loop's
overhead, at each gridsize:

* bare: the same network, optimiser and batches stepping on tensors already in memory;
* loop: :func:`fly64.models.fit` as ``train_cell`` runs it, set up by the same
  :func:`fly64.study.pipeline.train.prepare_cell` (counts read from the zarr store by
  :class:`~fly64.models.PatternReader`, included in the time), a loss event per epoch, no
  snapshots (no validation slice in either measurement);
* loop + snapshots: the same plus a stitched test reconstruction every ``snapshot_every``
  epochs (the standard preset's value).

Target: the full loop (data loading, events, snapshots) within 10 % of bare.
Throughput is in diffraction patterns per second (a gridsize-2 group holds 4 patterns).
"""

import argparse
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

from fly64.data import Store
from fly64.models import PINN, TrainOptions, fit, poisson_nll
from fly64.models.network import native_bfloat16
from fly64.physics import default_device
from fly64.reporting import Reporter
from fly64.study import Study
from fly64.study.pipeline.overlap import cut_views
from fly64.study.pipeline.simulate import simulate_study
from fly64.study.pipeline.train import build_model, prepare_cell
from fly64.study.settings.cells import Cell

REPEATS, DOSE, STEPS = 2, 1e4, 8
#: PatchNet's speed settings, added one at a time; the last row is the defaults where the
#: device computes bfloat16 natively (``precision="auto"``, ``native_bfloat16``)
SETTINGS = {
    "float32, NCHW": dict(precision="float32", channels_last=False),
    "+ channels-last": dict(precision="float32"),
    "+ bfloat16": dict(precision="bfloat16"),
}


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


def train_step(model, optimiser, amplitudes, counts, offsets) -> None:
    """Forward, Poisson loss, backward and Adam step on one batch."""
    rates, _ = model(amplitudes, offsets)
    loss = poisson_nll(rates, counts)
    optimiser.zero_grad(set_to_none=True)
    loss.backward()
    optimiser.step()
    loss.item()


def compare_settings(study, store, gridsize, device) -> dict:
    """Median seconds per training step of each of :data:`SETTINGS`, side by side."""
    data = prepare_cell(study, store, Cell(DOSE, "dense", "pinn", gridsize, 0))
    reference = build_model(study, data, gridsize, 0)
    order = np.random.default_rng(0).permutation(len(data.train))
    batches = [
        data.train.batch(order[i : i + study.batch_size], device)
        for i in range(0, (STEPS + 1) * study.batch_size, study.batch_size)
    ]
    runs = {}
    for name, options in SETTINGS.items():
        width, depth = study.model_width, study.model_depth
        model = PINN(reference.probe, gridsize, width, depth, **options).to(device)
        model.load_state_dict(reference.state_dict())  # same weights and flat field
        runs[name] = (model, torch.optim.Adam(model.parameters(), lr=study.learning_rate))
    times = {name: [] for name in SETTINGS}
    for i, batch in enumerate(batches):  # the first step of each is a warm-up
        for name, (model, optimiser) in runs.items():
            start = time.perf_counter()
            train_step(model, optimiser, batch.amplitudes, batch.counts, batch.offsets)
            if i:
                times[name].append(time.perf_counter() - start)
    steps = -(-len(data.train) // study.batch_size)
    return {
        "groups": len(data.train),
        "steps": steps,
        **{name: statistics.median(t) for name, t in times.items()},
    }


def run_bare(model, tensors, order_batches, device) -> float:
    amplitudes, counts, offsets = (t.to(device) for t in tensors)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for rows in order_batches:
        train_step(model, optimiser, amplitudes[rows], counts[rows], offsets[rows])
    return time.perf_counter() - start


def measure_overhead(study, store, gridsize, device) -> dict:
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


def report_settings(study, store, device) -> None:
    print(f"speed settings: median of {STEPS} steps each, in turn on the same batches")
    for gridsize in (1, 2):
        r = compare_settings(study, store, gridsize, device)
        first = r[next(iter(SETTINGS))]
        print(f"gridsize {gridsize}: {r['groups']} train groups, {r['steps']} steps per epoch")
        for name in SETTINGS:
            print(
                f"  {name:25s} {r[name] * 1e3:7.1f} ms/step  ≈ {r[name] * r['steps']:5.2f} s/epoch"
                f"  speed-up {first / r[name]:4.2f}×"
            )


def report_overhead(study, store, device) -> None:
    print(f"loop overhead: best of {REPEATS}")
    for gridsize in (1, 2):
        r = measure_overhead(study, store, gridsize, device)
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


def main(argv=()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overhead", action="store_true", help="also time the full loop")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (a study job's share of 2 cores)"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = default_device()
    print(
        f"device: {device}, torch threads: {torch.get_num_threads()}, "
        f"native bfloat16: {native_bfloat16(device.type)}"
    )
    with tempfile.TemporaryDirectory() as root:
        study, store = make_store(root)
        print(
            f"standard preset network: N={study.patch_size}, width={study.model_width}, "
            f"depth={study.model_depth}, batch={study.batch_size}, "
            f"snapshot_every={study.snapshot_every}"
        )
        report_settings(study, store, device)
        if args.overhead:
            report_overhead(study, store, device)


if __name__ == "__main__":
    main(sys.argv[1:])
