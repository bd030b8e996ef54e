"""The shot-noise limit: photons per pixel, the Cramér–Rao phase bound and the scores it implies."""

import numpy as np
import pytest

from fly64.metrics import correlation, phase_bound, photons_per_pixel, shot_noise_limit


def flat_scan(photons: float, transmission: float = 0.5):
    """A 32×32 object of amplitude ``transmission`` and a known phase pattern (std ≈ 0.3 rad),
    lit by a flat probe delivering ``photons`` per pixel (one 16×16 window, 4 positions)."""
    yy, xx = np.indices((32, 32))
    phase = 0.3 * np.sqrt(2) * np.sin(2 * np.pi * yy / 8) * np.cos(2 * np.pi * xx / 16)
    truth = transmission * np.exp(1j * phase)
    illumination = np.zeros((32, 32))
    for y0, x0 in ((0, 0), (0, 16), (16, 0), (16, 16)):
        illumination[y0 : y0 + 16, x0 : x0 + 16] += photons
    return truth, illumination


def test_a_flat_probe_gives_the_closed_form_bounds():
    truth, illumination = flat_scan(400.0, transmission=0.5)
    n = photons_per_pixel(illumination, truth)
    np.testing.assert_allclose(n, 100.0)  # 400 incident photons, |O|² = 0.25
    np.testing.assert_allclose(phase_bound(n), 1 / (2 * np.sqrt(100.0)))  # 0.05 rad
    mask = np.ones(truth.shape, bool)
    limit = shot_noise_limit(truth, illumination, mask)
    variance = np.var(np.angle(truth))
    assert limit.fluence == pytest.approx(400.0)
    assert limit.rmse_bound == pytest.approx(0.05)
    assert limit.correlation_bound == pytest.approx(np.sqrt(variance / (variance + 0.05**2)))


def test_truth_plus_noise_at_the_bound_scores_the_correlation_bound():
    truth, illumination = flat_scan(25.0, transmission=1.0)  # σ = 0.1 rad
    mask = np.ones(truth.shape, bool)
    limit = shot_noise_limit(truth, illumination, mask)
    rng = np.random.default_rng(3)
    phase = np.angle(truth)
    scores = [
        correlation(phase, phase + limit.rmse_bound * rng.standard_normal(phase.shape))
        for _ in range(200)
    ]
    assert np.mean(scores) == pytest.approx(limit.correlation_bound, abs=0.003)
    assert limit.correlation_bound < 0.97  # far enough from 1 for the check to mean something


def test_unlit_pixels_have_no_bound_and_bad_inputs_are_named():
    assert np.isinf(phase_bound(np.array([0.0, 4.0]))[0])
    truth, illumination = flat_scan(100.0)
    flat = shot_noise_limit(np.abs(truth) + 0j, illumination, illumination > 0)
    assert np.isnan(flat.correlation_bound) and flat.rmse_bound == pytest.approx(0.1)
    with pytest.raises(ValueError, match="mask is empty"):
        shot_noise_limit(truth, illumination, np.zeros(truth.shape, bool))
    with pytest.raises(ValueError, match="illumination"):
        photons_per_pixel(-illumination, truth)
    with pytest.raises(ValueError, match="one shape"):
        photons_per_pixel(illumination[:4], truth)
