"""Validation of scan-position arrays shared by the overlap modules."""

import numpy as np


def checked_positions(positions) -> np.ndarray:
    """Return ``positions`` as an ndarray after checking it is a finite, non-empty (n, 2) array.

    Parameters
    ----------
    positions : array-like (n, 2), (y, x) window **centres** in object pixels, int or float.

    Returns
    -------
    positions : ndarray (n, 2), same dtype as given (integers stay integers).
    """
    pts = np.asarray(positions)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"positions must have shape (n, 2) of (y, x) centres, got {pts.shape}")
    if len(pts) == 0:
        raise ValueError("positions is empty: at least one (y, x) centre is needed")
    if not (np.issubdtype(pts.dtype, np.integer) or np.issubdtype(pts.dtype, np.floating)):
        raise ValueError(f"positions must be integer or float, got dtype {pts.dtype}")
    if not np.isfinite(pts).all():
        raise ValueError("positions contain NaN or infinite values")
    return pts
