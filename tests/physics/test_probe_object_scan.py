"""Probe footprint, test object statistics, scan bounds and the split guard band."""

import numpy as np
import pytest

from fly64.physics import (
    footprint_diameter,
    make_probe,
    make_test_object,
    raster_scan,
    split_along_y,
)
from fly64.physics.scan import illuminated_rows


@pytest.mark.parametrize("radius", [5, 10, 14])
def test_footprint_of_a_flat_disc(radius):
    yy, xx = np.indices((64, 64))
    disc = (((yy - 32) ** 2 + (xx - 32) ** 2) <= radius**2).astype(np.complex64)
    assert footprint_diameter(disc) == pytest.approx(2 * radius * np.sqrt(0.9), abs=0.6)


def test_default_probe_is_a_focused_beam_with_side_lobes():
    probe = make_probe(64)
    intensity = np.abs(probe) ** 2
    assert np.isclose(intensity.sum(), 1.0, rtol=1e-5)
    assert np.unravel_index(intensity.argmax(), intensity.shape) == (32, 32)
    profile = intensity[32, 32:]
    minima = np.flatnonzero((profile[1:-1] < profile[:-2]) & (profile[1:-1] < profile[2:]))
    assert len(minima) >= 1, "an apertured beam has rings: its radial profile has a local minimum"
    assert 0.4 * 64 < footprint_diameter(probe) < 0.9 * 64
    assert np.ptp(np.angle(probe[intensity > 0.1 * intensity.max()])) > 0.1  # not a flat disc


def test_footprint_scales_with_window():
    assert footprint_diameter(make_probe(128)) == pytest.approx(2 * footprint_diameter(make_probe(64)), rel=0.05)


def test_test_object_is_weak_mostly_phase_and_deterministic():
    obj = make_test_object((256, 256))
    amp, phase = np.abs(obj), np.angle(obj)
    assert obj.dtype == np.complex64
    assert amp.mean() == pytest.approx(0.6, abs=0.02)
    assert amp.std() / amp.mean() == pytest.approx(0.1, abs=0.02)
    assert phase.std() == pytest.approx(0.3, abs=0.03)
    assert np.array_equal(obj, make_test_object((256, 256)))


def test_test_object_has_structure_up_to_nyquist():
    phase = np.angle(make_test_object((256, 256)))
    power = np.abs(np.fft.fftshift(np.fft.fft2(phase - phase.mean()))) ** 2
    yy, xx = np.indices(power.shape)
    radius = np.hypot(yy - 128, xx - 128).astype(int)
    radial = np.bincount(radius.ravel(), power.ravel()) / np.bincount(radius.ravel())
    # every frequency band up to Nyquist (radius 128) carries power well above round-off
    assert radial[1:128].min() > 1e-6 * radial[1:128].max()
    assert radial[100:128].mean() > 1e-4 * radial[1:10].mean()


def test_raster_positions_keep_windows_inside():
    pos = raster_scan((100, 140), 32, 5.0, jitter=2.0, seed=0)
    assert pos.dtype == np.int64
    assert pos[:, 0].min() >= 16 and pos[:, 0].max() <= 100 - 32 + 16
    assert pos[:, 1].min() >= 16 and pos[:, 1].max() <= 140 - 32 + 16


@pytest.mark.parametrize("kwargs, match", [
    (dict(step=0), "step"), (dict(step=4, jitter=-1), "jitter"), (dict(step=4, jitter=1), "seed"),
])
def test_bad_scan_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        raster_scan((100, 100), 32, **kwargs)


def test_probe_larger_than_object_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        raster_scan((20, 100), 32, 4.0)


@pytest.mark.parametrize("guard", [0, 3, 8])
def test_guard_band_leaves_no_pixel_illuminated_by_both_splits(guard):
    size, height = 32, 160
    pos = raster_scan((height, 160), size, 3.0, jitter=1.0, seed=1)
    labels = split_along_y(pos, size, height, guard)
    train_rows = illuminated_rows(pos[labels == 0], size)
    test_rows = illuminated_rows(pos[labels == 1], size)
    assert train_rows[1] + guard < test_rows[0]
    assert (labels == 0).sum() > 0 and (labels == 1).sum() > 0
