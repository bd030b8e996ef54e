"""Read-only accessors that summarise a store's simulated doses for display (the dashboard,
notebooks); a view's summaries are :mod:`fly64.study.display.view_summary`, the
comparison's :mod:`fly64.study.display.result_summary`.

Nothing here computes a result of the study: these functions read what the stages wrote
and reduce it to what a plot needs. Summaries that read every pattern of a dose are cached
per dataset (keyed by the dataset's path and modification time, so a re-simulated dose is
read afresh). Positions are (y, x) window centres in object pixels.
"""

import functools
from dataclasses import dataclass
from pathlib import Path

import dask
import numpy as np
import xarray as xr

from fly64.data.dataset import open_dose_dataset
from fly64.data.store import Store, metadata_file
from fly64.physics import footprint_diameter, support_fraction
from fly64.physics.object import object_statistics, phase_power_spectrum
from fly64.study.pipeline.simulate import is_simulated
from fly64.study.settings.model import Study


def change_stamp(path: Path) -> int | None:
    """When a file or a dataset was last rewritten (ns since the epoch; a zarr dataset
    directory: its ``zarr.json`` metadata), None when it does not exist: a key that changes
    whenever it is rewritten."""
    meta = metadata_file(Path(path))
    try:
        return (meta if meta.exists() else Path(path)).stat().st_mtime_ns
    except FileNotFoundError:
        return None


@functools.lru_cache(maxsize=8)
def _open_cached(path: str, stamp: int) -> xr.Dataset:
    return open_dose_dataset(Path(path))


def dose_dataset(store: Store, dose: float, repeat: int = 0) -> xr.Dataset:
    """The lazy dataset of a dose and repeat (opened once per version of the file)."""
    path = store.dose_path(dose, repeat)
    if not path.exists():
        return open_dose_dataset(path)  # raises the contract's "run fly64 simulate" message
    return _open_cached(str(path), change_stamp(path))


def simulated_doses(store: Store, study: Study) -> list[float]:
    """The study's doses whose datasets are in the store with the study's simulation settings."""
    return [float(d) for d in study.doses if is_simulated(store, study, d)]


@dataclass(frozen=True)
class DoseSummary:
    """What the diffraction page shows of one dose.

    dose : nominal expected photons per pattern.
    probe : complex64 (N, N), scaled to photons (√counts units).
    footprint_px : diameter D (pixels) of the disc holding 90 % of |P|².
    mean_pattern : float64 (N, N), mean counts per detector pixel over all patterns.
    counts_per_pattern : int64 (n,), total photons recorded in each pattern.
    """

    dose: float
    probe: np.ndarray
    footprint_px: float
    mean_pattern: np.ndarray
    counts_per_pattern: np.ndarray

    @property
    def n_patterns(self) -> int:
        return len(self.counts_per_pattern)

    @property
    def patch_size(self) -> int:
        return self.probe.shape[0]

    def count_stats(self) -> dict[str, float]:
        """Mean, std, min, median, max of photons per pattern and the mean over the nominal dose."""
        c = self.counts_per_pattern
        return {
            "nominal": self.dose,
            "mean": float(c.mean()),
            "std": float(c.std()),
            "min": float(c.min()),
            "median": float(np.median(c)),
            "max": float(c.max()),
            "mean / nominal": float(c.mean() / self.dose),
        }


@functools.lru_cache(maxsize=8)
def _summary_cached(path: str, stamp: int) -> DoseSummary:
    ds = _open_cached(path, stamp)
    counts = ds["counts"].data  # dask (pattern, ky, kx), read chunk by chunk
    per_pattern = counts.sum(axis=(1, 2), dtype=np.int64)
    mean = counts.mean(axis=0, dtype=np.float64)
    per_pattern, mean = dask.compute(per_pattern, mean, scheduler="synchronous")
    return DoseSummary(
        float(ds.attrs["dose"]),
        ds["probe"].values,
        float(ds.attrs["footprint_px"]),
        np.asarray(mean),
        np.asarray(per_pattern),
    )


def dose_summary(store: Store, dose: float) -> DoseSummary:
    """Probe, footprint, mean pattern and photons per pattern of one dose
    (reads every pattern once).
    """
    path = store.dose_path(dose)
    dose_dataset(store, dose)  # clear error when missing
    return _summary_cached(str(path), change_stamp(path))


@dataclass(frozen=True)
class SceneSummary:
    """What the diffraction page shows of the probe and object one dose was simulated with.

    object_source : where the object came from (``builtin:probe_scale``, ``npz:name.npz``;
        ``not recorded`` for datasets written before the attribute existed).
    patch_size : detector / probe side N, pixels.
    footprint_px : D₉₀, diameter (pixels) of the centred disc holding 90 % of |P|².
    footprint_99_px : D₉₉, the same for 99 % (whether the probe fits the PINN's N/2 support).
    support_fraction : fraction of |P|² inside the centred disc of diameter N/2.
    object : complex64 (H, W), the ground-truth object.
    object_stats : :func:`fly64.physics.object.object_statistics` of the object against D₉₀.
    spectrum_frequency : float64 (bins,), cycles per pixel, bin centres up to 0.5.
    spectrum_power : float64 (bins,), radial power of the object's phase, normalised to sum 1.
    """

    object_source: str
    patch_size: int
    footprint_px: float
    footprint_99_px: float
    support_fraction: float
    object: np.ndarray
    object_stats: dict
    spectrum_frequency: np.ndarray
    spectrum_power: np.ndarray

    @property
    def cutoff_frequency(self) -> float:
        """1 / (2·D₉₀), cycles per pixel:
        finer phase detail than this is what single patterns see.
        """
        return 1.0 / (2.0 * self.footprint_px)


def summarise_scene(
    source: str, probe: np.ndarray, obj: np.ndarray, footprint: float
) -> SceneSummary:
    """Footprints and support of a probe (N, N) of any scale, statistics and phase spectrum of an
    object (H, W), against the footprint D₉₀ (pixels)."""
    frequency, power = phase_power_spectrum(obj)
    return SceneSummary(
        source,
        probe.shape[0],
        footprint,
        footprint_diameter(probe, 0.99),
        support_fraction(probe),
        obj,
        object_statistics(obj, footprint),
        frequency,
        power,
    )


@functools.lru_cache(maxsize=8)
def _scene_cached(path: str, stamp: int) -> SceneSummary:
    ds = _open_cached(path, stamp)
    probe, obj = (
        ds["probe"].values,
        ds["object"].values,
    )  # footprints are scale-free: photons are fine
    return summarise_scene(
        str(ds.attrs.get("object_source", "not recorded")),
        probe,
        obj,
        float(ds.attrs["footprint_px"]),
    )


def scene_summary(store: Store, dose: float) -> SceneSummary:
    """Probe footprints and support, object statistics and phase spectrum of one dose
    (no counts read).
    """
    path = store.dose_path(dose)
    dose_dataset(store, dose)  # clear error when missing
    return _scene_cached(str(path), change_stamp(path))


def pattern(store: Store, dose: float, index: int) -> np.ndarray:
    """Counts of one pattern, int32 (N, N), fftshift-ed (DC at N//2); reads only that pattern."""
    ds = dose_dataset(store, dose)
    n = ds.sizes["pattern"]
    if not 0 <= index < n:
        raise IndexError(f"pattern index {index} outside [0, {n}) for dose {dose:g}")
    return ds["counts"][index].values


def ground_truth(store: Store, dose: float) -> np.ndarray:
    """The simulated object of a dose, complex64 (H, W)."""
    return dose_dataset(store, dose)["object"].values
