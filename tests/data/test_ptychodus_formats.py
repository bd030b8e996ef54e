"""fly64's CXI files, Ptychodus products and SLAC-layout NPZ files, read back by Ptychodus's
own readers; a probe from a product written by Ptychodus drives a study."""

import numpy as np
import pytest
from ptychodus.api.geometry import PixelGeometry
from ptychodus.api.io import load_product, save_product
from ptychodus.api.object import Object, ObjectCenter
from ptychodus.api.probe import ProbeSequence
from ptychodus.api.probe_positions import ProbePosition, ProbePositionSequence
from ptychodus.api.product import Product, ProductMetadata
from ptychodus.plugins.cxi_file import CXIDiffractionFileReader, CXIProductFileIO
from ptychodus.plugins.slac_npz_file import SLACDiffractionFileReader, SLACProductFileReader

from fly64.data.cxi import export_cxi
from fly64.data.geometry import Geometry
from fly64.data.npz import export_npz
from fly64.data.product import write_product
from fly64.study import Study
from fly64.study.display.preview import preview_study
from fly64.study.pipeline.simulate import simulate_dose

GEOMETRY = Geometry(photon_energy_ev=8000.0, detector_distance_m=2.0, detector_pixel_m=75e-6)


@pytest.fixture(scope="module")
def dataset():
    study = Study.preset(
        "quick", object_size=96, scan_step=8.0, spacing_basis="window", doses=[1e4]
    )
    return simulate_dose(study, 1e4)


def positions_m(ds, indices):
    """(x, y) metres of the patterns ``indices``: about the object's centre, λz/(Np) pixels."""
    n, (h, w) = ds.sizes["ky"], ds["object"].shape
    pixel = 1.23984198e-6 / 8000.0 * 2.0 / (n * 75e-6)
    yx = ds["positions"].values[indices].astype(float)
    return (yx[:, 1] - (w - 1) / 2) * pixel, (yx[:, 0] - (h - 1) / 2) * pixel


def max_delta(a, b) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())


def test_ptychodus_reads_a_cxi_export(dataset, tmp_path):
    indices = np.arange(3, dataset.sizes["pattern"], 2)
    path = export_cxi(dataset, tmp_path / "d", GEOMETRY, indices)
    assert path.name == "d.cxi"
    diffraction = CXIDiffractionFileReader().read(path)
    meta = diffraction.get_metadata()
    n = dataset.sizes["ky"]
    assert sum(meta.num_patterns_per_array) == len(indices)
    assert (meta.detector_extent.width_px, meta.detector_extent.height_px) == (n, n)
    assert meta.detector_distance_m == pytest.approx(2.0, rel=1e-12)
    assert meta.detector_pixel_geometry.width_m == pytest.approx(75e-6, rel=1e-12)
    assert meta.photon_energy_eV == pytest.approx(8000.0, rel=1e-9)
    patterns = np.concatenate([array.get_patterns() for array in diffraction])
    np.testing.assert_array_equal(patterns, dataset["counts"].values[indices])

    product = CXIProductFileIO().read(path)
    x, y = positions_m(dataset, indices)
    got = product.probe_positions
    np.testing.assert_allclose(got.get_coordinates_x_m(), x, rtol=1e-6, atol=1e-6 * np.abs(x).max())
    np.testing.assert_allclose(got.get_coordinates_y_m(), y, rtol=1e-6, atol=1e-6 * np.abs(y).max())
    np.testing.assert_array_equal(got.get_indexes(), indices)
    assert max_delta(product.probes.get_array()[0, 0], dataset["probe"].values) <= 1e-6
    assert max_delta(product.object_.get_layer(0), dataset["object"].values) <= 1e-6


def test_ptychodus_reads_a_product(dataset, tmp_path):
    indices = np.arange(0, dataset.sizes["pattern"], 3)
    rng = np.random.default_rng(0)
    obj = (dataset["object"].values * np.exp(0.1j * rng.random(dataset["object"].shape))).astype(
        np.complex64
    )
    path = write_product(
        tmp_path / "cell.h5",
        name="train-d1e4-dense-pinn_gs1-s0",
        comments='{"method": "pinn"}',
        obj=obj,
        probe=dataset["probe"].values,
        positions=dataset["positions"].values[indices],
        indices=indices,
        geometry=GEOMETRY,
        losses=[(0, 2.5), (1, 1.25)],
        probe_photon_count=1e4,
    )
    product = load_product(path)
    assert product.metadata.name == "train-d1e4-dense-pinn_gs1-s0"
    assert product.metadata.comments == '{"method": "pinn"}'
    assert product.metadata.photon_energy_eV == 8000.0
    assert product.metadata.detector_distance_m == 2.0
    x, y = positions_m(dataset, indices)
    got = product.probe_positions
    assert len(got) == len(indices)
    np.testing.assert_allclose(got.get_coordinates_x_m(), x, rtol=1e-6, atol=1e-6 * np.abs(x).max())
    np.testing.assert_allclose(got.get_coordinates_y_m(), y, rtol=1e-6, atol=1e-6 * np.abs(y).max())
    assert max_delta(product.probes.get_array()[0, 0], dataset["probe"].values) <= 1e-6
    assert max_delta(product.object_.get_layer(0), obj) <= 1e-6
    assert [(loss.epoch, loss.value) for loss in product.losses] == [(0, 2.5), (1, 1.25)]
    # Ptychodus maps the positions back onto the object's pixels: fly64's window centres
    geometry = product.object_.get_geometry()
    cols = geometry.map_probe_positions_to_object_x_px(got)
    np.testing.assert_allclose(cols, dataset["positions"].values[indices, 1], atol=1e-6)


def test_ptychodus_slac_readers_read_the_slac_layout(dataset, tmp_path):
    indices = np.arange(1, dataset.sizes["pattern"], 2)
    path = export_npz(dataset, tmp_path / "s.npz", indices, "ptychodus-slac", GEOMETRY)
    diffraction = SLACDiffractionFileReader().read(path)
    n = dataset.sizes["ky"]
    meta = diffraction.get_metadata()
    assert sum(meta.num_patterns_per_array) == len(indices)
    assert (meta.detector_extent.width_px, meta.detector_extent.height_px) == (n, n)
    patterns = np.concatenate([array.get_patterns() for array in diffraction])
    np.testing.assert_allclose(patterns**2, dataset["counts"].values[indices], rtol=1e-5, atol=1e-3)
    product = SLACProductFileReader().read(path)
    pixel = GEOMETRY.object_pixel_m(n)
    yx = dataset["positions"].values[indices]
    got = product.probe_positions
    np.testing.assert_allclose(got.get_coordinates_x_m(), yx[:, 1] * pixel, rtol=1e-6)
    np.testing.assert_allclose(got.get_coordinates_y_m(), yx[:, 0] * pixel, rtol=1e-6)
    assert max_delta(product.probes.get_array()[0, 0], dataset["probe"].values) <= 1e-6
    assert max_delta(product.object_.get_layer(0), dataset["object"].values) <= 1e-6


def test_a_probe_from_ptychodus_drives_the_study_as_the_same_npz_probe(tmp_path):
    n = 32
    yy, xx = np.mgrid[:n, :n] - n // 2
    probe = (np.exp(-(yy**2 + xx**2) / 18.0) * np.exp(0.02j * (yy**2 + xx**2))).astype(
        np.complex128
    )
    probe *= 37.0  # any power: the study scales it to its dose
    obj = np.exp(0.3j * np.random.default_rng(2).random((96, 96))).astype(np.complex64)
    metadata = ProductMetadata(
        name="beamline probe",
        comments="",
        detector_distance_m=2.0,
        photon_energy_eV=8000.0,
        probe_photon_count=0.0,
        exposure_time_s=0.0,
        mass_attenuation_m2_per_kg=0.0,
        tomography_angle_deg=0.0,
    )
    pixel = GEOMETRY.object_pixel_m(n)
    save_product(
        tmp_path / "probe.h5",
        Product(
            metadata=metadata,
            probe_positions=ProbePositionSequence([ProbePosition(0, 0.0, 0.0)]),
            probes=ProbeSequence(probe, None, PixelGeometry(pixel, pixel)),
            object_=Object(
                obj.astype(np.complex128), PixelGeometry(pixel, pixel), ObjectCenter(0.0, 0.0)
            ),
            losses=[],
        ),
    )
    np.savez(
        tmp_path / "probe.npz",
        diffraction=np.ones((1, n, n), np.float32),
        probeGuess=probe.astype(np.complex64),
        objectGuess=obj,
        xcoords=np.full(1, 48.0),
        ycoords=np.full(1, 48.0),
    )
    settings = dict(scan_step=8.0, spacing_basis="window", object_npz=str(tmp_path / "probe.npz"))
    from_npz = simulate_dose(Study.preset("quick", **settings), 1e4)
    study = Study.preset("quick", **settings, probe_file=str(tmp_path / "probe.h5"))
    from_product = simulate_dose(study, 1e4)
    assert "probe file:probe.h5" in from_product.attrs["object_source"]
    np.testing.assert_allclose(
        from_product["probe"].values, from_npz["probe"].values, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(from_product["counts"].values, from_npz["counts"].values)
    preview = preview_study(study)  # the set-up preview shows the file's probe at once
    np.testing.assert_allclose(preview.probe, probe / np.linalg.norm(probe), atol=1e-6)
    assert "probe file:probe.h5" in preview.scene.object_source
