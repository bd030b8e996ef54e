"""Probe footprint, test object statistics, scan bounds and the split guard band."""

import numpy as np
import pytest

from fly64.physics import (
    footprint_diameter,
    make_probe,
    make_test_object,
    raster_scan,
    split_along_y,
    support_fraction,
)
from fly64.physics.object import object_statistics, phase_power_spectrum
from fly64.physics.scan import illuminated_rows


@pytest.mark.parametrize("radius", [5, 10, 14])
def test_footprint_of_a_flat_disc(radius):
    yy, xx = np.indices((64, 64))
    disc = (((yy - 32) ** 2 + (xx - 32) ** 2) <= radius**2).astype(np.complex64)
    assert footprint_diameter(disc) == pytest.approx(2 * radius * np.sqrt(0.9), abs=0.6)


def _radial_profile(intensity):
    n = intensity.shape[0]
    yy, xx = np.indices(intensity.shape)
    radius = np.hypot(yy - n // 2, xx - n // 2).astype(int).ravel()
    return np.bincount(radius, intensity.ravel()) / np.bincount(radius)


@pytest.mark.parametrize("n", [32, 64, 128])
def test_default_probe_is_compact_and_fits_half_the_window(n):
    probe = make_probe(n)
    intensity = np.abs(probe) ** 2
    assert np.isclose(intensity.sum(), 1.0, rtol=1e-5)
    assert 0.33 * n < footprint_diameter(probe) < 0.4 * n
    assert support_fraction(probe) >= 0.99  # PtychoPINN's N/2 support holds
    assert footprint_diameter(probe, 0.99) <= n / 2 + 0.5
    assert (
        np.ptp(np.angle(probe[intensity > 0.1 * intensity.max()])) > 1.0
    )  # defocused: curved wavefront
    pupil = np.abs(np.fft.fft2(np.fft.ifftshift(probe))) ** 2  # the probe's own far field
    assert (pupil > 0.1 * pupil.max()).mean() > 0.3  # spread over a large part of the detector


def test_focused_probe_is_the_seed_airy_spot_with_tails_past_half_the_window():
    probe = make_probe(64, "focused")
    intensity = np.abs(probe) ** 2
    assert np.unravel_index(intensity.argmax(), intensity.shape) == (32, 32)
    profile = _radial_profile(intensity)[:32]
    minima = np.flatnonzero((profile[1:-1] < profile[:-2]) & (profile[1:-1] < profile[2:]))
    assert len(minima) >= 1, "an apertured beam has rings: its radial profile has a local minimum"
    assert 0.6 * 64 < footprint_diameter(probe) < 0.7 * 64
    assert support_fraction(probe) < 0.9


def test_support_fraction_of_a_flat_disc():
    yy, xx = np.indices((64, 64))
    disc = (((yy - 32) ** 2 + (xx - 32) ** 2) <= 10**2).astype(np.complex64)
    assert support_fraction(disc) == pytest.approx(1.0)
    assert support_fraction(disc, 10) == pytest.approx(
        np.sum(np.hypot(yy - 32, xx - 32) <= 5) / disc.real.sum()
    )
    with pytest.raises(ValueError, match="diameter"):
        support_fraction(disc, 0)


@pytest.mark.parametrize("kind", ["defocused", "focused"])
def test_footprint_scales_with_window(kind):
    d64, d128 = footprint_diameter(make_probe(64, kind)), footprint_diameter(make_probe(128, kind))
    assert d128 == pytest.approx(2 * d64, rel=0.05)


def test_unknown_probe_is_named():
    with pytest.raises(ValueError, match="unknown probe 'pencil'"):
        make_probe(64, "pencil")


@pytest.mark.parametrize("kind", ["probe_scale", "coarse"])
def test_test_object_is_weak_mostly_phase_and_deterministic(kind):
    obj = make_test_object((256, 256), kind)
    amp, phase = np.abs(obj), np.angle(obj)
    assert obj.dtype == np.complex64
    assert amp.mean() == pytest.approx(0.6, abs=0.02)
    assert amp.std() / amp.mean() == pytest.approx(0.1, abs=0.02)
    assert phase.std() == pytest.approx(0.3, abs=0.03)
    assert np.array_equal(obj, make_test_object((256, 256), kind))


@pytest.mark.parametrize("scale", [11.7, 22.1])
def test_default_object_lives_at_the_probe_scale_with_independent_amplitude(scale):
    obj = make_test_object((384, 384), scale=scale)
    stats = object_statistics(obj, scale)
    assert stats["phase_power_below_2D"] > 0.8  # most phase variance at periods below 2·D
    assert abs(stats["amplitude_phase_correlation"]) < 0.2
    phase = np.angle(obj)
    # no flat plateau many footprints wide: the phase varies inside every 2D × 2D tile
    tile = int(2 * scale)
    stds = [
        phase[y : y + tile, x : x + tile].std()
        for y in range(0, 384 - tile, tile)
        for x in range(0, 384 - tile, tile)
    ]
    assert min(stds) > 0.1 * phase.std()


def test_coarse_object_copies_amplitude_into_large_scale_phase():
    stats = object_statistics(make_test_object((256, 256), "coarse"), 22.1)
    assert stats["amplitude_phase_correlation"] > 0.7
    assert stats["phase_power_below_2D"] < 0.6


def test_object_statistics_of_known_fields():
    yy, xx = np.indices((128, 128))
    fine = np.exp(1j * 0.3 * np.sin(2 * np.pi * xx / 8))  # period 8 px < 2·D for D = 10
    coarse = np.exp(1j * 0.3 * np.sin(2 * np.pi * xx / 64))
    assert object_statistics(fine, 10)["phase_power_below_2D"] > 0.99
    assert object_statistics(coarse, 10)["phase_power_below_2D"] < 0.01
    frequency, power = phase_power_spectrum(fine)
    assert frequency[np.argmax(power)] == pytest.approx(1 / 8, abs=0.5 / 64)
    with pytest.raises(ValueError, match="footprint"):
        object_statistics(fine, 0)


def test_objects_have_structure_up_to_nyquist():
    for kind in ("probe_scale", "coarse"):
        phase = np.angle(make_test_object((256, 256), kind))
        radial = _radial_profile(np.abs(np.fft.fftshift(np.fft.fft2(phase - phase.mean()))) ** 2)
        # every frequency band up to Nyquist (radius 128) carries power well above round-off
        assert radial[1:128].min() > 1e-6 * radial[1:128].max()
        assert radial[100:128].mean() > 1e-4 * radial[1:10].mean()


def test_unknown_object_is_named():
    with pytest.raises(ValueError, match="unknown object 'cat'"):
        make_test_object((64, 64), "cat")


def test_raster_positions_keep_windows_inside():
    pos = raster_scan((100, 140), 32, 5.0, jitter=2.0, seed=0)
    assert pos.dtype == np.int64
    assert pos[:, 0].min() >= 16 and pos[:, 0].max() <= 100 - 32 + 16
    assert pos[:, 1].min() >= 16 and pos[:, 1].max() <= 140 - 32 + 16


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(step=0), "step"),
        (dict(step=4, jitter=-1), "jitter"),
        (dict(step=4, jitter=1), "seed"),
    ],
)
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
