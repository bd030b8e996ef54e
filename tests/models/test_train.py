"""The training loop: it learns, stops on cancel within one batch, is deterministic, checkpoints."""

import numpy as np
import pytest
import torch
import xarray as xr

from fly64.models import (
    PINN,
    GroupSet,
    PatternReader,
    TrainOptions,
    amplitude_scale,
    fit,
    load_checkpoint,
    save_checkpoint,
)
from fly64.reporting import Cancelled, Reporter

from .conftest import N


@pytest.fixture(scope="module")
def groups(scene):
    counts = xr.DataArray(scene.counts, dims=("pattern", "ky", "kx"))
    members = np.arange(0, 48, 3)  # 16 single-pattern groups
    reader = PatternReader(counts, members)
    return GroupSet.from_groups(
        members[:, None], scene.positions, reader, amplitude_scale(scene.dose, N)
    )


def new_model(scene, seed=0):
    torch.manual_seed(seed)
    return PINN(torch.as_tensor(scene.probe), 1, width=8, depth=2)


class Recorder(Reporter):
    def __init__(self, cancel_after=None):
        self.events, self.snapshots, self.checks, self.cancel_after = [], [], 0, cancel_after

    def event(self, kind, **row):
        self.events.append((kind, row))

    def snapshot(self, **arrays):
        self.snapshots.append(arrays)

    def cancelled(self):
        self.checks += 1
        return self.cancel_after is not None and self.checks > self.cancel_after


def test_overfitting_a_tiny_set_drives_the_loss_down(scene, groups):
    options = TrainOptions(
        epochs=25, batch_size=4, learning_rate=3e-3, patience=25, snapshot_every=10
    )
    reporter = Recorder()
    result = fit(
        new_model(scene), groups, None, options, reporter, snapshot=lambda: {"object": np.zeros(1)}
    )
    train = [row["train"] for row in result.losses]
    assert train[-1] < 0.2 * train[0], train
    assert [kind for kind, _ in reporter.events] == ["loss"] * 25
    assert set(reporter.events[0][1]) == {"epoch", "train", "validation", "lr", "seconds"}
    assert len(reporter.snapshots) == 2


def test_training_stops_once_the_plateau_schedule_has_flattened_the_curve(scene, groups):
    """The rate reaches its floor long before the cap: stopped as converged, the best epoch
    inside the run, the last rate at the floor."""
    options = TrainOptions(
        epochs=400, batch_size=8, learning_rate=3e-2, patience=400, lr_patience=0
    )
    result = fit(new_model(scene), groups, None, options)
    assert result.stop_reason == "converged" and result.stopped_early
    assert len(result.losses) < options.epochs
    assert result.losses[-1]["lr"] == pytest.approx(options.learning_rate * options.min_lr_fraction)
    assert result.losses[-2]["lr"] > options.learning_rate * options.min_lr_fraction
    stalled = fit(
        new_model(scene), groups, None, TrainOptions(epochs=400, batch_size=8, patience=1)
    )
    assert stalled.stop_reason == "stalled"
    capped = fit(new_model(scene), groups, None, TrainOptions(epochs=2, batch_size=8))
    assert capped.stop_reason == "epochs" and not capped.stopped_early


def test_cancel_stops_within_one_batch(scene, groups):
    model = new_model(scene)
    steps = []
    model.net.register_forward_hook(lambda *_: steps.append(1))
    reporter = Recorder(cancel_after=3)
    with pytest.raises(Cancelled):
        fit(model, groups, None, TrainOptions(epochs=5, batch_size=4), reporter)
    assert len(steps) == 3 and reporter.checks == 4


def test_same_seed_same_losses_and_weights(scene, groups):
    def run():
        model = new_model(scene)
        validation = groups.subset(np.arange(4))
        result = fit(
            model, groups.subset(np.arange(4, 16)), validation, TrainOptions(epochs=3, batch_size=4)
        )
        return [(r["train"], r["validation"], r["lr"]) for r in result.losses], model.state_dict()

    (losses_a, state_a), (losses_b, state_b) = run(), run()
    assert losses_a == losses_b
    for name in state_a:
        assert torch.equal(state_a[name], state_b[name]), name


def test_checkpoint_round_trip(scene, groups, tmp_path):
    model = new_model(scene, seed=1)
    fit(model, groups, None, TrainOptions(epochs=1, batch_size=8))
    save_checkpoint(model, tmp_path / "checkpoint.pt")
    restored = load_checkpoint(new_model(scene, seed=2), tmp_path / "checkpoint.pt")
    batch = groups.batch(np.arange(4), torch.device("cpu"))
    model.eval(), restored.eval()
    assert torch.equal(model(batch.amplitudes)[0], restored(batch.amplitudes)[0])


def test_a_trainable_probe_is_refined(scene, groups):
    torch.manual_seed(0)
    model = PINN(torch.as_tensor(scene.probe), 1, width=8, depth=2, train_probe=True)
    probe = model.probe.detach().clone()
    fit(model, groups, None, TrainOptions(epochs=1, batch_size=8))
    assert not torch.equal(model.probe.detach(), probe)
