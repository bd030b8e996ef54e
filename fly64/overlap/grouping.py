"""Groups of C = gridsize² neighbouring positions for the PINN (PtychoPINN-style K-NN grouping)."""

import itertools
import math

import numpy as np
from scipy.spatial import cKDTree

from fly64.overlap._positions import checked_positions


def neighbour_pools(positions, neighbor_count: int) -> np.ndarray:
    """Each position's K nearest positions, itself first, then by increasing distance.

    Parameters
    ----------
    positions : (n, 2), (y, x) window centres in object pixels.
    neighbor_count : K, pool size including the position itself (1 ≤ K ≤ n).

    Returns
    -------
    pools : int64 (n, K); ``pools[i, 0] == i``. Ties between equally distant neighbours
        follow the k-d tree's (deterministic) order.
    """
    pts = np.asarray(checked_positions(positions), dtype=np.float64)
    n, k = len(pts), int(neighbor_count)
    if not 1 <= k <= n:
        raise ValueError(f"neighbor_count K={neighbor_count} must lie in [1, n = {n} positions]")
    _, nearest = cKDTree(pts).query(pts, k=k)
    nearest = nearest.reshape(n, k)
    anchors = np.arange(n)
    # drop the anchor from its own list (coincident positions may not list it first)
    others_first = np.argsort(nearest == anchors[:, None], axis=1, kind="stable")[:, : k - 1]
    others = np.take_along_axis(nearest, others_first, axis=1)
    return np.concatenate([anchors[:, None], others], axis=1).astype(np.int64)


def neighbour_groups(
    positions,
    group_size: int,
    neighbor_count: int,
    *,
    n_groups: int | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Groups of C distinct positions: an anchor plus C − 1 members of its K-nearest pool.

    Every group is drawn for an anchor position: its first member is the anchor, the others
    are C − 1 distinct positions of the anchor's :func:`neighbour_pools` row (excluding the
    anchor), listed in pool order (nearest first). Anchors get ``n_groups // n`` groups each,
    and ``n_groups % n`` anchors drawn at random get one more; an anchor's groups are distinct
    combinations (K-choose-C oversampling), drawn uniformly without replacement from the
    C(K − 1, C − 1) possible, which are enumerated (keep K modest: K = 7, C = 4 gives 20).
    Groups are returned by anchor, ascending.

    Parameters
    ----------
    positions : (n, 2), (y, x) window centres in object pixels.
    group_size : C = gridsize² (≥ 1). C = 1 gives ``arange(n)[:, None]`` when n_groups = n.
    neighbor_count : K, pool size including the anchor (C ≤ K ≤ n).
    n_groups : number of groups (default n: one per position); at most n·C(K − 1, C − 1).
    seed : seed of ``np.random.default_rng``; required unless the groups are determined
        (C = 1 or C = K, with n_groups = n).

    Returns
    -------
    groups : int64 (n_groups, C), indices into ``positions``; column 0 is the anchor.
    """
    pts = checked_positions(positions)
    n, c, k = len(pts), int(group_size), int(neighbor_count)
    if c < 1:
        raise ValueError(f"group size C = gridsize² must be ≥ 1, got {group_size}")
    if k < c:
        raise ValueError(f"neighbor_count K={k} must be ≥ the group size C = gridsize² = {c}")
    if k > n:
        raise ValueError(f"neighbor_count K={k} exceeds the number of positions n={n}")
    n_groups = n if n_groups is None else int(n_groups)
    per_anchor = math.comb(k - 1, c - 1)
    if not 1 <= n_groups <= n * per_anchor:
        raise ValueError(
            f"n_groups={n_groups} must lie in [1, n·C(K−1, C−1) = {n}·{per_anchor}] "
            f"(neighbor_count K={k}, gridsize² C={c})"
        )
    if seed is None and (per_anchor > 1 or n_groups % n):
        raise ValueError("neighbour_groups needs an explicit seed to draw groups (determinism)")
    rng = np.random.default_rng(seed)
    quota = np.full(n, n_groups // n, dtype=np.int64)
    quota[rng.choice(n, size=n_groups % n, replace=False)] += 1
    pools = neighbour_pools(pts, k)
    combos = np.array(list(itertools.combinations(range(1, k), c - 1)), dtype=np.int64)
    combos = combos.reshape(per_anchor, c - 1)
    anchors = np.repeat(np.arange(n), quota)
    picks = np.concatenate([rng.choice(per_anchor, size=q, replace=False) for q in quota.tolist()])
    columns = np.concatenate([np.zeros((n_groups, 1), np.int64), combos[picks]], axis=1)
    return np.take_along_axis(pools[anchors], columns, axis=1)


def group_offsets(positions, groups) -> np.ndarray:
    """Position of each group member relative to the group's anchor (its first member).

    Parameters
    ----------
    positions : (n, 2), (y, x) window centres in object pixels.
    groups : int (n_groups, C), indices into ``positions``, anchor first.

    Returns
    -------
    offsets : (n_groups, C, 2), (y, x) pixels, dtype of ``positions`` (integer positions
        give the integer offsets the PINN physics layer expects); ``offsets[:, 0] == 0``.
    """
    pts = checked_positions(positions)
    idx = np.asarray(groups)
    if idx.ndim != 2 or idx.shape[1] < 1 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(
            f"groups must be an integer (n_groups, C) array, got {idx.dtype} {idx.shape}"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= len(pts)):
        raise ValueError(
            f"groups: indices must lie in [0, {len(pts)}), got {idx.min()}…{idx.max()}"
        )
    members = pts[idx]
    return members - members[:, :1]
