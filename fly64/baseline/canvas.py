"""Where pty-chi's object lives relative to the ground-truth canvas.

pty-chi reconstructs on its own object buffer and takes probe positions (y first)
relative to a "position origin" at the buffer centre: a patch whose position is ``p``
starts at buffer pixel ``round(p) + origin − (N − 1)/2`` (the fractional part of ``p``
becomes a sub-pixel probe shift). Our positions are integer window **centres** ``c``
(y, x) in ground-truth object pixels whose window starts at ``c − N//2``.
:class:`SolverCanvas` fixes the origin (pty-chi's ``SPECIFIED`` mode) at the buffer centre,
``shape/2 − 0.5`` for even N as pty-chi's own ``SUPPORT`` mode would choose, ``shape/2``
for odd N (where ``SUPPORT`` would put every window half a pixel off), so pty-chi
positions are integers, patches need no interpolation and the reconstruction lands on the
ground-truth canvas pixel for pixel.
"""

from dataclasses import dataclass

import numpy as np

#: extra pixels around the scanned area, so no patch touches the buffer edge
MARGIN = 2


@dataclass(frozen=True)
class SolverCanvas:
    """pty-chi's object buffer: a crop of the ground-truth canvas around the scanned area.

    Attributes
    ----------
    corner : (y0, x0), ground-truth pixel of the buffer's pixel (0, 0) (may lie outside it).
    shape : (h, w), even buffer side lengths, pixels.
    patch_size : N, probe / window side, pixels.
    """

    corner: tuple[int, int]
    shape: tuple[int, int]
    patch_size: int

    @classmethod
    def around(cls, positions: np.ndarray, patch_size: int) -> "SolverCanvas":
        """The smallest even-sided buffer holding every window plus :data:`MARGIN` pixels.

        positions : int (n, 2) (y, x) window centres, ground-truth object pixels.
        """
        positions = np.asarray(positions)
        if positions.ndim != 2 or positions.shape[1] != 2 or len(positions) == 0:
            raise ValueError(
                f"positions must be a non-empty (n, 2) array, got shape {positions.shape}"
            )
        start = positions.min(axis=0) - patch_size // 2 - MARGIN
        stop = positions.max(axis=0) - patch_size // 2 + patch_size + MARGIN
        extent = stop - start
        extent = extent + extent % 2  # even sides: round(shape/2) is then exact
        return cls((int(start[0]), int(start[1])), (int(extent[0]), int(extent[1])), patch_size)

    @property
    def origin(self) -> np.ndarray:
        """pty-chi's position origin in buffer pixels (float64 (2,), y first).

        ``shape/2 − 0.5`` for even N, ``shape/2`` for odd N: either way
        ``origin − (N − 1)/2`` is an integer, so integer positions need no interpolation.
        """
        return np.asarray(self.shape, float) / 2 - 0.5 + (self.patch_size % 2) / 2

    def solver_positions(self, positions: np.ndarray) -> np.ndarray:
        """pty-chi positions (float64 (n, 2), y first, integer-valued) of our window centres.

        With these, pty-chi's patch start ``p + origin − (N − 1)/2`` equals our window start
        ``c − N//2`` shifted into the buffer, exactly.
        """
        n = self.patch_size
        centres_in_buffer = np.asarray(positions, float) - np.asarray(self.corner, float)
        return centres_in_buffer - n // 2 + (n - 1) / 2 - self.origin

    def to_ground_truth(self, buffer: np.ndarray, truth_shape: tuple[int, int]) -> np.ndarray:
        """Paste a (h, w) buffer onto a zero (H, W) ground-truth canvas (parts outside dropped)."""
        out = np.zeros(truth_shape, dtype=buffer.dtype)
        y0, x0 = self.corner
        top, left = max(y0, 0), max(x0, 0)
        bottom = min(y0 + self.shape[0], truth_shape[0])
        right = min(x0 + self.shape[1], truth_shape[1])
        if bottom > top and right > left:
            out[top:bottom, left:right] = buffer[top - y0 : bottom - y0, left - x0 : right - x0]
        return out

    def from_ground_truth(self, image: np.ndarray) -> np.ndarray:
        """The buffer's crop of a (H, W) ground-truth-canvas image, complex64 (h, w): ones
        where the image is zero or outside it (pty-chi's neutral object there)."""
        image = np.asarray(image)
        out = np.ones(self.shape, np.complex64)
        y0, x0 = self.corner
        top, left = max(y0, 0), max(x0, 0)
        bottom = min(y0 + self.shape[0], image.shape[0])
        right = min(x0 + self.shape[1], image.shape[1])
        if bottom > top and right > left:
            crop = image[top:bottom, left:right]
            out[top - y0 : bottom - y0, left - x0 : right - x0] = np.where(crop != 0, crop, 1)
        return out
