"""Scaling of the overlap view cut: 10,000 vs 100,000 jittered raster positions, one run.

Times the greedy minimum-spacing cut (random order, S = 2.4 × step) plus the nearest-neighbour
diagnostics of the kept positions. Expected ratio t(100k)/t(10k): ≈ 11.5 for n log n scaling,
100 for an n² method.
"""

import math

import numpy as np

from benchmarks.timing import best_of
from fly64.overlap import greedy_min_spacing, nearest_neighbour_distances, spacing_stats

STEP, JITTER = 6.0, 1.0
SPACING = 2.4 * STEP


def jittered_raster(n: int, seed: int = 0) -> np.ndarray:
    side = math.isqrt(n)
    ys, xs = np.meshgrid(np.arange(side) * STEP, np.arange(side) * STEP, indexing="ij")
    grid = np.stack([ys.ravel(), xs.ravel()], axis=1)
    return np.rint(grid + np.random.default_rng(seed).uniform(-JITTER, JITTER, grid.shape))


def view_cut(positions: np.ndarray) -> int:
    accepted = greedy_min_spacing(positions, SPACING, order="random", seed=456)
    spacing_stats(nearest_neighbour_distances(positions[accepted]), bins=30)
    return int(accepted.sum())


def main() -> None:
    timings = {}
    for n in (10_000, 100_000):
        positions = jittered_raster(n)
        kept = view_cut(positions)
        timings[n] = best_of(lambda p=positions: view_cut(p))
        print(
            f"n = {len(positions):7d}: kept {kept:6d} at S = {SPACING:.1f} px, {timings[n]:.3f} s"
        )
    ratio = timings[100_000] / timings[10_000]
    nlogn = 100_000 * math.log(100_000) / (10_000 * math.log(10_000))
    print(f"ratio t(100k)/t(10k): {ratio:.1f}  (n log n: {nlogn:.1f}, n²: 100)")


if __name__ == "__main__":
    main()
