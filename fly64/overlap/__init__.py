"""Overlap views: minimum-spacing subsets of a scan, spacing and overlap diagnostics, PINN groups.

Pure array functions (numpy, scipy). Positions are (n, 2) arrays of (y, x) window **centres**
in object pixels (``docs/architecture.md#conventions``); distances are Euclidean, in pixels.
"""

from fly64.overlap.grouping import group_offsets, neighbour_groups, neighbour_pools
from fly64.overlap.metrics import (
    coverage_map,
    covered_fraction,
    disc_overlap_fraction,
    linear_overlap,
)
from fly64.overlap.spacing import (
    greedy_min_spacing,
    nearest_neighbour_distances,
    packing_bound,
    spacing_stats,
    visit_order,
)

__all__ = [
    "coverage_map",
    "covered_fraction",
    "disc_overlap_fraction",
    "greedy_min_spacing",
    "group_offsets",
    "linear_overlap",
    "nearest_neighbour_distances",
    "neighbour_groups",
    "neighbour_pools",
    "packing_bound",
    "spacing_stats",
    "visit_order",
]
