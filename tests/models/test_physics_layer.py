"""The physics layer against the simulation's forward model; in-group reassembly."""

import numpy as np
import pytest
import torch

from fly64.models import ForwardModel, reassemble
from fly64.models.network import support_mask
from fly64.physics import expected_intensity, extract_windows

from .conftest import N


def test_gridsize1_counts_equal_the_simulation_forward_model(scene):
    obj, probe = torch.as_tensor(scene.object), torch.as_tensor(scene.probe)
    pos = torch.as_tensor(scene.positions[:10])
    patches = extract_windows(obj, pos, N)[:, None]  # (B, 1, N, N)
    rates, windows = ForwardModel(probe)(patches)
    assert torch.equal(windows, patches)
    expected = expected_intensity(obj, probe, pos)
    # same operations; only the FFT batch layout differs, so agreement is to float32 rounding
    torch.testing.assert_close(rates[:, 0], expected, rtol=1e-6, atol=1e-6 * float(expected.max()))


def test_gridsize2_consistent_patches_give_the_simulation_counts(scene):
    support = support_mask(N)
    obj = torch.as_tensor(scene.object)
    probe = torch.as_tensor(scene.probe) * support  # a probe that lives inside the support
    groups = torch.tensor([[0, 1, 13, 14], [20, 21, 33, 34]])  # raster neighbours (13 per row)
    pos = torch.as_tensor(scene.positions)[groups]  # (2, 4, 2)
    patches = (
        extract_windows(obj, pos.reshape(-1, 2), N).reshape(2, 4, N, N) * support
    )  # as predicted
    rates, _ = ForwardModel(probe)(patches, pos - pos[:, :1])
    expected = expected_intensity(obj, probe, pos.reshape(-1, 2)).reshape(2, 4, N, N)
    torch.testing.assert_close(rates, expected, rtol=1e-5, atol=1e-4 * float(expected.max()))


def test_reassembly_puts_each_patch_back_where_it_came_from():
    gen = torch.Generator().manual_seed(0)
    obj = torch.randn(40, 40, dtype=torch.complex64, generator=gen)
    pos = torch.tensor([[[12, 12], [12, 17], [19, 11], [30, 30]]])  # the last overlaps no other
    patches = extract_windows(obj, pos[0], N)[None]
    torch.testing.assert_close(reassemble(patches, pos - pos[:, :1]), patches)


def test_reassembly_averages_disagreeing_patches_where_they_overlap():
    patches = torch.zeros(1, 2, N, N, dtype=torch.complex64)
    patches[0, 1] = 2 + 2j
    out = reassemble(patches, torch.tensor([[[0, 0], [0, 4]]]))
    assert out[0, 0, 0, 3] == 0 and out[0, 0, 0, 4] == 1 + 1j  # overlap starts at column 4
    assert out[0, 1, 0, 0] == 1 + 1j and out[0, 1, 0, N - 1] == 2 + 2j


def test_reassembly_averages_only_the_supports_that_cover_a_pixel():
    support = support_mask(N)
    patches = torch.zeros(1, 2, N, N, dtype=torch.complex64)
    patches[0, 0], patches[0, 1] = 1 * support, 3 * support
    out = reassemble(patches, torch.tensor([[[0, 0], [0, 2]]]), support)
    inner, edge = N // 4, N // 4 + N // 2 - 1  # member 0's support spans columns inner … edge
    assert out[0, 0, N // 2, inner] == 1  # only member 0's support covers its first columns
    assert out[0, 0, N // 2, inner + 2] == 2  # both supports: their mean, no vote from outside one
    assert out[0, 1, N // 2, edge] == 3  # member 1's last support columns: only its own value
    assert out[0, 0, 0, 0] == 0  # no support covers the window's corner


def test_offsets_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="offsets must have shape"):
        reassemble(
            torch.zeros(2, 4, N, N, dtype=torch.complex64), torch.zeros(2, 4, dtype=torch.int64)
        )


@pytest.mark.parametrize("trainable", [False, True])
def test_probe_is_a_buffer_or_a_parameter(scene, trainable):
    layer = ForwardModel(torch.as_tensor(scene.probe), trainable=trainable)
    assert any(p is layer.probe for p in layer.parameters()) == trainable
    assert "probe" in layer.state_dict()
    np.testing.assert_array_equal(layer.probe.detach().numpy(), scene.probe)
