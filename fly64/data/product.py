"""Ptychodus HDF5 products: a reconstruction with its probe, positions and losses.

Layout (Ptychodus's ``load_product`` reads it): root attributes ``name``, ``comments``,
``detector_object_distance_m``, ``photon_energy_eV``, ``probe_photon_count``,
``exposure_time_s``, ``mass_attenuation_m2_per_kg``, ``tomography_angle_deg``; datasets
``probe_position_indexes`` int (n,), ``probe_position_x_m`` / ``probe_position_y_m`` float64
(n,) (about the object's centre), ``probe`` complex64 (1, N, N) with ``pixel_width_m`` /
``pixel_height_m``, ``object`` complex64 (1, H, W) with those and ``center_x_m`` /
``center_y_m``, ``object_layer_spacing_m`` (empty), ``loss_epochs`` / ``loss_values``.
"""

from pathlib import Path

import h5py
import numpy as np

from fly64.data.geometry import Geometry

#: the root attributes of a product (the HDF5 layout's names)
NAME, COMMENTS = "name", "comments"
PROBE, OBJECT = "probe", "object"


def write_product(
    path: str | Path,
    *,
    name: str,
    comments: str,
    obj: np.ndarray,
    probe: np.ndarray,
    positions: np.ndarray,
    indices: np.ndarray,
    geometry: Geometry,
    losses: list[tuple[int, float]] = (),
    probe_photon_count: float = 0.0,
) -> Path:
    """Write a Ptychodus HDF5 product.

    Parameters
    ----------
    obj : complex (H, W) object; probe : complex (N, N) probe, √photons.
    positions : (m, 2) (y, x) window centres in object pixels; indices : int (m,) their
        pattern indices.
    geometry : the set-up that gives pixels in metres (recorded in the attributes).
    losses : (epoch, value) pairs.
    probe_photon_count : expected photons per pattern (the dose).
    """
    path = Path(path)
    n = probe.shape[-1]
    pixel = geometry.object_pixel_m(n)
    x, y = geometry.positions_m(positions, obj.shape, n)
    with h5py.File(path, "w") as h5:
        h5.attrs[NAME] = name
        h5.attrs[COMMENTS] = comments
        h5.attrs["detector_object_distance_m"] = geometry.detector_distance_m
        h5.attrs["photon_energy_eV"] = geometry.photon_energy_ev
        h5.attrs["probe_photon_count"] = float(probe_photon_count)
        for key in ("exposure_time_s", "mass_attenuation_m2_per_kg", "tomography_angle_deg"):
            h5.attrs[key] = 0.0
        h5["probe_position_indexes"] = np.asarray(indices, np.int64)
        h5["probe_position_x_m"] = x
        h5["probe_position_y_m"] = y
        h5_probe = h5.create_dataset(PROBE, data=np.asarray(probe, np.complex64)[None])
        h5_object = h5.create_dataset(OBJECT, data=np.asarray(obj, np.complex64)[None])
        for dataset in (h5_probe, h5_object):
            dataset.attrs["pixel_width_m"] = pixel
            dataset.attrs["pixel_height_m"] = pixel
        h5_object.attrs["center_x_m"] = 0.0
        h5_object.attrs["center_y_m"] = 0.0
        h5["object_layer_spacing_m"] = np.zeros(0)
        h5["loss_epochs"] = np.array([int(e) for e, _ in losses], np.int64)
        h5["loss_values"] = np.array([float(v) for _, v in losses], np.float64)
    return path
