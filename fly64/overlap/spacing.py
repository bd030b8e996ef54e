"""Minimum-spacing views of a scan, nearest-neighbour spacing diagnostics and a packing bound.

Distances are Euclidean, ``sqrt(dy² + dx²)`` in object pixels, between (y, x) window centres.
"""

import math

import numpy as np
from scipy.spatial import cKDTree

from fly64.overlap._positions import checked_positions

ORDERS = ("raster", "random")


def visit_order(positions, order: str = "raster", *, seed: int | None = None) -> np.ndarray:
    """The order in which :func:`greedy_min_spacing` visits positions.

    Parameters
    ----------
    positions : (n, 2), (y, x) window centres in object pixels.
    order : ``"raster"``: sorted by y, then x (``np.lexsort``; ties keep input order);
        ``"random"``: ``np.random.default_rng(seed).permutation(n)``.
    seed : seed of the random order (required for ``"random"``, ignored for ``"raster"``).

    Returns
    -------
    order : int64 (n,), indices into ``positions``.
    """
    pts = checked_positions(positions)
    if order == "raster":
        return np.lexsort((pts[:, 1], pts[:, 0])).astype(np.int64)
    if order == "random":
        if seed is None:
            raise ValueError('order="random" needs an explicit seed (determinism)')
        return np.random.default_rng(seed).permutation(len(pts)).astype(np.int64)
    raise ValueError(f"order must be one of {ORDERS}, got {order!r}")


def greedy_min_spacing(
    positions, spacing: float, *, order: str = "raster", seed: int | None = None
) -> np.ndarray:
    """Greedy subset of positions whose centres lie at least ``spacing`` apart.

    Positions are visited in :func:`visit_order`; a position is accepted unless an already
    accepted one lies strictly closer than ``spacing``. Hence every accepted pair is at
    distance ≥ ``spacing`` (exactly ``spacing`` is allowed) and every rejected position lies
    closer than ``spacing`` to some accepted one (the subset is maximal). Neighbours are found
    with a k-d tree, one ball query per accepted position: no n×n distance matrix.

    Parameters
    ----------
    positions : (n, 2), (y, x) window centres in object pixels, int or float.
    spacing : minimum centre spacing S, pixels (> 0).
    order : ``"raster"`` or ``"random"`` (see :func:`visit_order`).
    seed : seed of the random order.

    Returns
    -------
    accepted : bool (n,), True for kept positions.
    """
    if not (np.isfinite(spacing) and spacing > 0):
        raise ValueError(f"spacing must be a finite positive number of pixels, got {spacing!r}")
    visits = visit_order(positions, order, seed=seed)
    pts = np.asarray(checked_positions(positions), dtype=np.float64)
    tree = cKDTree(pts)
    radius = spacing * (1 + 1e-9)  # a superset of the ball; the exact test follows
    blocked = np.zeros(len(pts), dtype=bool)
    accepted = np.zeros(len(pts), dtype=bool)
    for i in visits.tolist():
        if blocked[i]:
            continue
        accepted[i] = True
        near = np.asarray(tree.query_ball_point(pts[i], radius, return_sorted=False), np.int64)
        distance = np.sqrt(np.sum((pts[near] - pts[i]) ** 2, axis=1))
        blocked[near[distance < spacing]] = True
    return accepted


def nearest_neighbour_distances(positions) -> np.ndarray:
    """Distance from each position to its nearest other position.

    Parameters
    ----------
    positions : (n, 2), (y, x) window centres in object pixels; n ≥ 2 (else ValueError).
        Coincident positions give distance 0.

    Returns
    -------
    distances : float64 (n,), pixels.
    """
    pts = np.asarray(checked_positions(positions), dtype=np.float64)
    if len(pts) < 2:
        raise ValueError(f"nearest-neighbour distances need at least 2 positions, got {len(pts)}")
    distances, _ = cKDTree(pts).query(pts, k=2)
    return distances[:, 1]


def spacing_stats(distances, bins=20) -> dict:
    """Summary of nearest-neighbour distances.

    Parameters
    ----------
    distances : (n,) float, pixels (non-empty), e.g. from :func:`nearest_neighbour_distances`.
    bins : number of histogram bins or their edges (as ``np.histogram``).

    Returns
    -------
    stats : dict with floats ``min``, ``median``, ``mean``, ``max`` (pixels), int64
        ``hist_counts`` (n_bins,) and float64 ``hist_edges`` (n_bins + 1,) in pixels.
    """
    d = np.asarray(distances, dtype=np.float64).ravel()
    if d.size == 0:
        raise ValueError("spacing_stats needs at least one distance")
    if not np.isfinite(d).all():
        raise ValueError("distances contain NaN or infinite values")
    counts, edges = np.histogram(d, bins=bins)
    return {
        "min": float(d.min()),
        "median": float(np.median(d)),
        "mean": float(d.mean()),
        "max": float(d.max()),
        "hist_counts": counts.astype(np.int64),
        "hist_edges": edges,
    }


def packing_bound(height: float, width: float, spacing: float) -> int:
    """Upper bound on how many centres at pairwise distance ≥ S fit in a height × width rectangle.

    Discs of radius S/2 around such centres are disjoint and lie in the rectangle grown by
    S/2 on each side, a convex quadrilateral. By the Segre–Mahler / L. Fejes Tóth theorem, n
    disjoint discs of radius r in a convex polygon of at most six sides need area ≥ n·√12·r²
    (hexagonal packing density π/√12), so

        n ≤ floor( 2 (H + S)(W + S) / (√3 S²) ).

    This is an upper bound, not the exact maximum (Oler's inequality is tighter for small
    rectangles); a raster of pitch S reaches about 87 % of it.

    Parameters
    ----------
    height, width : extent of the region where centres may lie, pixels (≥ 0), e.g.
        ``object side − N`` for windows of side N that must stay inside the object.
    spacing : minimum centre spacing S, pixels (> 0).

    Returns
    -------
    bound : int ≥ 1.
    """
    if not (np.isfinite(spacing) and spacing > 0):
        raise ValueError(f"spacing must be a finite positive number of pixels, got {spacing!r}")
    if not (np.isfinite(height) and np.isfinite(width) and height >= 0 and width >= 0):
        raise ValueError(f"height and width must be finite and ≥ 0, got {height!r} × {width!r}")
    area = (height + spacing) * (width + spacing)
    # the 1e-12 margin keeps a mathematically exact integer from rounding down
    return math.floor(2 * area / (math.sqrt(3) * spacing**2) * (1 + 1e-12))
