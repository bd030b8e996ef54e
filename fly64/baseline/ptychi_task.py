"""Building a pty-chi task (LSQML, ePIE or rPIE) from one cell's patterns, in pty-chi's
conventions, and keeping the process-wide state pty-chi changes.

pty-chi sets process-wide state when a task is built: torch's default device and dtype,
and (with a seed) the global torch / numpy / random generators;
:func:`preserved_process_state` restores all of that afterwards.

Conventions handed to pty-chi (the sanity test in ``tests/baseline`` proves them):

* patterns: our counts have DC at pixel (N//2, N//2); pty-chi's far field is an
  unshifted ``fft2``, so we pass ``ifftshift(counts)`` with ``fft_shift=False`` (right for
  odd N too, where pty-chi's own ``fftshift`` would be off by one pixel);
* intensity scale: pty-chi's ``fft2`` is unnormalised, ours is orthonormal, so the
  photon-scaled probe is passed divided by N (and multiplied back on the way out);
* units: counts and |probe|² are both divided by ``c`` = the mean count per detector
  pixel, so pty-chi sees a mean of :data:`PIXEL_MEAN` whatever the dose. The Poisson
  likelihood then only scales by ``c`` (same minimiser), but pty-chi's Poisson step
  ``1 − y/(ŷ + 1e-5)`` has an absolute epsilon: from a neutral start the predicted dark
  field is 0, and at high counts (1e7–1e9 photons per pattern) the first steps blow up;
  in these units every dose behaves as the noise allows;
* positions: see :class:`fly64.baseline.canvas.SolverCanvas` (y first, relative to the
  buffer's centre origin, integer windows, no interpolation).
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import ptychi.api as api  # imports in seconds; fly64.study imports this module lazily
import torch
from ptychi.api.task import PtychographyTask

from fly64.baseline.canvas import SolverCanvas
from fly64.baseline.settings import SolverSettings

OPTIONS = {"lsqml": api.LSQMLOptions, "epie": api.EPIEOptions, "rpie": api.RPIEOptions}
#: mean count per detector pixel in the units handed to pty-chi (see the module docstring)
PIXEL_MEAN = 1.0


@contextmanager
def preserved_process_state() -> Iterator[None]:
    """Restore torch's default dtype and device and the global RNGs pty-chi changes."""
    dtype, device = torch.get_default_dtype(), torch.get_default_device()
    torch_rng, numpy_rng, python_rng = (
        torch.get_rng_state(),
        np.random.get_state(),
        random.getstate(),
    )
    try:
        yield
    finally:
        torch.set_default_dtype(dtype)
        torch.set_default_device(device)
        torch.set_rng_state(torch_rng)
        np.random.set_state(numpy_rng)
        random.setstate(python_rng)


def build_options(settings: SolverSettings, canvas: SolverCanvas):
    """pty-chi options for ``settings`` (task data are passed to the task, not here)."""
    options = OPTIONS[settings.algorithm]()
    options.object_options.determine_position_origin_coords_by = (
        api.ObjectPosOriginCoordsMethods.SPECIFIED
    )
    options.object_options.position_origin_coords = canvas.origin
    options.data_options.fft_shift = False  # we hand over DC-at-corner patterns
    options.probe_options.optimizable = settings.free_probe
    # rescaling object to unit mean transmission would also rescale a fixed, known probe
    options.object_options.remove_object_probe_ambiguity.enabled = settings.free_probe
    options.probe_position_options.optimizable = False
    if settings.tv_weight > 0:
        options.object_options.total_variation.enabled = True
        options.object_options.total_variation.weight = settings.tv_weight
    recon = options.reconstructor_options
    recon.num_epochs = settings.epochs
    recon.batch_size = settings.batch_size
    recon.random_seed = settings.seed
    recon.default_device = api.Devices.GPU if settings.device == "cuda" else api.Devices.CPU
    if settings.algorithm == "lsqml":
        recon.noise_model = api.NoiseModels.POISSON
        recon.rescale_probe_intensity_in_first_epoch = False  # the probe is photon-scaled
        # PtychoShelves practice (and pty-chi's advice for compact batches): spatially compact
        # mini-batches with momentum 0.5. Quick scene, dose 1e9, 100 positions: phase
        # correlation 0.82 after 40 epochs, against 0.73 (and 0.87 after 150) with pty-chi's
        # default random batches without momentum
        recon.batching_mode = api.BatchingModes.COMPACT
        recon.momentum_acceleration_gain = 0.5
        recon.preconditioning_damping_factor = settings.damping
    return options


@dataclass
class SolverTask:
    """A built pty-chi task, its canvas, and the units it works in.

    ``probe_to_ours`` multiplies pty-chi's probe back into the dataset's units (N·√c).
    """

    task: PtychographyTask
    canvas: SolverCanvas
    photons_per_unit: float  # c: one unit of pty-chi's data is c photons
    probe_to_ours: float


def build_task(
    counts: np.ndarray,
    positions: np.ndarray,
    probe: np.ndarray,
    settings: SolverSettings,
    fit_mask: np.ndarray | None = None,
    initial_object: np.ndarray | None = None,
) -> SolverTask:
    """A ready pty-chi task (call inside :func:`preserved_process_state`).

    counts : (n, N, N) photons, DC at (N//2, N//2); positions : int (n, 2) (y, x) window
    centres, ground-truth object pixels; probe : complex (N, N) scaled to photons with our
    orthonormal far field; fit_mask : bool (N, N), DC at (N//2, N//2), the detector pixels
    fitted (default all); initial_object : complex (H, W) on the ground-truth canvas, the
    starting object (default ones; its zeros start at one too).
    """
    counts = np.asarray(counts)
    n_side = probe.shape[-1]
    if counts.ndim != 3 or counts.shape[1:] != probe.shape or len(counts) != len(positions):
        raise ValueError(
            f"counts {counts.shape}, probe {probe.shape} and positions {np.shape(positions)} "
            "disagree: need counts (n, N, N), probe (N, N), positions (n, 2)"
        )
    canvas = SolverCanvas.around(positions, n_side)
    solver_positions = canvas.solver_positions(positions)
    mean = float(counts.mean(dtype=np.float64))
    photons_per_unit = mean / PIXEL_MEAN if mean > 0 else 1.0
    probe_to_ours = n_side * np.sqrt(photons_per_unit)
    task = PtychographyTask(
        build_options(settings, canvas),
        diffraction_data=(np.fft.ifftshift(counts, axes=(-2, -1)) / photons_per_unit).astype(
            np.float32
        ),
        object_data=(
            np.ones(canvas.shape, np.complex64)
            if initial_object is None
            else canvas.from_ground_truth(initial_object)
        )[None],
        probe_data=(np.asarray(probe, np.complex128) / probe_to_ours).astype(np.complex64)[
            None, None
        ],
        probe_position_y_px=solver_positions[:, 0],
        probe_position_x_px=solver_positions[:, 1],
        valid_pixel_mask=None if fit_mask is None else np.fft.ifftshift(fit_mask),
    )
    return SolverTask(task, canvas, photons_per_unit, probe_to_ours)
