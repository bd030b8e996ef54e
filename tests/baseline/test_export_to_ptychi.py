"""A cell's exported NPZ and CXI file, reconstructed by pty-chi directly (no fly64 code in
between; the CXI read with h5py), score as fly64's own LSQML cell does: the exports carry the
data, geometry and units intact. The cell's Ptychodus product holds its object."""

import h5py
import numpy as np
import ptychi.api as api
from ptychi.api.task import PtychographyTask
from ptychodus.api.io import load_product

from fly64.baseline.ptychi_task import preserved_process_state
from fly64.data.dataset import open_dose_dataset
from fly64.metrics import evaluate
from fly64.study.cli.main import main
from fly64.study.execution.workspace import prepare_store
from fly64.study.records.cell_result import load_result
from fly64.study.records.cube import load_cube
from fly64.study.settings.cells import Cell
from fly64.study.settings.model import Study


def read_npz(path) -> tuple:
    """A PtychoPINN NPZ as (intensity (n, N, N), probe (N, N), object shape, y, x centres):
    ``diffraction`` is √photons, ``x/ycoords`` are window centres in object pixels."""
    data = np.load(path)
    intensity = data["diffraction"].astype(np.float64) ** 2
    return (
        intensity,
        data["probeGuess"],
        data["objectGuess"].shape,
        data["ycoords"],
        data["xcoords"],
    )


def read_cxi(path) -> tuple:
    """A CXI file as :func:`read_npz` gives an NPZ: counts, the illumination, and the
    translation (m) back in object pixels λz/(Np) about the object's centre."""
    with h5py.File(path, "r") as h5:
        counts = h5["/entry_1/instrument_1/detector_1/data"][()].astype(np.float64)
        probe = h5["/entry_1/instrument_1/source_1/illumination"][()]
        shape = h5["/entry_1/image_2/data"].shape
        translation = h5["/entry_1/sample_1/geometry_1/translation"][()]
        energy_j = float(h5["/entry_1/instrument_1/source_1/energy"][()])
        distance = float(h5["/entry_1/instrument_1/detector_1/distance"][()])
        pixel = float(h5["/entry_1/instrument_1/detector_1/x_pixel_size"][()])
    wavelength = 6.62607015e-34 * 299792458 / energy_j
    object_pixel = wavelength * distance / (counts.shape[-1] * pixel)
    x = translation[:, 0] / object_pixel + (shape[1] - 1) / 2
    y = translation[:, 1] / object_pixel + (shape[0] - 1) / 2
    return counts, probe, shape, y, x


def ptychi_lsqml(data: tuple, epochs: int, batch_size: int, seed: int) -> np.ndarray:
    """LSQML as a pty-chi user would run it on ``data`` (:func:`read_npz`, :func:`read_cxi`);
    complex (H, W) on the object's grid.

    The intensity has DC at (N//2, N//2) (pty-chi's ``fft_shift``), the probe is scaled for an
    orthonormal FFT (pty-chi's is unnormalised: divide by N), and the coordinates are window
    centres. pty-chi starts a patch of position ``p`` at buffer pixel
    ``round(p) + origin − (N − 1)/2`` (interpolating the fractional part): with the origin at
    ``(N − 1)/2`` the window starting at ``c − N//2`` has the integer position ``c − N//2``.
    """
    intensity, probe, shape, ycoords, xcoords = data
    n = probe.shape[0]
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
        object_data=np.ones((1, *shape), np.complex64),
        probe_data=(probe / (n * np.sqrt(unit))).astype(np.complex64)[None, None],
        # coordinates read back from metres carry float noise (47.9999…): round it off
        probe_position_y_px=np.round(ycoords, 6) - n // 2,
        probe_position_x_px=np.round(xcoords, 6) - n // 2,
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
    ds = open_dose_dataset(store.dose_path(1e4))
    cell = Cell(1e4, "dense", "lsqml", 1, 0)
    result = load_result(store.job_dir(cell.job_id))
    assert ours > 0.5
    export = ["export", "--store", str(store.root), "--dose", "1e4", "--view", "dense"]
    for fmt, read in (("npz", read_npz), ("cxi", read_cxi)):
        path = tmp_path / f"cell.{fmt}"
        assert main([*export, "--split", "test", "--format", fmt, "--output", str(path)]) == 0
        with preserved_process_state():
            theirs = ptychi_lsqml(
                read(path), study.baseline_epochs, study.baseline_batch_size, seed=0
            )
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
            f"pty-chi on the {fmt} export {score.phase.correlation:.4f}"
        )
        assert abs(score.phase.correlation - ours) <= 0.02, (fmt, score.phase.correlation, ours)

    products = tmp_path / "products"
    assert main([*export, "--format", "product", "--output", str(products)]) == 0
    product = load_product(products / f"{cell.job_id}.h5")
    assert np.abs(product.object_.get_layer(0) - result.object).max() <= 1e-6
    assert len(product.losses) == len(result.losses)
