"""fly64.metrics: alignment, FRC, SSIM/MS-SSIM and the full evaluation, on a tiny object."""

import ast
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

import fly64.metrics
from fly64.metrics import (
    METRICS,
    PARTS,
    evaluate,
    evaluation_mask,
    frc,
    frc_bands,
    frc_resolution,
    half_bit_threshold,
    ms_ssim,
    ms_ssim_scales,
    register,
    remove_phase_offset,
    scale_amplitude,
    ssim,
)

N = 96
#: metrics where higher is better / lower is better
HIGHER = ("ssim", "ms_ssim", "psnr_db", "correlation")
LOWER = ("mae", "rmse", "frc_resolution_px", "frc_halfbit_resolution_px")


def _field(rng: np.random.Generator, shape=(N, N)) -> np.ndarray:
    """Unit-variance random field with structure at every frequency (smooth + raw noise)."""
    smooth = ndimage.gaussian_filter(rng.standard_normal(shape), 3)
    field = smooth / smooth.std() + 0.5 * rng.standard_normal(shape)
    return field / field.std()


def _fourier_shift(image: np.ndarray, shift_yx) -> np.ndarray:
    return np.fft.ifft2(ndimage.fourier_shift(np.fft.fft2(image), shift_yx))


def _complex_noise(rng: np.random.Generator, sigma: float) -> np.ndarray:
    return sigma * (rng.standard_normal((N, N)) + 1j * rng.standard_normal((N, N)))


@pytest.fixture(scope="module")
def truth() -> np.ndarray:
    rng = np.random.default_rng(7)
    amplitude = 0.6 + 0.06 * _field(rng)
    phase = 0.3 * _field(rng)
    return amplitude * np.exp(1j * phase)


@pytest.fixture(scope="module")
def weights() -> np.ndarray:
    """Smooth bump; ≥ half its maximum on a central disc of radius ≈ 23.5 px."""
    yy, xx = np.indices((N, N))
    return np.exp(-((yy - N / 2) ** 2 + (xx - N / 2) ** 2) / (2 * 20.0**2))


def _scalars(evaluation) -> dict:
    return {part: evaluation.to_dict()[part] for part in PARTS}


# ---- evaluate: soundness -------------------------------------------------------------


def test_truth_against_itself_is_perfect(truth, weights):
    result = evaluate(truth, truth, weights)
    # only the masked copy carries the mask's outline, so registration may land one
    # 1/upsample step off zero; unregistered, identity is exact
    np.testing.assert_allclose(result.shift_yx, [0.0, 0.0], atol=0.011)
    exact = evaluate(truth, truth, weights, register=False)
    for part in PARTS:
        registered, scores = getattr(result, part), getattr(exact, part)
        assert registered.ssim > 0.999 and registered.correlation > 0.9995
        assert scores.ssim == pytest.approx(1, abs=1e-9)
        assert scores.ms_ssim == pytest.approx(1, abs=1e-9)
        assert scores.correlation == pytest.approx(1, abs=1e-12)
        assert scores.psnr_db == np.inf
        assert np.all(scores.frc > 0.999999)
        assert scores.frc_freq[-1] == pytest.approx(0.5, abs=0.01)
        assert scores.frc_resolution_px == scores.frc_halfbit_resolution_px == 2.0


def test_constant_reconstruction_scores_near_zero(truth, weights):
    constant = np.full((N, N), 0.5 * np.exp(0.2j))
    result = evaluate(truth, constant, weights)
    assert result.shift_yx == (0.0, 0.0)  # nothing to register on
    for part in PARTS:
        scores = getattr(result, part)
        assert abs(scores.ssim) < 0.15, part
        assert abs(scores.ms_ssim) < 0.15, part
        assert scores.correlation == 0.0
        assert np.all(scores.frc == 0)
        assert scores.frc_resolution_px > 40  # the first ring already fails


def test_pure_noise_reconstruction_scores_low(truth, weights):
    rng = np.random.default_rng(3)
    noise = (0.6 + 0.06 * rng.standard_normal((N, N))) * np.exp(0.3j * rng.standard_normal((N, N)))
    result = evaluate(truth, noise, weights)
    for part in PARTS:
        scores = getattr(result, part)
        assert abs(scores.correlation) < 0.1, part
        assert scores.ssim < 0.2, part
        assert scores.ms_ssim < 0.2, part
        assert scores.frc_halfbit_resolution_px > 10, part


def test_subpixel_shift_is_recovered(truth, weights):
    applied = (0.3, -0.7)
    result = evaluate(truth, _fourier_shift(truth, applied), weights)
    np.testing.assert_allclose(result.shift_yx, [-0.3, 0.7], atol=0.1)
    for part in PARTS:
        assert getattr(result, part).ssim > 0.99


def test_invariant_to_global_phase_offset_and_amplitude_scale(truth, weights):
    rec = _fourier_shift(truth, (0.4, 0.2)) + _complex_noise(np.random.default_rng(5), 0.03)
    reference = evaluate(truth, rec, weights)
    for changed in (rec * np.exp(1.3j), rec * 2.5, rec * 2.5 * np.exp(-2.9j)):
        result = evaluate(truth, changed, weights)
        np.testing.assert_allclose(result.shift_yx, reference.shift_yx, atol=1e-9)
        for part in PARTS:
            for name in METRICS:
                assert getattr(result, part).__getattribute__(name) == pytest.approx(
                    getattr(reference, part).__getattribute__(name), rel=1e-6, abs=1e-9
                ), (part, name)


def test_less_noise_scores_better_on_every_metric(truth, weights):
    rng = np.random.default_rng(11)
    noise = _complex_noise(rng, 1.0)
    small = _scalars(evaluate(truth, truth + 0.01 * noise, weights))
    large = _scalars(evaluate(truth, truth + 0.1 * noise, weights))
    for part in PARTS:
        for name in HIGHER:
            assert small[part][name] > large[part][name], (part, name)
        for name in LOWER:
            assert small[part][name] <= large[part][name], (part, name)
    assert large["amplitude"]["frc_resolution_px"] > 2.0


def test_pure_phase_truth_has_undefined_amplitude_scores(truth, weights):
    pure_phase = np.exp(1j * np.angle(truth))
    result = evaluate(pure_phase, pure_phase * 0.9, weights, register=False)
    assert np.isnan(result.amplitude.ssim) and np.isnan(result.amplitude.psnr_db)
    assert result.amplitude.rmse == pytest.approx(0.0, abs=1e-12)  # scale removed
    assert result.phase.ssim == pytest.approx(1, abs=1e-9)


def test_ramp_option_removes_a_phase_ramp(truth, weights):
    yy, xx = np.indices((N, N))
    tilted = truth * np.exp(1j * (0.02 * yy - 0.015 * xx))
    with_ramp = evaluate(truth, tilted, weights, ramp=True, register=False)
    without = evaluate(truth, tilted, weights, register=False)
    assert with_ramp.phase.ssim == pytest.approx(1, abs=1e-9)
    assert without.phase.ssim < 0.99


def test_to_dict_is_json_ready(truth, weights):
    noisy = truth + _complex_noise(np.random.default_rng(2), 0.02)
    result = evaluate(truth, noisy, weights, mask_threshold=0.5)
    summary = result.to_dict(curves=True)
    assert set(summary) == {"shift_yx", "mask_pixels", "ms_ssim_scales", *PARTS}
    assert summary["mask_pixels"] == int(evaluation_mask(weights, 0.5).sum())
    assert summary["ms_ssim_scales"] == 3  # 57-px crop: 57 → 28 → 14
    for part in PARTS:
        assert set(METRICS) <= set(summary[part])
        assert len(summary[part]["frc"]) == len(summary[part]["frc_freq"])
    json.dumps(summary)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda t, r, w: (t[:, :-1], r, w), "one shape"),
        (lambda t, r, w: (t, r[None], w), "one shape"),
        (
            lambda t, r, w: (t, np.where(np.arange(N) == 5, np.nan, r), w),
            "reconstruction has 96 non-finite",
        ),
        (lambda t, r, w: (t, r * np.inf, w), "reconstruction has .* non-finite"),
        (lambda t, r, w: (t.real, r, w), "truth must be a complex"),
        (lambda t, r, w: (t, np.abs(r), w), "reconstruction must be a complex"),
        (lambda t, r, w: (t, r, np.zeros_like(w)), "mask is empty"),
        (lambda t, r, w: (t, r, -w), "weights must be ≥ 0"),
        (lambda t, r, w: (t, r, (w == w.max()) * 1.0), "mask spans only 1×1 px"),
    ],
)
def test_bad_input_raises_a_clear_error(truth, weights, change, message):
    with pytest.raises(ValueError, match=message):
        evaluate(*change(truth, truth.copy(), weights))


@pytest.mark.parametrize("threshold", [0.0, 1.5])
def test_bad_mask_threshold_raises(truth, weights, threshold):
    with pytest.raises(ValueError, match="mask_threshold"):
        evaluate(truth, truth, weights, mask_threshold=threshold)


def test_evaluation_mask_is_relative_to_the_maximum(weights):
    mask = evaluation_mask(weights * 7.0, threshold=0.5)
    np.testing.assert_array_equal(mask, weights >= 0.5 * weights.max())
    assert not evaluation_mask(np.zeros((4, 4))).any()


# ---- align ---------------------------------------------------------------------------


def _spot_weights(spacing: int) -> np.ndarray:
    """Σ of Gaussian spots (σ = 3 px) on a raster: a patchy illumination map."""
    yy, xx = np.indices((N, N))
    total = np.zeros((N, N))
    for cy in range(20, N - 19, spacing):
        for cx in range(20, N - 19, spacing):
            total += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 3.0**2))
    return total


@pytest.mark.parametrize("applied", [(1.3, -2.6), (-0.4, 0.8)])
def test_shift_is_recovered_on_a_patchy_mask(truth, applied):
    """The mask's outline must not pull the shift towards zero."""
    weights = _spot_weights(12)
    result = evaluate(truth, _fourier_shift(truth, applied), weights, mask_threshold=0.3)
    assert result.mask.sum() < 0.5 * (weights > 0.01).sum()  # patchy indeed
    np.testing.assert_allclose(result.shift_yx, [-applied[0], -applied[1]], atol=0.1)


def test_mask_threshold_can_refer_to_one_probe_peak():
    weights = _spot_weights(6)  # overlapping spots pile up above a single spot's peak of 1
    assert weights.max() > 1.5
    relative = evaluation_mask(weights, 0.5)
    per_probe = evaluation_mask(weights, 0.5, unit=1.0)
    assert per_probe.sum() > relative.sum()
    assert per_probe[weights >= 0.5].all() and not per_probe[weights < 0.5].any()
    with pytest.raises(ValueError, match="illumination_unit"):
        evaluate(
            _fourier_shift(np.ones((N, N), complex), (0, 0)),
            np.ones((N, N), complex),
            weights,
            illumination_unit=0.0,
        )


def test_register_ignores_what_lies_outside_the_mask(truth, weights):
    mask = evaluation_mask(weights)
    moving = np.where(mask, _fourier_shift(truth, (-1.6, 0.45)), 7.0)  # garbage outside
    shift, aligned = register(truth, moving, mask)
    np.testing.assert_allclose(shift, [1.6, -0.45], atol=0.1)
    assert aligned.shape == truth.shape and np.iscomplexobj(aligned)


@pytest.mark.parametrize("offset", [0.4, 3.1, -3.05])
def test_remove_phase_offset_handles_wrapping(truth, weights, offset):
    mask = evaluation_mask(weights)
    phase = np.angle(truth)
    corrected = remove_phase_offset(phase, np.angle(np.exp(1j * (phase + offset))), mask)
    np.testing.assert_allclose(corrected, phase, atol=1e-9)


def test_remove_phase_offset_ramp(truth, weights):
    mask = evaluation_mask(weights)
    phase = np.angle(truth)
    yy, xx = np.indices(phase.shape)
    tilted = phase + 1.0 + 0.01 * yy - 0.02 * xx
    np.testing.assert_allclose(
        remove_phase_offset(phase, tilted, mask, ramp=True), phase, atol=1e-9
    )
    assert np.abs(remove_phase_offset(phase, tilted, mask) - phase)[mask].max() > 0.3


def test_scale_amplitude(truth, weights):
    mask = evaluation_mask(weights)
    amplitude = np.abs(truth)
    np.testing.assert_allclose(scale_amplitude(amplitude, 0.4 * amplitude, mask), amplitude)
    np.testing.assert_array_equal(scale_amplitude(amplitude, np.zeros_like(amplitude), mask), 0)


# ---- FRC -----------------------------------------------------------------------------


def test_frc_rings_and_extremes():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 40, 48))
    freq, same, n_per_ring = frc(a, a)
    np.testing.assert_allclose(freq, np.arange(1, 21) / 40)
    np.testing.assert_allclose(same, 1)
    assert n_per_ring.min() >= 1
    _, independent, _ = frc(a, b)
    assert abs(independent.mean()) < 0.05
    assert np.all(frc(a, np.full_like(a, 3.0))[1] == 0)


def test_frc_bands_average_the_rings_of_each_period_band():
    freq = np.array([1 / 64, 1 / 40, 1 / 20, 1 / 10, 1 / 4, 1 / 2])  # periods 64 … 2 px
    values = np.array([0.1, 0.3, 0.6, 0.8, 0.9, 1.0])
    bands = frc_bands(freq, values, ((32, np.inf), (16, 32), (8, 16), (2, 8), (1, 2)))
    assert list(bands) == ["32-inf px", "16-32 px", "8-16 px", "2-8 px", "1-2 px"]
    np.testing.assert_allclose(list(bands.values())[:4], [0.2, 0.6, 0.8, 0.95])
    assert np.isnan(bands["1-2 px"])  # no ring there


def test_half_bit_threshold_limits():
    values = half_bit_threshold(np.array([1, 10**12]))
    np.testing.assert_allclose(values, [1.0, 0.2071 / 1.2071], atol=1e-4)


def test_frc_resolution_interpolates_and_defaults_to_nyquist():
    freq = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert frc_resolution(freq, np.array([1, 0.6, 0.4, 0.3, 0.6]), 0.5) == pytest.approx((0.25, 4))
    assert frc_resolution(freq, np.ones(5), 0.5) == (0.5, 2.0)
    assert frc_resolution(freq, np.zeros(5), 0.5) == (0.1, 10.0)
    # rings before the curve first reaches the threshold (no power there) are skipped
    assert frc_resolution(freq, np.array([0.1, 0.2, 0.9, 0.6, 0.4]), 0.5) == pytest.approx(
        (0.45, 1 / 0.45)
    )
    threshold = np.array([0.5, 0.5, 0.5, 0.9, 0.9])
    assert frc_resolution(freq, np.full(5, 0.8), threshold) == pytest.approx((0.375, 1 / 0.375))


# ---- SSIM / MS-SSIM ------------------------------------------------------------------


def test_ms_ssim_with_one_scale_is_scikit_image_ssim():
    rng = np.random.default_rng(4)
    a = _field(rng, (20, 20))
    b = a + 0.3 * rng.standard_normal((20, 20))
    mask = np.ones((20, 20), bool)
    assert ms_ssim_scales(mask) == 1
    data_range = np.ptp(a)
    assert ms_ssim(a, b, mask, data_range) == pytest.approx(ssim(a, b, mask, data_range), rel=1e-9)


@pytest.mark.parametrize("side, expected", [(11, 1), (21, 1), (22, 2), (40, 2), (96, 4), (176, 5)])
def test_ms_ssim_scale_count(side, expected):
    assert ms_ssim_scales(np.ones((side, side), bool)) == expected


def test_ms_ssim_identity_and_anticorrelation():
    rng = np.random.default_rng(8)
    a = _field(rng, (64, 64))
    mask = np.ones(a.shape, bool)
    assert ms_ssim(a, a, mask, np.ptp(a)) == pytest.approx(1, abs=1e-12)
    assert ms_ssim(a, -a, mask, np.ptp(a)) == 0.0  # negative contrast-structure clipped


# ---- layering ------------------------------------------------------------------------


def test_metrics_imports_no_other_fly64_layer():
    package = Path(fly64.metrics.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in getattr(node, "names", [])]
            module = getattr(node, "module", None) if isinstance(node, ast.ImportFrom) else None
            for name in [module, *names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []:
                if name and name.startswith("fly64"):
                    assert name.startswith("fly64.metrics"), (path.name, name)
