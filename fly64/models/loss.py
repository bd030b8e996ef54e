"""The PINN's loss: Poisson negative log-likelihood of the measured counts
(:mod:`fly64.physics.poisson`), optionally with an amplitude-MAE term."""

import torch

from fly64.physics.poisson import EPS, poisson_floor, poisson_nll

__all__ = ["amplitude_mae", "poisson_floor", "poisson_nll"]


def amplitude_mae(rates: torch.Tensor, counts: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Mean |√(rate + eps) − √counts| per pixel, √photons (an optional extra loss term)."""
    return (torch.sqrt(rates + eps) - torch.sqrt(counts)).abs().mean()
