"""The network's heads, shapes, and gradients to every parameter."""

import math

import pytest
import torch

from fly64.models import PINN, PatchNet, poisson_nll

from .conftest import N


def test_heads_are_bounded_complex_patches():
    net = PatchNet(channels=4, width=4, depth=2, amp_max=1.5)
    torch.manual_seed(0)
    with torch.no_grad():
        out = net(10 * torch.randn(3, 4, N, N))
    assert out.shape == (3, 4, N, N) and out.dtype == torch.complex64
    assert float(out.abs().max()) < 1.5 and float(out.abs().min()) > 0
    assert float(out.angle().abs().max()) <= math.pi


def test_bad_input_shapes_name_the_problem():
    net = PatchNet(channels=1, width=4, depth=3)
    with pytest.raises(ValueError, match="batch, 1, N, N"):
        net(torch.zeros(2, 4, N, N))
    with pytest.raises(ValueError, match="divisible by 2\\^depth = 8"):
        net(torch.zeros(2, 1, 12, 12))


@pytest.mark.parametrize("gridsize", [1, 2])
def test_gradient_reaches_every_parameter(scene, gridsize):
    torch.manual_seed(0)
    model = PINN(torch.as_tensor(scene.probe), gridsize, width=4, depth=2, train_probe=True)
    c = gridsize**2
    counts = torch.as_tensor(scene.counts[:2 * c], dtype=torch.float32).reshape(2, c, N, N)
    offsets = torch.tensor([[0, 0], [0, 4], [4, 0], [4, 4]])[:c].expand(2, c, 2)
    rates, _ = model(counts.sqrt(), offsets)
    poisson_nll(rates, counts).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and float(p.grad.abs().sum()) > 0, name
