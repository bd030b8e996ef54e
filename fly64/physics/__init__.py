"""Physics: probe, test object, scan positions, forward model and Poisson noise (torch, batched)."""

from fly64.physics.device import default_device
from fly64.physics.forward import (
    expected_intensity,
    extract_windows,
    far_field,
    poisson_counts,
    simulate_counts,
)
from fly64.physics.object import make_test_object
from fly64.physics.poisson import poisson_floor, poisson_nll
from fly64.physics.probe import footprint_diameter, make_probe, support_fraction
from fly64.physics.scan import illuminated_rows, raster_scan, split_along_y

__all__ = [
    "default_device",
    "expected_intensity",
    "extract_windows",
    "far_field",
    "footprint_diameter",
    "illuminated_rows",
    "make_probe",
    "make_test_object",
    "poisson_counts",
    "poisson_floor",
    "poisson_nll",
    "raster_scan",
    "simulate_counts",
    "split_along_y",
    "support_fraction",
]
