"""The pty-chi wrapper: conventions handed to pty-chi, chunks, events, cancel, process state.

These tests call pty-chi in the test process; the wrapper restores torch's default dtype
and device and the global RNGs afterwards (checked here), so other tests are unaffected.
"""

import random

import numpy as np
import pytest
import torch

from fly64.baseline import SolverSettings
from fly64.baseline.ptychi_task import build_task, preserved_process_state
from fly64.baseline.solver import reconstruct
from fly64.physics import expected_intensity, make_probe, make_test_object, raster_scan
from fly64.reporting import Cancelled, Reporter

pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")


class Recorder(Reporter):
    """Keeps everything; cancels once ``cancel_after`` loss events were seen."""

    def __init__(self, cancel_after=None):
        self.events, self.snapshots, self.fractions = [], [], []
        self.cancel_after = cancel_after

    def event(self, kind, **row):
        self.events.append((kind, row))

    def progress(self, fraction, message=""):
        self.fractions.append(fraction)

    def snapshot(self, **arrays):
        self.snapshots.append(arrays)

    def cancelled(self):
        return self.cancel_after is not None and len(self.events) >= self.cancel_after


@pytest.mark.parametrize("size", [16, 15])
def test_ptychi_predicts_our_intensities_from_the_true_object(size):
    """Positions (y first, centre origin), fftshift and intensity scale agree with ours."""
    obj = make_test_object((64, 64))
    probe = make_probe(16)[:size, :size] * 30
    positions = raster_scan(obj.shape, size, 9.0, jitter=1.0, seed=2)[:12]
    ours = expected_intensity(
        torch.as_tensor(obj), torch.as_tensor(probe), torch.as_tensor(positions)
    )
    counts = ours.numpy()
    with preserved_process_state():
        built = build_task(counts, positions, probe, SolverSettings())
        task = built.task
        with torch.no_grad():
            task.object.set_data(torch.as_tensor(canvas_crop(obj, built.canvas))[None])
            predicted = task.reconstructor.forward_model(torch.arange(len(positions))).cpu().numpy()
        measured = task.reconstructor.dataset.patterns.cpu().numpy()
    assert np.allclose(predicted, measured, rtol=1e-4, atol=1e-6 * measured.max())
    in_photons = np.fft.fftshift(measured, axes=(-2, -1)) * built.photons_per_unit
    assert np.allclose(in_photons, counts, rtol=1e-5, atol=1e-6 * counts.max())


def canvas_crop(obj, canvas):
    """The ground truth on pty-chi's buffer (ones outside the object)."""
    buffer = np.ones(canvas.shape, np.complex64)
    (y0, x0), (h, w) = canvas.corner, canvas.shape
    ys = slice(max(y0, 0), min(y0 + h, obj.shape[0]))
    xs = slice(max(x0, 0), min(x0 + w, obj.shape[1]))
    buffer[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0] = obj[ys, xs]
    return buffer


def test_chunks_emit_loss_events_progress_and_snapshots(scene):
    obj, probe, positions, counts = scene
    reporter = Recorder()
    settings = SolverSettings(epochs=5, chunk=2, snapshot_every=2, batch_size=16)
    result = reconstruct(counts, positions, probe, obj.shape, settings, reporter)
    assert [row["epoch"] for _, row in reporter.events] == [2, 4, 5]
    assert all(
        kind == "loss" and row["cost"] > 0 and row["seconds"] > 0 for kind, row in reporter.events
    )
    assert reporter.fractions == pytest.approx([0.4, 0.8, 1.0])
    assert len(reporter.snapshots) == 1 and reporter.snapshots[0]["object"].shape == obj.shape
    assert [row["epoch"] for row in result.losses] == [1, 2, 3, 4, 5]
    assert result.epochs == 5
    assert result.object.dtype == np.complex64 and result.weights.dtype == np.float32
    assert np.all(result.object[result.weights == 0] == 0)
    assert np.allclose(result.probe, probe)  # fixed by default


def test_cancel_takes_effect_between_chunks(scene):
    obj, probe, positions, counts = scene
    reporter = Recorder(cancel_after=1)
    with pytest.raises(Cancelled):
        reconstruct(
            counts, positions, probe, obj.shape, SolverSettings(epochs=6, chunk=2), reporter
        )
    assert [row["epoch"] for _, row in reporter.events] == [2]


def test_process_state_is_restored(scene):
    obj, probe, positions, counts = scene
    torch.set_default_dtype(torch.float64)
    try:
        torch.manual_seed(11), np.random.seed(11), random.seed(11)
        expected = torch.rand(1).item(), np.random.rand(), random.random()
        torch.manual_seed(11), np.random.seed(11), random.seed(11)
        reconstruct(counts, positions, probe, obj.shape, SolverSettings(epochs=1, seed=3))
        assert torch.get_default_dtype() == torch.float64
        assert torch.get_default_device() == torch.device("cpu")
        assert (torch.rand(1).item(), np.random.rand(), random.random()) == expected
    finally:
        torch.set_default_dtype(torch.float32)


def test_same_seed_same_reconstruction(scene):
    obj, probe, positions, counts = scene
    settings = SolverSettings(epochs=2, seed=4)
    first = reconstruct(counts, positions, probe, obj.shape, settings)
    second = reconstruct(counts, positions, probe, obj.shape, settings)
    assert np.array_equal(first.object, second.object)


@pytest.mark.parametrize("algorithm", ["epie", "rpie"])
def test_pie_family_runs_and_improves_the_cost(scene, algorithm):
    obj, probe, positions, counts = scene
    result = reconstruct(
        counts, positions, probe, obj.shape, SolverSettings(algorithm=algorithm, epochs=4)
    )
    assert result.losses[-1]["cost"] < result.losses[0]["cost"]


def test_mismatched_inputs_are_refused(scene):
    obj, probe, positions, counts = scene
    with pytest.raises(ValueError, match="disagree"):
        reconstruct(counts[:-1], positions, probe, obj.shape)
