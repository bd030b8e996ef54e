"""The truth-free stopping rule: held-out detector pixels, the one-standard-error rule, and
the solver that stops by them (flat start or a given starting object)."""

import numpy as np
import pytest

from fly64.baseline import SolverSettings
from fly64.baseline.holdout import HeldOutPixels, HeldOutScore, OneStandardErrorRule
from fly64.baseline.solver import reconstruct
from fly64.metrics import evaluate
from fly64.physics import make_probe, make_test_object, raster_scan, simulate_counts

pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")
N = 16


def test_the_rule_keeps_the_latest_epoch_within_one_standard_error_of_the_lowest():
    rule = OneStandardErrorRule()
    kept = [
        rule.update(epoch, HeldOutScore(nll, 0.01, 1.0))
        for epoch, nll in enumerate([0.5, 0.40, 0.405, 0.42, 0.43], start=1)
    ]
    assert kept == [True, True, True, False, False]
    assert (rule.kept_epoch, rule.kept_nll, rule.stale) == (3, 0.405, 2)
    assert rule.update(6, HeldOutScore(0.39, 0.01, 1.0)) and rule.stale == 0


def test_the_held_out_score_is_blind_to_scale_and_lowest_near_the_truth(scene):
    obj, probe, positions, counts = scene
    held = HeldOutPixels(counts, positions, probe, 0.1, seed=3)
    assert held.mask.mean() == pytest.approx(0.1, abs=0.05)
    assert np.array_equal(held.mask, HeldOutPixels(counts, positions, probe, 0.1, 3).mask)
    truth = held.score(obj)
    assert held.noise_ratio(obj) == pytest.approx(1.0, abs=0.1)  # down to the shot noise
    assert held.score(0.8 * obj).nll == pytest.approx(truth.nll, rel=1e-4)  # scale profiled out
    assert held.score(np.ones_like(obj)).nll > 2 * truth.nll
    with pytest.raises(ValueError, match="holdout_fraction"):
        HeldOutPixels(counts, positions, probe, 0.0, seed=3)


@pytest.fixture(scope="module")
def noisy_scene():
    """A weak object at 300 photons per pattern, 49 positions: LSQML's phase correlation
    peaks at 0.19 by epoch 5, then falls (0.05 by epoch 30) as it fits the noise."""
    obj = make_test_object((80, 80))
    positions = raster_scan(obj.shape, N, 10.0, jitter=1.0, seed=5)
    counts, probe = simulate_counts(obj, make_probe(N), positions, 300.0, seed=7)
    return obj, probe, positions, counts


def phase_correlation(truth, obj, weights):
    return evaluate(truth, obj, weights).phase.correlation


def test_the_solver_stops_before_the_noise_takes_over(noisy_scene):
    obj, probe, positions, counts = noisy_scene
    settings = SolverSettings(epochs=30, stop_patience=5, batch_size=16)
    result = reconstruct(counts, positions, probe, obj.shape, settings)
    scores = {e: phase_correlation(obj, o, result.weights) for e, o in result.snapshots}
    kept = phase_correlation(obj, result.object, result.weights)
    assert result.epochs < 30 and result.epochs == result.stop_epoch + 5  # stopped by the rule
    assert kept >= max(scores.values()) - 0.03  # within a stated margin of the truth's pick
    assert kept > scores[max(scores)] + 0.01  # and ahead of where the noise was taking it
    assert [row["epoch"] for row in result.losses] == list(range(1, result.epochs + 1))
    assert result.selection_score == pytest.approx(result.losses[result.stop_epoch - 1]["heldout"])


def test_a_refinement_starts_from_the_given_object(scene):
    obj, probe, positions, counts = scene
    settings = SolverSettings(epochs=2, batch_size=16)
    flat = reconstruct(counts, positions, probe, obj.shape, settings)
    warm = reconstruct(counts, positions, probe, obj.shape, settings, initial_object=obj)
    assert warm.losses[0]["cost"] < 0.5 * flat.losses[0]["cost"]
    epoch, start = warm.snapshots[0]
    lit = warm.weights > 0
    assert epoch == 0 and np.allclose(start[lit], obj[lit])
    assert phase_correlation(obj, warm.object, warm.weights) > 0.99  # refining keeps the truth
