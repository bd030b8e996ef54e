"""Greedy minimum-spacing views, nearest-neighbour diagnostics and the packing bound."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist, pdist

from fly64.overlap import (
    greedy_min_spacing,
    nearest_neighbour_distances,
    packing_bound,
    spacing_stats,
    visit_order,
)

PROPERTY = settings(derandomize=True, max_examples=50, deadline=None)


def jittered_raster(shape=(12, 15), step=4.0, jitter=1.5, seed=0):
    ys, xs = np.meshgrid(np.arange(shape[0]) * step, np.arange(shape[1]) * step, indexing="ij")
    grid = np.stack([ys.ravel(), xs.ravel()], axis=1)
    return grid + np.random.default_rng(seed).uniform(-jitter, jitter, grid.shape)


int_scans = st.integers(1, 40).flatmap(
    lambda n: arrays(np.int64, (n, 2), elements=st.integers(0, 40))
)
float_scans = st.integers(1, 40).flatmap(
    lambda n: arrays(np.float64, (n, 2), elements=st.floats(0, 40, allow_nan=False))
)


def assert_valid_view(positions, spacing, accepted):
    kept, rejected = positions[accepted], positions[~accepted]
    assert accepted.any()
    if len(kept) > 1:
        assert pdist(kept).min() >= spacing, "accepted centres closer than the spacing"
    if len(rejected):
        assert (cdist(rejected, kept).min(axis=1) < spacing).all(), "a rejected centre was free"


@PROPERTY
@given(
    positions=st.one_of(int_scans, float_scans), spacing=st.floats(0.5, 25), seed=st.integers(0, 99)
)
def test_greedy_view_is_spaced_and_maximal(positions, spacing, seed):
    for order in ("raster", "random"):
        accepted = greedy_min_spacing(positions, spacing, order=order, seed=seed)
        assert accepted.dtype == bool and accepted.shape == (len(positions),)
        assert_valid_view(positions, spacing, accepted)


@PROPERTY
@given(seed=st.integers(0, 10_000), spacing=st.floats(3, 20))
def test_greedy_view_respects_packing_bound_on_jittered_rasters(seed, spacing):
    positions = jittered_raster(seed=seed)
    height, width = np.ptp(positions, axis=0)
    accepted = greedy_min_spacing(positions, spacing, order="random", seed=seed)
    assert_valid_view(positions, spacing, accepted)
    assert accepted.sum() <= packing_bound(height, width, spacing)


def test_raster_of_pitch_s_keeps_every_point_and_bound_is_tight():
    spacing, (my, mx) = 5.0, (7, 9)
    ys, xs = np.meshgrid(np.arange(my) * 5, np.arange(mx) * 5, indexing="ij")
    positions = np.stack([ys.ravel(), xs.ravel()], axis=1)  # distance exactly S is allowed
    for order in ("raster", "random"):
        assert greedy_min_spacing(positions, spacing, order=order, seed=1).all()
    assert not greedy_min_spacing(positions, spacing + 1e-9).all()
    bound = packing_bound((my - 1) * spacing, (mx - 1) * spacing, spacing)
    assert my * mx <= bound <= 1.2 * my * mx  # 2/√3 ≈ 1.155 for a pitch-S raster


def test_raster_order_visits_rows_then_columns():
    positions = np.array([[5, 1], [0, 9], [5, 0], [0, 3]])
    np.testing.assert_array_equal(visit_order(positions), [3, 1, 2, 0])
    # raster order keeps the first of two close centres in reading order
    np.testing.assert_array_equal(greedy_min_spacing([[1, 1], [0, 2]], 3.0), [False, True])


def test_same_seed_same_view_and_seeds_differ():
    positions = jittered_raster(seed=3)
    masks = [greedy_min_spacing(positions, 9.0, order="random", seed=s) for s in (7, 7, 8)]
    np.testing.assert_array_equal(masks[0], masks[1])
    assert not np.array_equal(masks[0], masks[2])


def test_nearest_neighbour_distances_and_stats():
    positions = np.array([[0, 0], [0, 3], [4, 0], [10, 10]])
    d = nearest_neighbour_distances(positions)
    np.testing.assert_allclose(d, [3, 3, 4, np.hypot(6, 10)])
    assert nearest_neighbour_distances([[1, 1], [1, 1]]).tolist() == [0, 0]
    stats = spacing_stats(d, bins=4)
    assert (stats["min"], stats["median"], stats["max"]) == (3, 3.5, d.max())
    assert stats["mean"] == pytest.approx(d.mean())
    assert stats["hist_counts"].sum() == 4 and len(stats["hist_edges"]) == 5


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: greedy_min_spacing([[0, 0]], 0), "spacing"),
        (lambda: greedy_min_spacing([[0, 0]], np.nan), "spacing"),
        (lambda: greedy_min_spacing(np.empty((0, 2)), 1), "empty"),
        (lambda: greedy_min_spacing([[0, np.nan]], 1), "NaN"),
        (lambda: greedy_min_spacing([[0, 0, 0]], 1), "shape"),
        (lambda: greedy_min_spacing([[0, 0]], 1, order="spiral"), "order"),
        (lambda: greedy_min_spacing([[0, 0]], 1, order="random"), "seed"),
        (lambda: nearest_neighbour_distances([[0, 0]]), "at least 2"),
        (lambda: spacing_stats([], 3), "at least one"),
        (lambda: packing_bound(10, 10, 0), "spacing"),
        (lambda: packing_bound(-1, 10, 1), "height"),
    ],
)
def test_bad_input_raises_naming_the_problem(call, field):
    with pytest.raises(ValueError, match=field):
        call()
