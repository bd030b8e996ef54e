"""K-nearest-neighbour groups of C = gridsize² positions and their offsets."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from fly64.overlap import group_offsets, neighbour_groups, neighbour_pools

PROPERTY = settings(derandomize=True, max_examples=50, deadline=None)


def scan(n, seed=0):
    return np.random.default_rng(seed).integers(0, 60, (n, 2))


@PROPERTY
@given(
    n=st.integers(4, 40),
    c=st.sampled_from([1, 4]),
    extra=st.integers(0, 4),
    per_position=st.integers(1, 3),
    seed=st.integers(0, 99),
)
def test_groups_are_distinct_members_of_the_anchors_pool(n, c, extra, per_position, seed):
    k = min(c + extra, n)
    positions = scan(n, seed)
    n_groups = min(per_position * n, n * math.comb(k - 1, c - 1))
    groups = neighbour_groups(positions, c, k, n_groups=n_groups, seed=seed)
    assert groups.shape == (n_groups, c) and groups.dtype == np.int64
    pools = neighbour_pools(positions, k)
    distances = cdist(positions, positions)
    for group in groups:
        anchor = group[0]
        assert len(set(group.tolist())) == c
        assert set(group.tolist()) <= set(pools[anchor].tolist())
        # pool = the anchor's K nearest: nobody outside is strictly nearer than a member
        outside = np.setdiff1d(np.arange(n), pools[anchor])
        if len(outside):
            assert distances[anchor, pools[anchor]].max() <= distances[anchor, outside].min()
    assert len({tuple(g) for g in groups.tolist()}) == n_groups, "duplicate group"
    anchors, counts = np.unique(groups[:, 0], return_counts=True)
    assert counts.max() - counts.min() <= 1 and (len(anchors) == n or n_groups < n)


def test_one_group_per_position_by_default_and_deterministic():
    positions = scan(30)
    groups = neighbour_groups(positions, 4, 7, seed=123)
    np.testing.assert_array_equal(groups[:, 0], np.arange(30))
    np.testing.assert_array_equal(groups, neighbour_groups(positions, 4, 7, seed=123))
    assert not np.array_equal(groups, neighbour_groups(positions, 4, 7, seed=124))


def test_gridsize_one_and_full_pool_need_no_seed():
    positions = scan(10)
    np.testing.assert_array_equal(neighbour_groups(positions, 1, 7), np.arange(10)[:, None])
    np.testing.assert_array_equal(neighbour_groups(positions, 3, 3), neighbour_pools(positions, 3))


def test_oversampling_exhausts_every_combination():
    positions = scan(12)
    groups = neighbour_groups(positions, 4, 5, n_groups=12 * 4, seed=0)  # C(4, 3) = 4 each
    assert len({tuple(g) for g in groups.tolist()}) == 48
    with pytest.raises(ValueError, match="n_groups"):
        neighbour_groups(positions, 4, 5, n_groups=12 * 4 + 1, seed=0)


def test_coincident_positions_keep_the_anchor_first():
    positions = np.zeros((5, 2), dtype=int)
    pools = neighbour_pools(positions, 3)
    np.testing.assert_array_equal(pools[:, 0], np.arange(5))
    assert all(len(set(row)) == 3 for row in pools.tolist())


def test_offsets_are_relative_to_the_anchor():
    positions = np.array([[10, 10], [10, 14], [16, 10], [30, 30]])
    groups = np.array([[0, 1, 2], [2, 0, 3]])
    offsets = group_offsets(positions, groups)
    assert offsets.shape == (2, 3, 2) and offsets.dtype == positions.dtype
    np.testing.assert_array_equal(offsets[0], [[0, 0], [0, 4], [6, 0]])
    np.testing.assert_array_equal(offsets[1], [[0, 0], [-6, 0], [14, 20]])


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"group_size": 4, "neighbor_count": 3}, "neighbor_count"),
        ({"group_size": 4, "neighbor_count": 11}, "neighbor_count"),
        ({"group_size": 0, "neighbor_count": 3}, "gridsize"),
        ({"group_size": 4, "neighbor_count": 7, "n_groups": 0, "seed": 1}, "n_groups"),
        ({"group_size": 4, "neighbor_count": 7}, "seed"),
    ],
)
def test_bad_grouping_input_raises_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        neighbour_groups(scan(10), **kwargs)


def test_bad_groups_raise():
    with pytest.raises(ValueError, match="groups"):
        group_offsets(scan(5), np.array([[0, 5]]))
    with pytest.raises(ValueError, match="groups"):
        group_offsets(scan(5), np.array([0.0, 1.0]))
