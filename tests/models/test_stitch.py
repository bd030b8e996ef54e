"""Stitching on the ground-truth canvas: count assertion, weights, exact recovery."""

import numpy as np
import pytest
import torch

from fly64.models import stitch
from fly64.physics import extract_windows

from .conftest import N


def test_true_windows_stitch_back_to_the_object(scene):
    windows = extract_windows(torch.as_tensor(scene.object), torch.as_tensor(scene.positions), N).numpy()
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
    with pytest.raises(ValueError, match="one patch per position: got 159 patches for 5088 positions"):
        stitch(np.zeros((159, N, N), np.complex64), np.zeros((5088, 2), int), scene.probe, (64, 64))


def test_windows_outside_the_canvas_are_refused(scene):
    with pytest.raises(ValueError, match="outside the 64×64 canvas"):
        stitch(np.zeros((1, N, N), np.complex64), np.array([[60, 20]]), scene.probe, (64, 64))
