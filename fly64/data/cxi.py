"""CXI files (Coherent X-ray Imaging format 1.6) of a dose dataset, as Ptychodus reads them.

Layout written by :func:`export_cxi` (Ptychodus's CXI reader reads each entry):

* ``/entry_1/instrument_1/detector_1/data`` int32 (n, N, N): counts, fftshift-ed (DC at N//2),
  with ``distance`` (m), ``x_pixel_size`` / ``y_pixel_size`` (m); ``/entry_1/data_1/data``
  links to it;
* ``/entry_1/instrument_1/source_1/energy``: photon energy, J;
* ``/entry_1/sample_1/geometry_1/translation`` float64 (n, 3): (x, y, 0) probe positions, m,
  about the object's centre (:meth:`fly64.data.geometry.Geometry.positions_m`);
* ``/entry_1/image_1/data`` complex64 (N, N): the probe, √photons (the illumination;
  ``source_1/illumination`` links to it); ``/entry_1/image_2/data`` complex64 (H, W): the
  ground-truth object; each with ``image_size`` (m);
* ``/entry_1/ptychodus/*``: probe and object pixel sizes (m), object centre (0, 0) and
  ``probe_position_indexes`` (the patterns' indices in the dose dataset);
* ``/entry_1/fly64``: attributes ``dose``, ``simulation_seed``, ``footprint_px``,
  ``object_pixel_m``, and the dataset ``split`` int8 (n,) (0 train, 1 test).
"""

import json
from pathlib import Path

import h5py
import numpy as np
import xarray as xr

from fly64.data.dataset import selected_patterns
from fly64.data.geometry import EV_J, Geometry

DETECTOR = "/entry_1/instrument_1/detector_1"
SOURCE = "/entry_1/instrument_1/source_1"
TRANSLATION = "/entry_1/sample_1/geometry_1/translation"
PROBE = "/entry_1/image_1/data"
ILLUMINATION = f"{SOURCE}/illumination"
OBJECT = "/entry_1/image_2/data"
PTYCHODUS = "/entry_1/ptychodus"
FLY64 = "/entry_1/fly64"
CXI_VERSION = 160


def _image(h5: h5py.File, path: str, array: np.ndarray, pixel_m: float, axes: str) -> None:
    data = h5.create_dataset(path, data=array)
    data.attrs["axes"] = axes
    group = data.parent
    group["data_type"] = "amplitude"
    group["data_space"] = "real"
    group["image_size"] = np.array([pixel_m * array.shape[-1], pixel_m * array.shape[-2], 0.0])


def export_cxi(
    ds: xr.Dataset, path: str | Path, geometry: Geometry, indices: np.ndarray | None = None
) -> Path:
    """Write a dose dataset (or the patterns ``indices``, in that order) as a CXI file.

    Parameters
    ----------
    ds : a dose dataset (:mod:`fly64.data.dataset`).
    path : the file to write (``.cxi`` is appended when missing).
    geometry : photon energy, detector distance and pixel size, recorded in the file and used
        for the positions in metres.
    indices : int (m,) pattern indices into ``ds``; None: every pattern.

    Returns the written path.
    """
    path = Path(path)
    path = path if path.suffix == ".cxi" else path.with_name(path.name + ".cxi")
    indices, counts = selected_patterns(ds, indices)
    if indices.size == 0:
        raise ValueError(f"{path}: no patterns to export (the selection is empty)")
    n = int(ds.sizes["ky"])
    obj, probe = ds["object"].values, ds["probe"].values
    x, y = geometry.positions_m(ds["positions"].values[indices], obj.shape, n)
    pixel = geometry.object_pixel_m(n)
    with h5py.File(path, "w") as h5:
        h5["cxi_version"] = CXI_VERSION
        h5["/entry_1/start_time"] = np.datetime_as_string(np.datetime64("now"), "s") + "Z"
        h5["/entry_1/title"] = f"fly64 dose {float(ds.attrs['dose']):g}"
        h5[f"{SOURCE}/energy"] = geometry.photon_energy_ev * EV_J
        h5.create_dataset(f"{DETECTOR}/data", data=counts, compression="gzip", chunks=(1, n, n))
        h5[f"{DETECTOR}/distance"] = geometry.detector_distance_m
        h5[f"{DETECTOR}/x_pixel_size"] = geometry.detector_pixel_m
        h5[f"{DETECTOR}/y_pixel_size"] = geometry.detector_pixel_m
        h5["/entry_1/data_1/data"] = h5py.SoftLink(f"{DETECTOR}/data")
        h5[TRANSLATION] = np.stack([x, y, np.zeros_like(x)], axis=1)
        h5["/entry_1/data_1/translation"] = h5py.SoftLink(TRANSLATION)
        _image(h5, PROBE, probe, pixel, "y:x")
        h5[ILLUMINATION] = h5py.SoftLink(PROBE)
        _image(h5, OBJECT, obj, pixel, "y:x")
        for name, value in (
            ("probe_pixel_width_m", pixel),
            ("probe_pixel_height_m", pixel),
            ("object_pixel_width_m", pixel),
            ("object_pixel_height_m", pixel),
            ("object_center_x_m", 0.0),
            ("object_center_y_m", 0.0),
            ("probe_position_indexes", indices),
        ):
            h5[f"{PTYCHODUS}/{name}"] = value
        meta = h5.create_group(FLY64)
        meta["split"] = ds["split"].values[indices]
        meta.attrs["dose"] = float(ds.attrs["dose"])
        meta.attrs["simulation_seed"] = int(ds.attrs["simulation_seed"])
        meta.attrs["footprint_px"] = float(ds.attrs["footprint_px"])
        meta.attrs["object_pixel_m"] = pixel
        meta.attrs["units"] = json.dumps(
            {
                "data": "photons per detector pixel, fftshift-ed",
                "translation": "m, (x, y, 0) about the object's centre",
                "image_1": "sqrt(photons): expected counts = |fftshift(fft2(P*O, ortho))|^2",
            }
        )
    return path
