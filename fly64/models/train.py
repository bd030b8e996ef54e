"""The training loop: Adam on the Poisson NLL, plateau schedule, early stopping, events.

Read top to bottom: shuffle (seeded) → batches (cancel point before each) → validation →
schedule → loss event → best weights → snapshot every k epochs → stop. Training stops when
the validation curve has flattened (the plateau schedule has lowered the rate to
``min_lr_fraction`` of its start: ``converged``), after ``patience`` epochs without
improvement (``stalled``), or at ``epochs`` (``epochs``). The best weights (lowest
validation loss, or training loss without a validation slice) are loaded back at the end.
"""

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field

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
    """Training settings: each field's default and doc (``metadata["doc"]``) are defined here only.

    The study exposes the fields it lets a user set under the same names
    (:func:`fly64.study.settings.options.options_from`); ``seed`` comes from the cell, and the
    plateau schedule (``lr_factor``, ``lr_patience``) is fixed.
    """

    epochs: int = field(
        default=50, metadata={"doc": "PINN training epochs (early stopping may end sooner)."}
    )
    batch_size: int = field(default=16, metadata={"doc": "PINN batch size, groups."})
    learning_rate: float = field(default=2e-3, metadata={"doc": "PINN Adam learning rate."})
    patience: int = field(
        default=8, metadata={"doc": "Epochs without validation improvement before stopping."}
    )
    snapshot_every: int = field(
        default=5, metadata={"doc": "PINN epochs between snapshots of the test reconstruction."}
    )
    seed: int = field(
        default=0, metadata={"doc": f"Repeat seed: shuffling uses seed + {SHUFFLE_SEED_OFFSET}."}
    )
    mae_weight: float = field(
        default=0.0,
        metadata={
            "doc": "Weight of an amplitude-MAE term (√photons per pixel) added to the PINN's "
            "Poisson NLL. Off by default: it is biased at low counts, and with the "
            "back-propagated input it stalls gridsize 2 at 1e3 photons (dense, 10 epochs: phase "
            "correlation 0.15 with 10 against 0.42 with the NLL alone; notes/science_v2.md)."
        },
    )
    lr_factor: float = field(
        default=0.5, metadata={"doc": "Plateau schedule: learning rate × this after a plateau …"}
    )
    lr_patience: int = field(
        default=2, metadata={"doc": "… of this many epochs without improvement."}
    )
    min_lr_fraction: float = field(
        default=1 / 16,
        metadata={
            "doc": "Converged: stop once the plateau schedule has lowered the rate to this "
            "fraction of learning_rate (four halvings: the validation curve is flat)."
        },
    )


@dataclass
class FitResult:
    """What :func:`fit` leaves besides the trained model (which holds the best weights)."""

    losses: list[dict]  # one row per epoch: epoch, train, validation, lr, seconds
    best_epoch: int
    stop_reason: str  # "converged", "stalled" or "epochs" (see the module docstring)

    @property
    def stopped_early(self) -> bool:
        return self.stop_reason != "epochs"


def split_validation(
    groups: GroupSet, fraction: float, seed: int
) -> tuple[GroupSet, GroupSet | None]:
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
def mean_loss(model: PINN, groups: GroupSet, device: torch.device, options: TrainOptions) -> float:
    """Mean training loss over a set of groups (evaluation mode, no gradients)."""
    model.eval()
    total = 0.0
    for batch in groups.batches(options.batch_size, device):
        total += batch_loss(model, batch, options.mae_weight).item() * len(batch.counts)
    return total / len(groups)


@torch.no_grad()
def noise_floor_ratio(
    model: PINN, groups: GroupSet, device: torch.device, batch_size: int = 64
) -> dict:
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


def train_epoch(
    model: PINN,
    train: GroupSet,
    order: np.ndarray,
    optimiser: torch.optim.Optimizer,
    options: TrainOptions,
    reporter: Reporter,
    device: torch.device,
) -> float:
    """One pass over ``train`` in the shuffled ``order`` (a cancel check before each batch);
    returns the mean training loss."""
    model.train()
    total = 0.0
    for first in range(0, len(order), options.batch_size):
        reporter.check_cancel()
        rows = order[first : first + options.batch_size]
        loss = batch_loss(model, train.batch(rows, device), options.mae_weight)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        total += loss.item() * len(rows)
    return total / len(train)


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
    parameters = list(model.parameters())
    fused = not any(p.is_complex() for p in parameters)  # fused Adam: real parameters only
    optimiser = torch.optim.Adam(parameters, lr=options.learning_rate, fused=fused)
    schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimiser, factor=options.lr_factor, patience=options.lr_patience
    )
    shuffle = torch.Generator().manual_seed(options.seed + SHUFFLE_SEED_OFFSET)
    losses, best, best_epoch, best_state, stale = [], np.inf, 0, None, 0
    stop_reason = "epochs"
    for epoch in range(1, options.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(train), generator=shuffle).numpy()
        train_loss = train_epoch(model, train, order, optimiser, options, reporter, device)
        if not np.isfinite(train_loss):
            raise FloatingPointError(
                f"training diverged at epoch {epoch} (loss {train_loss}); lower learning_rate"
            )
        watched = mean_loss(model, validation, device, options) if validation else train_loss
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
        reporter.progress(
            epoch / options.epochs, f"epoch {epoch}/{options.epochs}: loss {train_loss:.4g}"
        )
        if row["lr"] <= options.min_lr_fraction * options.learning_rate:
            stop_reason = "converged"
        elif stale >= options.patience:
            stop_reason = "stalled"
        if stop_reason != "epochs":
            break
    model.load_state_dict(best_state)
    return FitResult(losses, best_epoch, stop_reason)
