"""Timing helper shared by the benchmarks."""

import time


def best_of(fn, repeats: int = 3, *, warmup: bool = False) -> float:
    """Fastest of ``repeats`` calls of ``fn()`` in seconds
    (after one untimed call if ``warmup``).
    """
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)
