"""Disc and linear overlap with the footprint D, coverage map and covered fraction."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fly64.overlap import coverage_map, covered_fraction, disc_overlap_fraction, linear_overlap

PROPERTY = settings(derandomize=True, max_examples=50, deadline=None)


def test_disc_overlap_known_values():
    footprint = 40.0
    assert disc_overlap_fraction(0, footprint) == pytest.approx(1.0)
    assert disc_overlap_fraction(footprint / 2, footprint) == pytest.approx(
        2 / 3 - np.sqrt(3) / (2 * np.pi)
    )
    assert disc_overlap_fraction(footprint / 2, footprint) == pytest.approx(0.391, abs=5e-4)
    np.testing.assert_array_equal(disc_overlap_fraction([40, 41, 1e6], footprint), 0)
    assert isinstance(disc_overlap_fraction(3.0, footprint), float)


@PROPERTY
@given(footprint=st.floats(1, 200), fractions=st.lists(st.floats(0, 1.5), min_size=2, max_size=20))
def test_overlaps_are_monotone_and_bounded(footprint, fractions):
    d = np.sort(np.array(fractions)) * footprint
    for overlap in (disc_overlap_fraction(d, footprint), linear_overlap(d, footprint)):
        assert overlap.shape == d.shape
        assert ((overlap >= 0) & (overlap <= 1)).all()
        assert (np.diff(overlap) <= 1e-12).all()
    assert (disc_overlap_fraction(d, footprint) <= linear_overlap(d, footprint) + 1e-12).all()


def test_linear_overlap_is_clipped():
    np.testing.assert_allclose(linear_overlap([0, 16, 64, 100], 64), [1, 0.75, 0, 0])


@pytest.mark.parametrize("d, footprint", [(-1, 10), (1, 0), (np.nan, 10), (1, -3)])
def test_bad_overlap_input_raises(d, footprint):
    with pytest.raises(ValueError):
        disc_overlap_fraction(d, footprint)
    with pytest.raises(ValueError):
        linear_overlap(d, footprint)


def test_coverage_map_places_windows_at_their_centres():
    intensity = np.arange(1, 17, dtype=float).reshape(4, 4)
    positions = np.array([[2, 2], [5, 6], [6.4, 5.6]])  # last one rounds to (6, 6)
    coverage = coverage_map(positions, intensity, (10, 12))
    assert coverage.shape == (10, 12)
    assert coverage.sum() == pytest.approx(len(positions) * intensity.sum())
    np.testing.assert_array_equal(coverage[0:4, 0:4], intensity)  # rows y − N//2 … y + N//2 − 1
    assert coverage[4, 5] == pytest.approx(intensity[1, 1] + intensity[0, 1])


def test_coverage_map_drops_parts_outside_the_object():
    intensity = np.ones((4, 4))
    coverage = coverage_map([[0, 0]], intensity, (5, 5))
    assert coverage.sum() == 4 and coverage[:2, :2].all()


def test_covered_fraction():
    coverage = np.zeros((4, 5))
    coverage[0, :2] = [1.0, 0.2]
    assert covered_fraction(coverage) == pytest.approx(2 / 20)
    assert covered_fraction(coverage, threshold_rel=0.5) == pytest.approx(1 / 20)
    assert covered_fraction(np.zeros((3, 3))) == 0.0
    with pytest.raises(ValueError, match="threshold_rel"):
        covered_fraction(coverage, threshold_rel=0)


def test_bad_coverage_input_raises():
    with pytest.raises(ValueError, match="probe_intensity"):
        coverage_map([[3, 3]], np.ones(4), (8, 8))
    with pytest.raises(ValueError, match="object_shape"):
        coverage_map([[3, 3]], np.ones((2, 2)), (0, 8))
    with pytest.raises(ValueError, match="shape"):
        coverage_map([3, 3], np.ones((2, 2)), (8, 8))
