"""The network's heads, shapes, and gradients to every parameter."""

import math

import pytest
import torch

from fly64.models import PINN, PatchNet, poisson_nll
from fly64.models.network import support_mask

from .conftest import N


def test_heads_are_bounded_complex_patches_inside_the_support_and_zero_outside():
    net = PatchNet(channels=4, width=4, depth=2, size=N, amp_max=1.5)
    torch.manual_seed(0)
    with torch.no_grad():
        out = net(10 * torch.randn(3, 4, N, N), torch.zeros(3, 4, 2, dtype=torch.int64))
    assert out.shape == (3, 4, N, N) and out.dtype == torch.complex64
    inside = support_mask(N).bool()
    assert inside.sum() == (N // 2) ** 2 and inside[N // 2, N // 2] and not inside[0, 0]
    assert float(out[..., inside].abs().max()) < 1.5 and float(out[..., inside].abs().min()) > 0
    assert float(out[..., inside].angle().abs().max()) <= math.pi
    assert torch.all(out[..., ~inside] == 0)  # no parameters, no noise outside the probe's support


def test_group_members_offsets_reach_the_network():
    net = PatchNet(channels=4, width=4, depth=2, size=N)
    torch.manual_seed(0)
    amplitudes = torch.rand(1, 4, N, N)
    near = torch.tensor([[[0, 0], [0, 2], [2, 0], [2, 2]]])
    with torch.no_grad():
        assert not torch.allclose(net(amplitudes, near), net(amplitudes, 3 * near))
    with pytest.raises(ValueError, match="offsets"):
        net(amplitudes)


def test_bad_input_shapes_name_the_problem():
    net = PatchNet(channels=1, width=4, depth=3, size=N)
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
