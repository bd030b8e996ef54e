"""The Poisson likelihood of measured counts: the data term of every reconstruction and its
noise floor (what a model that explains the data down to its shot noise scores)."""

import torch

#: added to rates inside the logarithm, photons per pixel (a faint background: keeps the
#: log and its gradient finite where the model predicts no photons but one was counted)
EPS = 1e-3


def poisson_nll_map(rates: torch.Tensor, counts: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Poisson NLL of each pixel, shifted so that a perfect fit scores 0 (same shape as
    ``rates``; :func:`poisson_nll` is its mean)."""
    nll = rates - counts * torch.log(rates + eps)
    floor = counts - counts * torch.log(counts + eps)
    return nll - floor


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
    return poisson_nll_map(rates, counts, eps).mean()


#: rates above this many photons use the large-rate expansion in :func:`poisson_floor`
FLOOR_EXACT_BELOW = 30.0


def poisson_floor(rates: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Expected :func:`poisson_nll` per pixel if the counts were Poisson draws of ``rates``.

    A model that explains the data down to its shot noise scores this, not 0: it is the
    data's own floor, known without ground truth. Per pixel, E[λ − k·log(λ + ε) − k +
    k·log(k + ε)] for k ~ Poisson(λ): summed exactly over k for λ below
    :data:`FLOOR_EXACT_BELOW`, ½ + 1/(12λ) above (the large-rate expansion, within 1e-3).

    Parameters
    ----------
    rates : float (..., N, N), expected counts (photons), ≥ 0.

    Returns
    -------
    The mean of the per-pixel floors (a scalar tensor), comparable with :func:`poisson_nll`.
    """
    lam = rates.detach().double().reshape(-1).clamp(min=0)
    floor = 0.5 + 1 / (12 * lam.clamp(min=FLOOR_EXACT_BELOW))
    low = lam < FLOOR_EXACT_BELOW
    if low.any():
        k = torch.arange(0, 4 * FLOOR_EXACT_BELOW, dtype=torch.float64)
        lam_low = lam[low, None]
        pmf = torch.exp(k * torch.log(lam_low.clamp(min=1e-300)) - lam_low - torch.lgamma(k + 1))
        terms = lam_low - k * torch.log(lam_low + eps) - k + k * torch.log(k + eps)
        floor[low] = (pmf * terms).sum(dim=1)
    return floor.mean().to(rates.dtype)
