"""Stitching on the ground-truth canvas: count assertion, weights, exact recovery."""

import numpy as np
import pytest
import torch

from fly64.models import stitch, synchronise_levels
from fly64.models.network import support_mask
from fly64.physics import extract_windows

from .conftest import N


def test_true_windows_stitch_back_to_the_object(scene):
    windows = extract_windows(
        torch.as_tensor(scene.object), torch.as_tensor(scene.positions), N
    ).numpy()
    obj, weights = stitch(windows, scene.positions, scene.probe, scene.object.shape)
    assert obj.dtype == np.complex64 and weights.dtype == np.float32
    lit = weights > 0
    np.testing.assert_allclose(obj[lit], scene.object[lit], rtol=1e-4, atol=1e-5)


def test_weights_are_probe_intensity_and_unlit_pixels_are_zero(scene):
    patch = np.ones((1, N, N), np.complex64)
    obj, weights = stitch(patch, np.array([[20, 30]]), scene.probe, (64, 64))
    window = (slice(20 - N // 2, 20 + N // 2), slice(30 - N // 2, 30 + N // 2))
    np.testing.assert_allclose(weights[window], np.abs(scene.probe) ** 2, rtol=1e-6)
    assert weights.sum() == pytest.approx(weights[window].sum())
    assert np.all(obj[weights == 0] == 0)


def test_patch_count_must_equal_position_count(scene):
    with pytest.raises(
        ValueError, match="one patch per position: got 159 patches for 5088 positions"
    ):
        stitch(np.zeros((159, N, N), np.complex64), np.zeros((5088, 2), int), scene.probe, (64, 64))


def test_windows_outside_the_canvas_are_refused(scene):
    with pytest.raises(ValueError, match="outside the 64×64 canvas"):
        stitch(np.zeros((1, N, N), np.complex64), np.array([[60, 20]]), scene.probe, (64, 64))


def test_synchronised_stitching_removes_known_patch_levels(scene):
    windows = extract_windows(
        torch.as_tensor(scene.object), torch.as_tensor(scene.positions), N
    ).numpy()
    support = support_mask(N).numpy()
    windows = windows * support  # what the network predicts: nothing outside the support
    levels = np.random.default_rng(3).uniform(-np.pi, np.pi, len(windows))
    shifted = windows * np.exp(1j * levels)[:, None, None]
    found = synchronise_levels(shifted, scene.positions, scene.probe, support)
    residual = np.angle(np.exp(1j * (levels - found)))
    assert np.ptp(np.unwrap(residual)) < 1e-3  # the levels, up to one common constant
    fixed, _ = stitch(
        shifted * np.exp(-1j * found)[:, None, None],
        scene.positions,
        scene.probe,
        scene.object.shape,
        support,
    )
    raw, weights = stitch(shifted, scene.positions, scene.probe, scene.object.shape, support)
    lit = weights > 0.1 * weights.max()
    common = np.exp(1j * residual[0])
    np.testing.assert_allclose(fixed[lit], scene.object[lit] * common, rtol=1e-3, atol=1e-4)
    assert np.abs(raw[lit] - scene.object[lit] * common).mean() > 0.1  # unsynchronised levels blur


def test_isolated_patches_keep_their_level(scene):
    patches = np.exp(1j * np.array([0.5, -1.0]))[:, None, None] * np.ones((2, N, N))
    far_apart = np.array([[10, 10], [50, 50]])
    np.testing.assert_array_equal(synchronise_levels(patches, far_apart, scene.probe), [0.0, 0.0])
