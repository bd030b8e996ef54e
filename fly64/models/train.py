"""The training loop: Adam on the Poisson NLL, plateau schedule, early stopping, events.

Read top to bottom: shuffle (seeded) → batches (cancel point before each) → validation →
schedule → loss event → best weights → snapshot every k epochs → early stop. The best
weights (lowest validation loss, or training loss without a validation slice) are loaded
back into the model at the end.
"""

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from fly64.models.data import GroupSet
from fly64.models.loss import amplitude_mae, poisson_floor, poisson_nll
from fly64.models.pinn import PINN
from fly64.reporting import Reporter

#: added to the repeat seed to seed the shuffling generator (model init uses the seed itself)
SHUFFLE_SEED_OFFSET = 1000
#: added to the repeat seed to pick the validation slice
VALIDATION_SEED_OFFSET = 2000


@dataclass(frozen=True)
class TrainOptions:
    """Training settings (the study's train-phase settings map onto these one to one)."""

    epochs: int = 40  #: most epochs; early stopping may end sooner
    batch_size: int = 32  #: groups per step
    learning_rate: float = 2e-3  #: Adam's initial learning rate
    patience: int = 8  #: epochs without improvement before stopping
    snapshot_every: int = 2  #: epochs between snapshots
    seed: int = 0  #: repeat seed: shuffling uses seed + SHUFFLE_SEED_OFFSET
    mae_weight: float = 0.0  #: weight of the amplitude-MAE term added to the Poisson NLL
    lr_factor: float = 0.5  #: plateau schedule: learning rate × this after a plateau …
    lr_patience: int = 2  #: … of this many epochs without improvement


@dataclass
class FitResult:
    """What :func:`fit` leaves besides the trained model (which holds the best weights)."""

    losses: list[dict]  # one row per epoch: epoch, train, validation, lr, seconds
    best_epoch: int
    stopped_early: bool


def split_validation(groups: GroupSet, fraction: float, seed: int) -> tuple[GroupSet, GroupSet | None]:
    """Hold out ``round(fraction·n)`` groups, chosen by a seeded permutation (None when 0)."""
    n_val = int(round(fraction * len(groups)))
    if n_val == 0:
        return groups, None
    if n_val >= len(groups):
        raise ValueError(
            f"validation_fraction {fraction} leaves no training groups out of {len(groups)}"
        )
    order = np.random.default_rng(seed + VALIDATION_SEED_OFFSET).permutation(len(groups))
    return groups.subset(np.sort(order[n_val:])), groups.subset(np.sort(order[:n_val]))


def batch_loss(model: PINN, batch, mae_weight: float) -> torch.Tensor:
    rates, _ = model(batch.amplitudes, batch.offsets)
    loss = poisson_nll(rates, batch.counts)
    if mae_weight:
        loss = loss + mae_weight * amplitude_mae(rates, batch.counts)
    return loss


@torch.no_grad()
def evaluate(model: PINN, groups: GroupSet, device: torch.device, options: TrainOptions) -> float:
    """Mean loss over a set of groups (evaluation mode, no gradients)."""
    model.eval()
    total = 0.0
    for batch in groups.batches(options.batch_size, device):
        total += batch_loss(model, batch, options.mae_weight).item() * len(batch.counts)
    return total / len(groups)


@torch.no_grad()
def noise_floor_ratio(model: PINN, groups: GroupSet, device: torch.device, batch_size: int = 64) -> dict:
    """How far the model is from explaining ``groups`` down to their shot noise (no ground truth).

    Returns ``{"nll", "floor", "ratio"}``: the mean Poisson NLL of the groups' counts under the
    model's rates, the expected NLL had the counts been drawn from those rates
    (:func:`~fly64.models.loss.poisson_floor`), and their ratio (≈ 1: fitted to the noise).
    """
    model.eval()
    nll = floor = 0.0
    for batch in groups.batches(batch_size, device):
        rates, _ = model(batch.amplitudes, batch.offsets)
        nll += poisson_nll(rates, batch.counts).item() * len(batch.counts)
        floor += poisson_floor(rates).item() * len(batch.counts)
    nll, floor = nll / len(groups), floor / len(groups)
    return {"nll": nll, "floor": floor, "ratio": nll / max(floor, 1e-12)}


def fit(
    model: PINN,
    train: GroupSet,
    validation: GroupSet | None,
    options: TrainOptions,
    reporter: Reporter | None = None,
    device: torch.device | str = "cpu",
    snapshot: Callable[[], dict] | None = None,
) -> FitResult:
    """Train ``model`` in place; returns the loss rows. Raises ``Cancelled`` on request.

    ``snapshot()`` (e.g. the stitched test reconstruction) is passed to
    ``reporter.snapshot`` every ``options.snapshot_every`` epochs.
    """
    reporter = reporter or Reporter()
    device = torch.device(device)
    model.to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=options.learning_rate)
    schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimiser, factor=options.lr_factor, patience=options.lr_patience
    )
    shuffle = torch.Generator().manual_seed(options.seed + SHUFFLE_SEED_OFFSET)
    losses, best, best_epoch, best_state, stale = [], np.inf, 0, None, 0
    for epoch in range(1, options.epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(train), generator=shuffle).numpy()
        total = 0.0
        for first in range(0, len(order), options.batch_size):
            reporter.check_cancel()
            rows = order[first : first + options.batch_size]
            loss = batch_loss(model, train.batch(rows, device), options.mae_weight)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += loss.item() * len(rows)
        train_loss = total / len(train)
        if not np.isfinite(train_loss):
            raise FloatingPointError(
                f"training diverged at epoch {epoch} (loss {train_loss}); lower learning_rate"
            )
        watched = evaluate(model, validation, device, options) if validation else train_loss
        schedule.step(watched)
        row = {
            "epoch": epoch,
            "train": train_loss,
            "validation": watched if validation else None,
            "lr": optimiser.param_groups[0]["lr"],
            "seconds": time.perf_counter() - start,
        }
        losses.append(row)
        reporter.event("loss", **row)
        if watched < best:
            best, best_epoch, stale = watched, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        if snapshot is not None and epoch % options.snapshot_every == 0:
            reporter.snapshot(**snapshot())
        reporter.progress(epoch / options.epochs, f"epoch {epoch}/{options.epochs}: loss {train_loss:.4g}")
        if stale >= options.patience:
            break
    model.load_state_dict(best_state)
    return FitResult(losses, best_epoch, stopped_early=len(losses) < options.epochs)
