"""The Poisson loss: zero at a perfect fit, larger elsewhere, finite where nothing is predicted."""

import pytest
import torch

from fly64.models import amplitude_mae, poisson_floor, poisson_nll


def test_poisson_nll_is_smallest_at_the_counts():
    counts = torch.tensor([[0.0, 1.0], [5.0, 300.0]])
    assert abs(float(poisson_nll(counts, counts))) < 1e-4
    for factor in (0.5, 0.9, 1.1, 2.0):
        assert float(poisson_nll(factor * counts, counts)) > 1e-3


def test_zero_rates_give_finite_loss_and_gradient():
    rates = torch.zeros(4, requires_grad=True)
    loss = poisson_nll(rates, torch.tensor([0.0, 1.0, 3.0, 0.0]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(rates.grad).all()


def test_amplitude_mae_counts_sqrt_photons():
    assert (
        abs(float(amplitude_mae(torch.tensor([16.0]), torch.tensor([9.0]), eps=0.0)) - 1.0) < 1e-6
    )


@pytest.mark.parametrize("rate", [0.05, 1.0, 8.0, 29.0, 31.0, 400.0])
def test_poisson_floor_is_the_nll_of_counts_drawn_from_the_rates(rate):
    rates = torch.full((400_000,), rate)
    counts = torch.poisson(rates, generator=torch.Generator().manual_seed(1))
    assert float(poisson_floor(rates)) == pytest.approx(
        float(poisson_nll(rates, counts)), rel=0.02, abs=4e-3
    )


def test_a_wrong_model_sits_far_above_the_floor():
    counts = torch.poisson(torch.full((10_000,), 50.0), generator=torch.Generator().manual_seed(2))
    wrong = torch.full_like(counts, 25.0)
    assert float(poisson_nll(wrong, counts)) > 5 * float(poisson_floor(wrong))
