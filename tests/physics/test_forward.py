"""Forward model: Parseval, dose, determinism, window placement."""

import numpy as np
import pytest
import torch

from fly64.physics import (
    expected_intensity,
    extract_windows,
    far_field,
    make_probe,
    make_test_object,
)
from fly64.physics.forward import dose_scale, simulate_counts
from fly64.physics.scan import raster_scan

N = 32


@pytest.fixture(scope="module")
def scene():
    obj = make_test_object((128, 128))
    probe = make_probe(N)
    positions = raster_scan(obj.shape, N, 8.0, jitter=1.0, seed=3)
    return obj, probe, positions


def test_parseval_far_field_keeps_energy():
    psi = torch.randn(5, N, N, dtype=torch.complex64)
    f = far_field(psi)
    assert torch.allclose(
        f.abs().square().sum((-2, -1)), psi.abs().square().sum((-2, -1)), rtol=1e-5
    )


def test_dc_sits_at_the_centre_pixel():
    flat = torch.ones(1, N, N, dtype=torch.complex64)
    intensity = far_field(flat).abs().square()[0]
    assert tuple(np.unravel_index(int(intensity.argmax()), intensity.shape)) == (N // 2, N // 2)


@pytest.mark.parametrize("size", [16, 15])
def test_expected_intensity_is_the_shifted_far_field(size):
    obj = torch.as_tensor(make_test_object((64, 64)))
    probe = torch.as_tensor(make_probe(16))[:size, :size]
    pos = torch.tensor([[20, 30], [40, 41]])
    direct = far_field(probe * extract_windows(obj, pos, size)).abs().square()
    assert torch.allclose(expected_intensity(obj, probe, pos), direct, rtol=1e-4, atol=1e-9)


def test_window_is_centred_on_the_position():
    obj = torch.zeros(64, 64, dtype=torch.complex64)
    obj[20, 37] = 1
    window = extract_windows(obj, torch.tensor([[20, 37]]), N)[0]
    assert window[N // 2, N // 2] == 1 and window.abs().sum() == 1


@pytest.mark.parametrize("dose", [1e3, 1e4, 1e5])
def test_mean_counts_match_dose_within_poisson_bound(scene, dose):
    obj, probe, positions = scene
    counts, _ = simulate_counts(obj, probe, positions, dose, seed=42)
    totals = counts.sum(axis=(1, 2))
    # the mean of n Poisson totals with mean `dose` has std sqrt(dose / n); allow 5 sigma
    assert abs(totals.mean() - dose) < 5 * np.sqrt(dose / len(totals))


def test_scaled_probe_reproduces_expected_counts(scene):
    obj, probe, positions = scene
    counts, probe_photons = simulate_counts(obj, probe, positions, 1e9, seed=1)
    rates = expected_intensity(
        torch.as_tensor(obj), torch.as_tensor(probe_photons), torch.as_tensor(positions)
    )
    relative = np.abs(counts - rates.numpy()).sum() / rates.numpy().sum()
    assert relative < 2e-3  # Poisson noise at 1e9 photons per pattern


def test_same_seed_same_counts_other_seed_other_counts(scene):
    obj, probe, positions = scene
    a, _ = simulate_counts(obj, probe, positions, 1e4, seed=42)
    b, _ = simulate_counts(obj, probe, positions, 1e4, seed=42)
    c, _ = simulate_counts(obj, probe, positions, 1e4, seed=43)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_batches_do_not_change_counts(scene):
    obj, probe, positions = scene
    a, _ = simulate_counts(obj, probe, positions, 1e4, seed=5, batch=7)
    b, _ = simulate_counts(obj, probe, positions, 1e4, seed=5, batch=4096)
    assert a.shape == (len(positions), N, N) and a.dtype == np.int32
    assert np.array_equal(a, b)


@pytest.mark.parametrize("dose", [0, -5, float("nan"), float("inf")])
def test_non_positive_dose_is_refused(scene, dose):
    obj, probe, positions = scene
    with pytest.raises(ValueError, match="dose"):
        dose_scale(torch.as_tensor(obj), torch.as_tensor(probe), torch.as_tensor(positions), dose)
