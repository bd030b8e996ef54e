"""Simulation throughput against a bare batched FFT of the same shape, measured in one run.

Target: the whole simulation (window extraction, multiply, FFT, |·|², Poisson) within 3× the
bare ``torch.fft.fft2`` of the same (n, N, N) complex64 batch.
"""

import numpy as np
import torch

from benchmarks.timing import best_of
from fly64.physics import make_probe, make_test_object, raster_scan, simulate_counts

N_PATTERNS, N = 4096, 64


def main() -> None:
    obj = make_test_object((576, 576))
    probe = make_probe(N)
    positions = raster_scan(obj.shape, N, 8.0)[:N_PATTERNS]
    n = len(positions)
    waves = torch.randn(n, N, N, dtype=torch.complex64)
    t_fft = best_of(lambda: torch.fft.fft2(waves, norm="ortho"), 5, warmup=True)
    t_sim = best_of(
        lambda: simulate_counts(obj, probe, positions, 1e4, seed=0, batch=n), 5, warmup=True
    )
    rates = torch.rand(n, N, N) * 2.0
    gen = torch.Generator().manual_seed(0)
    t_poisson = best_of(lambda: torch.poisson(rates, generator=gen), 5, warmup=True)
    print(f"patterns: {n} × {N}×{N}, torch threads: {torch.get_num_threads()}")
    print(f"bare fft2:        {t_fft * 1e3:8.1f} ms  {n / t_fft:10.0f} patterns/s")
    print(f"full simulation:  {t_sim * 1e3:8.1f} ms  {n / t_sim:10.0f} patterns/s")
    print(f"  of which Poisson draws alone: {t_poisson * 1e3:.1f} ms")
    ratio = t_sim / t_fft
    print(
        f"ratio simulation / bare FFT: {ratio:.2f} (target ≤ 3) -> "
        f"{'OK' if ratio <= 3 else 'ABOVE TARGET'}"
    )
    print(f"ratio without Poisson: {(t_sim - t_poisson) / t_fft:.2f}")
    np.testing.assert_equal(n, N_PATTERNS)


if __name__ == "__main__":
    main()
