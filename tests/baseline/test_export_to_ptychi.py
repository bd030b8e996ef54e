"""A cell's exported NPZ, reconstructed by pty-chi directly (no fly64 code in between), scores
as fly64's own LSQML cell does: the export carries the data, geometry and units intact."""

import numpy as np
import ptychi.api as api
from ptychi.api.task import PtychographyTask

from fly64.baseline.solver import preserved_process_state
from fly64.data.dataset import open_dose_dataset
from fly64.metrics import evaluate
from fly64.study.cells import Cell
from fly64.study.cli import main
from fly64.study.comparison import load_cube
from fly64.study.model import Study
from fly64.study.results import load_result
from fly64.study.workspace import prepare_store


def ptychi_from_npz(path, epochs: int, batch_size: int, seed: int) -> np.ndarray:
    """LSQML on a PtychoPINN NPZ as a pty-chi user would run it;
    complex (H, W) on objectGuess's grid.

    The NPZ's ``diffraction`` is √photons with DC at (N//2, N//2) (pty-chi's ``fft_shift``),
    its probe is scaled for an orthonormal FFT (pty-chi's is unnormalised: divide by N), and
    ``x/ycoords`` are window centres. pty-chi starts a patch of position ``p`` at buffer pixel
    ``round(p) + origin − (N − 1)/2`` (interpolating the fractional part): with the origin at
    ``(N − 1)/2`` the window starting at ``c − N//2`` has the integer position ``c − N//2``.
    """
    data = np.load(path)
    intensity = data["diffraction"].astype(np.float64) ** 2
    probe, n = data["probeGuess"], data["probeGuess"].shape[0]
    unit = (
        intensity.mean()
    )  # work near one photon per pixel (pty-chi's Poisson step has an absolute ε)
    options = api.LSQMLOptions()
    options.data_options.fft_shift = True
    options.object_options.determine_position_origin_coords_by = (
        api.ObjectPosOriginCoordsMethods.SPECIFIED
    )
    options.object_options.position_origin_coords = np.full(2, (n - 1) / 2)
    options.object_options.remove_object_probe_ambiguity.enabled = False
    options.probe_options.optimizable = False
    options.probe_position_options.optimizable = False
    recon = options.reconstructor_options
    recon.num_epochs, recon.batch_size, recon.random_seed = epochs, batch_size, seed
    recon.noise_model = api.NoiseModels.POISSON
    recon.rescale_probe_intensity_in_first_epoch = False
    recon.batching_mode = api.BatchingModes.COMPACT
    recon.momentum_acceleration_gain = 0.5
    recon.preconditioning_damping_factor = 0.001
    task = PtychographyTask(
        options,
        diffraction_data=(intensity / unit).astype(np.float32),
        object_data=np.ones((1, *data["objectGuess"].shape), np.complex64),
        probe_data=(probe / (n * np.sqrt(unit))).astype(np.complex64)[None, None],
        probe_position_y_px=data["ycoords"] - n // 2,
        probe_position_x_px=data["xcoords"] - n // 2,
    )
    task.run()
    return task.get_data_to_cpu("object", as_numpy=True)[0]


def test_an_exported_cell_reconstructed_by_ptychi_scores_as_fly64s_own(tmp_path):
    study = Study.preset(
        "quick", doses=[1e4], object_size=96, views={"dense": 0.7}, methods=["lsqml"]
    )
    store = prepare_store(tmp_path / "store", study)
    assert main(["reconstruct", "--store", str(store.root), "--workers", "1"]) == 0
    assert main(["compare", "--store", str(store.root)]) == 0
    ours = float(
        load_cube(store).sel(
            {
                "dose": 1e4,
                "view": "dense",
                "method": "lsqml",
                "seed": 0,
                "part": "phase",
                "metric": "correlation",
            }
        )
    )
    npz = tmp_path / "cell.npz"
    assert (
        main(
            [
                "export",
                "--store",
                str(store.root),
                "--dose",
                "1e4",
                "--view",
                "dense",
                "--split",
                "test",
                "--output",
                str(npz),
            ]
        )
        == 0
    )
    with preserved_process_state():
        theirs = ptychi_from_npz(npz, study.baseline_epochs, study.baseline_batch_size, seed=0)
    ds = open_dose_dataset(store.dose_path(1e4))
    result = load_result(store.job_dir(Cell(1e4, "dense", "lsqml", 1, 0).job_id))
    theirs[result.weights <= 0] = 0
    score = evaluate(
        ds["object"].values,
        theirs,
        result.weights,
        mask_threshold=study.mask_threshold,
        illumination_unit=float(np.abs(ds["probe"].values).max() ** 2),
        ramp=study.phase_ramp,
    )
    print(
        f"phase correlation: fly64's cell {ours:.4f}, "
        f"pty-chi on the export {score.phase.correlation:.4f}"
    )
    assert ours > 0.5
    assert abs(score.phase.correlation - ours) <= 0.02, (score.phase.correlation, ours)
