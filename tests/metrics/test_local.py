"""Local (per-footprint) correlation: structure under each probe, blind to each window's level."""

import numpy as np
import pytest
from scipy.ndimage import uniform_filter

from fly64.metrics import footprint_core, local_correlation
from fly64.physics import footprint_diameter, make_probe, make_test_object

N = 32


@pytest.fixture(scope="module")
def scene():
    phase = np.angle(make_test_object((128, 128), "coarse"))  # levels vary beyond a footprint
    positions = np.array([(y, x) for y in range(20, 110, 10) for x in range(20, 110, 10)])
    core = footprint_core(N, footprint_diameter(make_probe(N, "focused")))
    return phase, positions, core


def test_core_is_the_footprint_disc():
    core = footprint_core(N, 10.0)
    assert core[N // 2, N // 2] and core[N // 2, N // 2 + 5] and not core[N // 2, N // 2 + 6]
    assert core.sum() == pytest.approx(np.pi * 25, rel=0.1)


def test_identical_scores_one_and_flat_scores_zero(scene):
    phase, positions, core = scene
    assert local_correlation(phase, phase, positions, core) == pytest.approx(1.0)
    assert local_correlation(phase, np.full_like(phase, 0.7), positions, core) == 0.0
    assert np.isnan(local_correlation(np.zeros_like(phase), phase, positions, core))


def test_levels_per_window_do_not_matter_but_blur_does(scene):
    phase, positions, core = scene
    yy, xx = np.indices(phase.shape)
    # a level that changes only on scales far beyond a footprint: the global score drops,
    # the local one hardly moves
    levels = phase + np.sin(2 * np.pi * yy / 512) + np.cos(2 * np.pi * xx / 512)
    assert local_correlation(phase, levels, positions, core) > 0.9
    assert np.corrcoef(phase.ravel(), levels.ravel())[0, 1] < 0.6
    # a blurred level map (one value per footprint, roughly): the global score stays high,
    # the local one is low
    blurred = uniform_filter(phase, 21)
    assert np.corrcoef(phase.ravel(), blurred.ravel())[0, 1] > 0.5
    assert local_correlation(phase, blurred, positions, core) < 0.3


def test_windows_must_lie_inside_the_canvas(scene):
    phase, _, core = scene
    with pytest.raises(ValueError, match="inside"):
        local_correlation(phase, phase, np.array([[5, 60]]), core)
