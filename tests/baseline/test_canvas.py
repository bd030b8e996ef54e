"""pty-chi's buffer and positions against our (y, x) window-centre convention (no pty-chi)."""

import numpy as np
import pytest

from fly64.baseline.canvas import MARGIN, SolverCanvas


@pytest.mark.parametrize("n", [16, 15])
def test_solver_positions_reproduce_our_windows_exactly(n):
    positions = np.array([[20, 31], [25, 40], [47, 22]])
    canvas = SolverCanvas.around(positions, n)
    p = canvas.solver_positions(positions)
    assert np.array_equal(p, np.round(p)), "pty-chi positions must be integers (no interpolation)"
    # pty-chi: a patch at position p starts at buffer pixel p + origin − (N − 1)/2
    start_in_buffer = p + canvas.origin - (n - 1) / 2
    assert np.array_equal(start_in_buffer + canvas.corner, positions - n // 2)


def test_buffer_holds_every_window_with_margin_and_has_even_sides():
    positions = np.array([[20, 31], [25, 40], [48, 22]])
    canvas = SolverCanvas.around(positions, 16)
    assert all(side % 2 == 0 for side in canvas.shape)
    starts = positions - 8 - np.asarray(canvas.corner)
    assert starts.min() >= MARGIN
    assert (starts + 16 + MARGIN <= np.asarray(canvas.shape)).all()


def test_to_ground_truth_places_pixels_and_drops_the_outside():
    canvas = SolverCanvas(corner=(-2, 3), shape=(6, 4), patch_size=2)
    buffer = np.arange(24, dtype=np.float32).reshape(6, 4)
    out = canvas.to_ground_truth(buffer, (5, 6))
    assert out.shape == (5, 6)
    assert np.array_equal(out[0:4, 3:6], buffer[2:6, 0:3])
    assert out[:, :3].sum() == 0 and out[4:].sum() == 0


def test_empty_positions_are_refused():
    with pytest.raises(ValueError, match="non-empty"):
        SolverCanvas.around(np.zeros((0, 2)), 16)
