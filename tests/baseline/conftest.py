"""A tiny scene for solver tests: 80×80 object, N = 16 probe, 49 positions, photon counts."""

import pytest

from fly64.physics import make_probe, make_test_object, raster_scan, simulate_counts

N = 16


@pytest.fixture(scope="package")
def scene():
    obj = make_test_object((80, 80))
    positions = raster_scan(obj.shape, N, 8.0, jitter=1.0, seed=5)
    counts, probe = simulate_counts(obj, make_probe(N), positions, 1e6, seed=7)
    return obj, probe, positions, counts
