"""Health flags: flat loss curves and collapsed reconstructions."""

import numpy as np

from fly64.metrics.health import health_checks as checks

LIT = 0.5  # the lit region the flags look at: weights ≥ LIT × max(weights)


def health_checks(*args, **options):
    return checks(*args, mask_threshold=LIT, **options)


def losses(values):
    return [{"epoch": i + 1, "train": v} for i, v in enumerate(values)]


def test_good_run_is_healthy(scene):
    weights = np.ones(scene.object.shape, np.float32)
    noisy = scene.object * np.exp(
        1j * (0.4 + 0.05 * np.random.default_rng(0).standard_normal(scene.object.shape))
    )
    health = health_checks(losses([10, 5, 2, 1]), noisy, weights, scene.object)
    assert not health["flat_loss"] and not health["collapsed"]
    assert health["phase_correlation"] > 0.9  # the global phase offset 0.4 does not matter


def test_flat_loss_after_the_first_epochs_is_flagged(scene):
    weights = np.ones(scene.object.shape, np.float32)
    health = health_checks(losses([10, 3.0, 3.0001, 3.0]), scene.object, weights, scene.object)
    assert health["flat_loss"] and health["loss_relative_change"] < 1e-3


def test_constant_or_unrelated_phase_is_collapsed(scene):
    weights = np.ones(scene.object.shape, np.float32)
    constant = np.full(scene.object.shape, 0.6 * np.exp(0.2j), np.complex64)
    assert health_checks(losses([3, 2, 1]), constant, weights, scene.object)["collapsed"]
    unrelated = np.exp(1j * 0.3 * np.random.default_rng(1).standard_normal(scene.object.shape))
    health = health_checks(losses([3, 2, 1]), unrelated, weights, scene.object)
    assert health["collapsed"] and abs(health["phase_correlation"]) < 0.1


def test_nothing_lit_is_collapsed(scene):
    health = health_checks(
        losses([3, 2, 1]), scene.object, np.zeros(scene.object.shape), scene.object
    )
    assert health["collapsed"] and health["phase_std"] is None


def test_underfit_is_judged_against_the_noise_floor_without_ground_truth(scene):
    weights = np.ones(scene.object.shape, np.float32)
    args = (losses([3, 2, 1]), scene.object, weights, scene.object)
    assert (
        health_checks(*args)["underfit"] is False
        and health_checks(*args)["nll_to_noise_floor"] is None
    )
    fitted = health_checks(*args, noise_floor={"nll": 0.52, "floor": 0.5, "ratio": 1.04})
    assert not fitted["underfit"] and fitted["nll_to_noise_floor"] == 1.04
    assert health_checks(*args, noise_floor={"nll": 2.4, "floor": 0.5, "ratio": 4.8})["underfit"]
