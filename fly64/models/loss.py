"""The PINN's loss: Poisson negative log-likelihood of the measured counts."""

import torch

#: added to rates inside the logarithm, photons per pixel (a faint background: keeps the
#: log and its gradient finite where the model predicts no photons but one was counted)
EPS = 1e-3


def poisson_nll(rates: torch.Tensor, counts: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Mean Poisson NLL per detector pixel, shifted so that a perfect fit scores 0.

    ``rate − counts·log(rate + eps)`` minus its minimum over rates, ``counts − counts·
    log(counts + eps)`` (a constant of the data, so gradients are the plain NLL's): the
    value is half the Poisson deviance per pixel, ≥ 0 and comparable across doses.

    Parameters
    ----------
    rates : float (..., N, N), expected counts (photons), ≥ 0.
    counts : float (..., N, N), measured counts (photons).
    """
    nll = rates - counts * torch.log(rates + eps)
    floor = counts - counts * torch.log(counts + eps)
    return (nll - floor).mean()


def amplitude_mae(rates: torch.Tensor, counts: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Mean |√(rate + eps) − √counts| per pixel, √photons (an optional extra loss term)."""
    return (torch.sqrt(rates + eps) - torch.sqrt(counts)).abs().mean()
