"""Scan positions: the dense base raster, and its train/test split along y.

Positions are ``(y, x)`` integer object pixels marking the **centre** of the N×N window,
whose rows are ``y - N//2 … y - N//2 + N - 1`` (columns alike).
"""

import numpy as np


def centre_range(extent: int, size: int) -> tuple[int, int]:
    """Smallest and largest centre coordinate whose window of side ``size`` fits in ``extent``."""
    return size // 2, extent - size + size // 2


def raster_scan(
    object_shape: tuple[int, int],
    size: int,
    step: float,
    *,
    jitter: float = 0.0,
    seed: int | None = None,
) -> np.ndarray:
    """A raster of window centres covering the object, optionally jittered.

    Parameters
    ----------
    object_shape : (H, W) of the object in pixels.
    size : window side N in pixels; every window lies fully inside the object.
    step : raster pitch in pixels (> 0).
    jitter : each centre moves by a uniform offset in [-jitter, jitter] per axis, then
        is rounded to an integer and clipped to the valid range.
    seed : seed of the jitter generator (required when jitter > 0).

    Returns
    -------
    positions : int64 (n, 2), (y, x) centres, raster order (row by row).
    """
    h, w = object_shape
    if step <= 0:
        raise ValueError(f"scan step must be positive, got {step}")
    if size > min(h, w):
        raise ValueError(f"window side {size} px does not fit in the object {h}×{w} px")
    if jitter < 0:
        raise ValueError(f"jitter must be ≥ 0, got {jitter}")
    (y0, y1), (x0, x1) = centre_range(h, size), centre_range(w, size)
    ys = np.arange(y0, y1 + 1e-9, step)
    xs = np.arange(x0, x1 + 1e-9, step)
    grid = np.stack(np.meshgrid(ys, xs, indexing="ij"), axis=-1).reshape(-1, 2)
    if jitter > 0:
        if seed is None:
            raise ValueError("a seed is required for a jittered scan")
        grid = grid + np.random.default_rng(seed).uniform(-jitter, jitter, grid.shape)
    grid = np.rint(grid)
    grid[:, 0] = np.clip(grid[:, 0], y0, y1)
    grid[:, 1] = np.clip(grid[:, 1], x0, x1)
    return grid.astype(np.int64)


def illuminated_rows(positions: np.ndarray, size: int) -> tuple[int, int]:
    """First and last object row touched by any window centred at ``positions`` (n, 2)."""
    top = int(positions[:, 0].min()) - size // 2
    return top, int(positions[:, 0].max()) - size // 2 + size - 1


def split_along_y(positions: np.ndarray, size: int, object_height: int, guard: int) -> np.ndarray:
    """Label windows train (0, top half) or test (1, bottom half), dropping the guard band.

    A window belongs to train when its last row lies above ``b - ceil(guard/2)`` and to
    test when its first row lies at or below ``b + floor(guard/2)``, with b = H//2, so at
    least ``guard`` unilluminated rows separate the two splits and no object pixel is
    illuminated by both. Windows straddling the band get -1 (dropped by the caller).

    Returns
    -------
    labels : int8 (n,), 0 train, 1 test, -1 dropped.
    """
    if guard < 0:
        raise ValueError(f"guard band must be ≥ 0 rows, got {guard}")
    boundary = object_height // 2
    top = positions[:, 0] - size // 2
    bottom = top + size - 1
    labels = np.full(len(positions), -1, dtype=np.int8)
    labels[bottom < boundary - (guard + 1) // 2] = 0
    labels[top >= boundary + guard // 2] = 1
    return labels
