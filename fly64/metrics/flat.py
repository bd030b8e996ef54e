"""What counts as rounding: flat images and exact matches, for scores that divide by them."""

import numpy as np

#: relative size below which a spread or an error is float64 rounding (~1e-16), not signal
ROUNDING_RTOL = 1e-9


def is_flat(values: np.ndarray, scale: float) -> bool:
    """True when ``values`` is constant up to rounding: ``std ≤ ROUNDING_RTOL·scale``.

    ``scale`` is the magnitude the rounding is relative to, e.g. the largest absolute value
    of the images being compared. A constant reconstruction keeps rounding-level ripples
    after alignment; this test lets it score a correlation or FRC of exactly 0.
    """
    return bool(np.std(values) <= ROUNDING_RTOL * scale)
