"""The simulate stage: simulate diffraction counts at each dose into the store.

Every repeat seed of the study is an independent experiment: repeat r draws its own Poisson
counts at every dose (seed :func:`noise_seed`), into a dataset of its own
(``Store.dose_path(dose, r)``). The object, probe and scan (jitter included) are the
study's, shared by all repeats, so each dose's views are cut once and serve every repeat.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import xarray as xr

from fly64.data.dataset import (
    build_dose_dataset,
    dose_dataset_attrs,
    open_dose_dataset,
    write_dose_dataset,
)
from fly64.data.npz import load_npz
from fly64.data.provenance import package_versions
from fly64.data.store import Store
from fly64.physics import (
    footprint_diameter,
    make_test_object,
    simulate_counts,
)
from fly64.study.settings.model import Study, StudyError
from fly64.study.settings.scan import base_scan, load_object


@dataclass(frozen=True)
class Scene:
    """What every dose shares: object, unscaled probe, base scan and its split labels."""

    object: np.ndarray  # complex64 (H, W)
    probe: np.ndarray  # complex64 (N, N), Σ|P|² = 1 for the built-in probe
    positions: np.ndarray  # int64 (n, 2) (y, x) window centres, guard band removed
    split: np.ndarray  # int8 (n,), 0 train / 1 test
    source: str


def make_scene(study: Study) -> Scene:
    """The object, probe and base scan a study simulates (deterministic in its settings)."""
    n = study.patch_size
    probe = study.make_probe()
    if study.object_npz and probe.shape[0] != n:
        raise StudyError(
            f"patch_size: {n} px differs from the NPZ probe's side {probe.shape[0]} px; "
            "set patch_size to the probe's side"
        )
    if study.object_file:
        obj, source = load_object(study), f"file:{Path(study.object_file).name}"
    elif study.object_npz:
        obj, source = load_npz(study.object_npz)["object"], f"npz:{Path(study.object_npz).name}"
    else:
        size = (study.object_size, study.object_size)
        obj = make_test_object(size, study.object, scale=study.footprint)
        source = f"builtin:{study.object}"
    if study.probe_file:
        source += f", probe file:{Path(study.probe_file).name}"
    positions, split = base_scan(study, obj.shape)
    return Scene(obj, probe, positions, split, source)


def noise_seed(simulation_seed: int, repeat: int) -> int:
    """The Poisson seed of a repeat: ``simulation_seed`` itself for repeat 0 (the datasets of a
    single-repeat study are unchanged), else drawn from
    ``SeedSequence([simulation_seed, repeat])``."""
    if repeat == 0:
        return simulation_seed
    return int(np.random.SeedSequence([simulation_seed, repeat]).generate_state(1)[0])


def simulate_dose(
    study: Study,
    dose: float,
    scene: Scene | None = None,
    progress: Callable | None = None,
    repeat: int = 0,
) -> xr.Dataset:
    """The dataset of one dose and repeat:
    Poisson counts with ``dose`` expected photons per pattern.
    """
    scene = scene or make_scene(study)
    counts, probe = simulate_counts(
        scene.object,
        scene.probe,
        scene.positions,
        dose,
        noise_seed(study.simulation_seed, repeat),
        progress=progress,
    )
    attrs = {
        "dose": float(dose),
        "simulation_seed": study.simulation_seed,
        "repeat": int(repeat),
        "noise_seed": noise_seed(study.simulation_seed, repeat),
        "footprint_px": footprint_diameter(scene.probe),
        "patch_size": study.patch_size,
        "guard_rows": study.guard_rows,
        "object_source": scene.source,
        "settings_hash": study.settings_hash("simulate"),
        "package_versions": package_versions(),
    }
    return build_dose_dataset(counts, scene.positions, scene.split, probe, scene.object, attrs)


def is_simulated(
    store: Store, study: Study, dose: float, repeat: int = 0, verify: bool = True
) -> bool:
    """True when the store holds this dose and repeat (by its own record, not only its path),
    made with the same simulation settings; ``verify`` checks every file's checksum too."""
    path = store.dose_path(dose, repeat)
    if not path.exists():
        return False
    try:
        attrs = open_dose_dataset(path).attrs if verify else dose_dataset_attrs(path)
        return attrs["settings_hash"] == study.settings_hash("simulate")
    except (ValueError, KeyError):
        return False


def simulate_study(
    study: Study, store: Store, doses=None, progress: Callable | None = None, repeats=None
) -> list[tuple[float, Path, bool]]:
    """Simulate each dose and repeat not yet in the store; returns (dose, path, skipped) per pair.

    ``repeats`` defaults to the study's repeat seeds. ``progress(dose, n_done, total=n_total)``
    is called as batches finish.
    """
    todo = study.doses if doses is None else doses
    for dose in todo:
        if not dose > 0:
            raise StudyError(f"dose: {dose} is not a positive number of photons per pattern")
    scene, report = None, []
    for dose in todo:
        for repeat in study.repeats if repeats is None else repeats:
            path = store.dose_path(dose, repeat)
            if is_simulated(store, study, dose, repeat):
                report.append((dose, path, True))
                continue
            scene = scene or make_scene(study)
            tick = None if progress is None else partial(progress, dose, total=len(scene.positions))
            write_dose_dataset(simulate_dose(study, dose, scene, tick, repeat), path)
            report.append((dose, path, False))
    return report
