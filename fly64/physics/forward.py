"""The forward model: windows → exit waves → far-field intensity → Poisson counts (torch).

Positions are ``(y, x)`` integer object pixels marking the window **centre**; the far
field is ``fftshift(fft2(P·O[window], norm="ortho"))``, so Σ|F|² = Σ|ψ|² (Parseval) and
DC sits at pixel (N//2, N//2).
"""

import numpy as np
import torch


def extract_windows(obj: torch.Tensor, positions: torch.Tensor, size: int) -> torch.Tensor:
    """Object windows of side N centred at integer ``positions``.

    Parameters
    ----------
    obj : (H, W) tensor (complex or real).
    positions : int64 (n, 2) tensor of (y, x) centres; every window must lie inside.
    size : N.

    Returns
    -------
    windows : (n, N, N), a copy.
    """
    corners = positions - size // 2
    return obj.unfold(0, size, 1).unfold(1, size, 1)[corners[:, 0], corners[:, 1]]


def far_field(exit_waves: torch.Tensor) -> torch.Tensor:
    """Orthonormal 2-D FFT of the last two axes, fftshift-ed (DC at the centre)."""
    return torch.fft.fftshift(torch.fft.fft2(exit_waves, norm="ortho"), dim=(-2, -1))


def _centring_probe(probe: torch.Tensor) -> torch.Tensor:
    """P·(−1)^(y+x): for even N its plain FFT equals the fftshift-ed FFT of P, so no shift copy."""
    size = probe.shape[-1]
    if size % 2:
        return probe
    idx = torch.arange(size, device=probe.device)
    return probe * (1 - 2 * ((idx[:, None] + idx[None, :]) % 2)).to(probe.dtype)


def expected_intensity(
    obj: torch.Tensor, probe: torch.Tensor, positions: torch.Tensor
) -> torch.Tensor:
    """|F(P·O[window])|², float (n, N, N), in the probe's units (photons for a dose-scaled probe).

    Equal to ``far_field(probe * windows).abs()**2``, computed without the fftshift copy.
    """
    size = probe.shape[-1]
    waves = _centring_probe(probe) * extract_windows(obj, positions, size)
    spectrum = torch.fft.fft2(waves, norm="ortho")
    if size % 2:
        spectrum = torch.fft.fftshift(spectrum, dim=(-2, -1))
    return torch.view_as_real(spectrum).square().sum(-1)


def poisson_counts(rates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Poisson draws with the given expected values (float tensor) from a seeded generator."""
    return torch.poisson(rates, generator=generator)


def dose_scale(
    obj: torch.Tensor, probe: torch.Tensor, positions: torch.Tensor, dose: float
) -> float:
    """The factor s such that the probe s·P gives ``dose`` expected photons per pattern on average.

    By Parseval, Σ|F|² = Σ|P·O[window]|², so no FFT is needed.
    """
    if not dose > 0 or not np.isfinite(dose):
        raise ValueError(f"dose must be a positive number of photons per pattern, got {dose}")
    windows = extract_windows(obj.abs().square(), positions, probe.shape[-1])
    mean_power = (windows * probe.abs().square()).sum(dim=(-2, -1)).mean()
    return float(torch.sqrt(dose / mean_power))


def simulate_counts(
    obj: np.ndarray,
    probe: np.ndarray,
    positions: np.ndarray,
    dose: float,
    seed: int,
    *,
    batch: int = 1024,
    device: torch.device | str = "cpu",
    progress=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate measured diffraction counts at a dose.

    Parameters
    ----------
    obj : complex64 (H, W) object.
    probe : complex64 (N, N) probe (any normalisation).
    positions : int (n, 2) window centres (y, x).
    dose : expected photons per pattern, averaged over the scan (> 0).
    seed : seed of the Poisson generator (same seed → identical counts on one device).
    batch : patterns per FFT batch.
    progress : optional callable(n_done) called after each batch.

    Returns
    -------
    counts : int32 (n, N, N) photon counts, fftshift-ed.
    probe_photons : complex64 (N, N), the probe scaled so that the expected counts are
        exactly ``expected_intensity(obj, probe_photons, positions)``.
    """
    device = torch.device(device)
    o = torch.as_tensor(obj, dtype=torch.complex64, device=device)
    p = torch.as_tensor(probe, dtype=torch.complex64, device=device)
    pos = torch.as_tensor(positions, dtype=torch.int64, device=device)
    p = p * dose_scale(o, p, pos, dose)
    generator = torch.Generator(device=device).manual_seed(int(seed))
    counts = np.empty((len(pos), p.shape[-2], p.shape[-1]), dtype=np.int32)
    for start in range(0, len(pos), batch):
        rates = expected_intensity(o, p, pos[start : start + batch])
        counts[start : start + batch] = poisson_counts(rates, generator).cpu().numpy()
        if progress is not None:
            progress(min(start + batch, len(pos)))
    return counts, p.cpu().numpy()
