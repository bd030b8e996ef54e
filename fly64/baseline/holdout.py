"""The iterative solvers' truth-free stopping rule: detector pixels held out of the fit.

At low counts an iterative solver fits the shot noise after a few epochs and its image
degrades while its data misfit keeps falling. A random set of detector pixels, the same in
every pattern, is left out of the fit (pty-chi's ``valid_pixel_mask``); the Poisson NLL of
the counts at those pixels, predicted from the current object, falls while the object
learns what the data share and rises once it fits noise the held-out pixels do not see.

Two details make it track the image rather than the solver's bookkeeping:

* the NLL is taken at the best global intensity scale (the Poisson estimate Σk / Σλ):
  the evaluation removes the object's amplitude scale, so the rule must not punish it
  (ePIE's amplitude projection drifts in scale at low counts while its phase improves);
* the epoch kept is the **latest** whose held-out NLL lies within one standard error of
  the lowest (the one-standard-error rule of cross-validation): the NLL barely sees
  the low spatial frequencies, which keep converging while it is flat.

The held-out NLL at the kept epoch (lower is better) also ranks solvers on one cell: same
patterns, same held-out pixels. No ground truth is read.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from fly64.physics.forward import expected_intensity
from fly64.physics.poisson import poisson_floor, poisson_nll_map


@dataclass(frozen=True)
class HeldOutScore:
    """The held-out pixels' fit at one epoch.

    nll : mean shifted Poisson NLL per held-out pixel at the best global scale
        (:func:`fly64.physics.poisson.poisson_nll_map`).
    se : its standard error (std of the per-pixel values ÷ √pixels).
    scale : the global intensity scale Σcounts / Σrates the NLL was taken at.
    """

    nll: float
    se: float
    scale: float


class HeldOutPixels:
    """A seeded random detector mask and the held-out counts of one cell's patterns.

    Parameters
    ----------
    counts : (n, N, N) photons, DC at (N//2, N//2).
    positions : int (n, 2) (y, x) window centres in the object pixels of the images scored.
    probe : complex (N, N) scaled to photons (expected counts =
        |fftshift(fft2(P·O[window], ortho))|²).
    fraction : share of the N² detector pixels held out, in (0, 0.5].
    seed : seeds the mask (a cell's solvers share it, so their scores compare).
    """

    def __init__(self, counts, positions, probe, fraction: float, seed: int):
        if not 0 < fraction <= 0.5:
            raise ValueError(f"holdout_fraction must lie in (0, 0.5], got {fraction}")
        size = probe.shape[-1]
        self.mask = np.random.default_rng(seed).random((size, size)) < fraction
        if not self.mask.any():
            self.mask[size // 2, 0] = True  # a tiny N still holds one pixel out
        self._held = torch.from_numpy(self.mask)
        # float64: at high counts the shifted NLL is a small difference of large terms
        self._counts = torch.as_tensor(np.asarray(counts)[:, self.mask], dtype=torch.float64)
        self._positions = torch.as_tensor(np.asarray(positions), dtype=torch.int64)
        self._probe = torch.as_tensor(np.asarray(probe), dtype=torch.complex64)

    @property
    def fit_mask(self) -> np.ndarray:
        """bool (N, N), True where the solver fits the data (DC at (N//2, N//2))."""
        return ~self.mask

    @torch.no_grad()
    def _rates(self, obj: np.ndarray) -> tuple[torch.Tensor, float]:
        """Predicted counts at the held-out pixels, (n, held), at the best global scale, and
        that scale."""
        rates = expected_intensity(torch.as_tensor(obj), self._probe, self._positions)
        rates = rates[:, self._held].double()
        scale = float(self._counts.sum() / rates.sum().clamp(min=1e-12))
        return scale * rates, scale

    def score(self, obj: np.ndarray) -> HeldOutScore:
        """The held-out fit of ``obj`` (complex (H, W), the positions' object pixels)."""
        rates, scale = self._rates(obj)
        per_pixel = poisson_nll_map(rates, self._counts)
        se = float(per_pixel.std()) / math.sqrt(per_pixel.numel())
        return HeldOutScore(float(per_pixel.mean()), se, scale)

    def noise_ratio(self, obj: np.ndarray) -> float:
        """The held-out NLL of ``obj`` ÷ the noise floor of its rates (≈ 1: the object explains
        the held-out counts down to their shot noise; costs seconds, unlike :meth:`score`)."""
        rates, _ = self._rates(obj)
        floor = float(poisson_floor(rates))
        return float(poisson_nll_map(rates, self._counts).mean()) / max(floor, 1e-12)


class OneStandardErrorRule:
    """Streams held-out scores; keeps the latest epoch within one standard error of the lowest.

    ``update`` returns True when the epoch just scored becomes the kept one; ``stale`` counts
    the epochs since then (the solver stops when it reaches its patience).
    """

    def __init__(self):
        self.best: HeldOutScore | None = None  # lowest NLL so far
        self.kept_epoch, self.kept_nll, self.stale = 0, math.inf, 0

    def update(self, epoch: int, score: HeldOutScore) -> bool:
        if self.best is None or score.nll < self.best.nll:
            self.best = score
        if score.nll <= self.best.nll + self.best.se:
            self.kept_epoch, self.kept_nll, self.stale = epoch, score.nll, 0
            return True
        self.stale += 1
        return False
