"""The network: back-propagation, heads, support, the group canvas, shapes,
and gradients to every parameter.
"""

import math

import numpy as np
import pytest
import torch

from fly64.models import PINN, PatchNet, poisson_nll, reassemble
from fly64.models.network import BackPropagation, support_mask, support_slice
from fly64.physics import far_field, make_probe, make_test_object

from .conftest import N


def test_heads_are_bounded_complex_patches_inside_the_support_and_zero_outside():
    net = PatchNet(channels=4, width=4, depth=2, probe=make_probe(N), amp_max=1.5)
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
    net = PatchNet(channels=4, width=4, depth=2, probe=make_probe(N))
    torch.manual_seed(0)
    amplitudes = torch.rand(1, 4, N, N)
    near = torch.tensor([[[0, 0], [0, 2], [2, 0], [2, 2]]])
    with torch.no_grad():
        assert not torch.allclose(net(amplitudes, near), net(amplitudes, 3 * near))
    with pytest.raises(ValueError, match="offsets"):
        net(amplitudes)


def test_bad_input_shapes_name_the_problem():
    net = PatchNet(channels=1, width=4, depth=3, probe=make_probe(N))
    with pytest.raises(ValueError, match="batch, 1, N, N"):
        net(torch.zeros(2, 4, N, N))
    with pytest.raises(ValueError, match="N = 16"):
        net(torch.zeros(2, 1, 12, 12))
    with pytest.raises(ValueError, match="divisible by 2\\^depth = 16"):
        PatchNet(channels=1, width=4, depth=4, probe=make_probe(N))


def test_members_patches_agree_where_they_overlap():
    net = PatchNet(channels=4, width=4, depth=2, probe=make_probe(N))
    torch.manual_seed(0)
    offsets = torch.tensor([[[0, 0], [0, 3], [2, 0], [-1, 4]]])
    with torch.no_grad():
        net.head.weight[1].normal_(std=0.3)  # a textured object
        patches = net(torch.rand(1, 4, N, N), offsets)[0]
    inside = support_slice(N)
    for a in range(4):
        for b in range(4):
            dy, dx = (offsets[0, b] - offsets[0, a]).tolist()  # pixel p of a is pixel p − d of b
            rows = [y for y in range(N) if y in range(N)[inside] and y - dy in range(N)[inside]]
            cols = [x for x in range(N) if x in range(N)[inside] and x - dx in range(N)[inside]]
            if rows and cols:
                ours = patches[a][rows][:, cols]
                theirs = patches[b][[y - dy for y in rows]][:, [x - dx for x in cols]]
                assert torch.allclose(ours, theirs)
    assert patches[0].angle().std() > 0.01


def test_windows_come_from_one_object_so_the_physics_layer_has_nothing_to_average():
    net = PatchNet(channels=4, width=4, depth=2, probe=make_probe(N))
    torch.manual_seed(0)
    offsets = torch.tensor([[[0, 0], [0, 3], [2, 0], [-1, 4]], [[0, 0], [5, 0], [0, 6], [5, 6]]])
    with torch.no_grad():
        net.head.weight[1].normal_(std=0.3)  # a textured object
        windows = net(torch.rand(2, 4, N, N), offsets)
    support = support_mask(N)
    torch.testing.assert_close(reassemble(windows * support, offsets, support), windows)
    assert windows[0, 0, N // 4, N // 4 + N // 2].abs() > 0  # member 1's support, right of 0's
    assert windows[1, 0, N // 4 - 1, N // 4] == 0  # above every support: no object there


def test_speed_settings_keep_the_network_and_bad_names_are_refused():
    probe = make_probe(N)
    torch.manual_seed(0)
    exact = PatchNet(4, 4, 2, probe=probe, precision="float32", channels_last=False)
    amplitudes, offsets = torch.rand(2, 4, N, N), torch.tensor([[0, 0], [0, 3], [2, 0], [2, 3]])
    with torch.no_grad():
        exact.head.weight[1].normal_(std=0.3)
        reference = exact(amplitudes, offsets.expand(2, 4, 2))
        for options, tolerance in (
            (dict(precision="float32"), 1e-5),
            (dict(precision="bfloat16"), 0.02),
        ):
            fast = PatchNet(4, 4, 2, probe=probe, **options)
            fast.load_state_dict(exact.state_dict())
            error = (fast(amplitudes, offsets.expand(2, 4, 2)) - reference).abs().max()
            assert float(error) < tolerance, options  # bfloat16: 0.006 of a ≈ 1 amplitude
    with pytest.raises(ValueError, match="precision must be one of"):
        PatchNet(1, 4, 2, probe=probe, precision="float16")


def test_backpropagation_recovers_a_weak_phase_object_on_the_support():
    """Noise-free round trip: the hologram's imaginary part follows the phase (half of it, plus a
    defocused twin), its real part does not."""
    size = 64
    probe = torch.from_numpy(make_probe(size))
    obj = make_test_object((size, size), seed=3)
    phase = 0.1 * np.angle(obj) / np.abs(np.angle(obj)).max()
    weak = torch.from_numpy(np.exp(1j * phase).astype(np.complex64))
    contrast = far_field(probe * weak).abs() - far_field(probe).abs()
    estimate = BackPropagation(probe)(contrast[None, None])[0, 0]
    inside = support_slice(size)
    truth = torch.from_numpy(phase[inside, inside]).float()

    def correlation(a, b):
        a, b = a - a.mean(), b - b.mean()
        return float((a * b).sum() / (a.square().sum() * b.square().sum()).sqrt())

    weights = probe.abs()[inside, inside] > 0.5 * probe.abs().max()  # where the probe is bright
    assert correlation(estimate.imag[weights], truth[weights]) > 0.6  # 0.74 measured
    assert abs(correlation(estimate.real[weights], truth[weights])) < 0.5


@pytest.mark.parametrize("gridsize", [1, 2])
def test_gradient_reaches_every_parameter(scene, gridsize):
    torch.manual_seed(0)
    model = PINN(torch.as_tensor(scene.probe), gridsize, width=4, depth=2, train_probe=True)
    c = gridsize**2
    counts = torch.as_tensor(scene.counts[: 2 * c], dtype=torch.float32).reshape(2, c, N, N)
    offsets = torch.tensor([[0, 0], [0, 4], [4, 0], [4, 4]])[:c].expand(2, c, 2)
    rates, _ = model(counts.sqrt(), offsets)
    poisson_nll(rates, counts).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and float(p.grad.abs().sum()) > 0, name
