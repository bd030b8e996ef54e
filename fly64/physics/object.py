"""The built-in test objects: deterministic, weak, mostly phase.

``probe_scale`` (default)
    Discs, bars and fine texture sized from a few pixels up to about twice the probe
    footprint D, high-passed so that most of the phase variance lies at periods below 2·D;
    the amplitude is drawn independently of the phase (the same kind of features from
    another random stream), so a method cannot score on phase by copying amplitude. No
    region is many footprints wide with one flat level inside (a single pattern cannot see
    a flat level; only overlap can).
``coarse``
    1/f noise plus discs and bars up to a tenth of the object wide, with an amplitude that
    follows the phase (Pearson ≈ 0.8): the seed study's object, the hard low-frequency
    case, kept to be studied on purpose.

Both have amplitude ``amplitude_mean·(1 + amplitude_contrast·field)`` (field of unit std)
and phase of standard deviation ``phase_std`` radians about zero.
"""

import numpy as np
from scipy import ndimage

#: seed of the built-in objects; part of the package, so every install sees the same object
BUILTIN_OBJECT_SEED = 64
OBJECTS = ("probe_scale", "coarse")


def _normalised(field: np.ndarray) -> np.ndarray:
    return (field - field.mean()) / (field.std() + 1e-12)


def _pink_field(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-variance noise whose power falls as 1/f (all frequencies present)."""
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.fftfreq(shape[1])[None, :]
    f = np.hypot(fy, fx)
    f[0, 0] = 1.0
    spectrum = np.fft.fft2(rng.standard_normal(shape)) / f**0.5
    spectrum[0, 0] = 0.0
    return _normalised(np.fft.ifft2(spectrum).real)


def _paint_shapes(
    shape: tuple[int, int], rng: np.random.Generator, n_shapes: int, max_size: float
) -> np.ndarray:
    """Sharp-edged discs (60 %) and bars of random levels in [-1, 1], painted in turn.

    A disc has radius ``size`` and a bar is 5·size long and 2/3·size wide, with ``size``
    uniform in [3, max_size] pixels. Each shape is drawn in its own bounding box.
    """
    h, w = shape
    field = np.zeros(shape)
    for _ in range(n_shapes):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        level = rng.uniform(-1, 1)
        size = rng.uniform(3, max(4.0, max_size))
        disc = rng.random() < 0.6
        angle = None if disc else rng.uniform(0, np.pi)
        reach = size if disc else 2.53 * size  # a bar's half-diagonal
        y0, y1 = max(int(cy - reach), 0), min(int(cy + reach) + 2, h)
        x0, x1 = max(int(cx - reach), 0), min(int(cx + reach) + 2, w)
        if y0 >= y1 or x0 >= x1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1]
        if disc:
            inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= size**2
        else:
            along = (yy - cy) * np.cos(angle) + (xx - cx) * np.sin(angle)
            across = -(yy - cy) * np.sin(angle) + (xx - cx) * np.cos(angle)
            inside = (np.abs(along) <= 2.5 * size) & (np.abs(across) <= size / 3)
        field[y0:y1, x0:x1][inside] = level
    return field


def _probe_scale_field(
    shape: tuple[int, int], rng: np.random.Generator, scale: float
) -> np.ndarray:
    """Features from 3 px to ≈ 2·scale wide plus fine texture, high-passed at period ≈ 2·scale."""
    h, w = shape
    shapes = _paint_shapes(shape, rng, max(8, int(1.5 * h * w / scale**2)), scale / 2.5)
    texture = _pink_field(shape, rng)
    field = _normalised(shapes) + 0.4 * texture
    return _normalised(field - ndimage.gaussian_filter(field, scale / 2, mode="wrap"))


def make_test_object(
    shape: tuple[int, int] = (256, 256),
    kind: str = "probe_scale",
    *,
    scale: float = 22.0,
    seed: int = BUILTIN_OBJECT_SEED,
    amplitude_mean: float = 0.6,
    amplitude_contrast: float = 0.1,
    phase_std: float = 0.3,
) -> np.ndarray:
    """A weak, mostly-phase complex test object (see the module docstring for the kinds).

    Parameters
    ----------
    shape : (H, W) pixels.
    kind : ``"probe_scale"`` or ``"coarse"``.
    scale : the probe footprint D in pixels that ``probe_scale`` features are sized by
        (ignored by ``coarse``).
    seed : seed of the object's random streams.
    amplitude_mean, amplitude_contrast : mean amplitude and its relative std.
    phase_std : phase standard deviation, radians.

    Returns
    -------
    object : complex64 (H, W).
    """
    h, w = shape
    if h < 8 or w < 8:
        raise ValueError(f"object shape must be at least 8×8 pixels, got {shape}")
    if kind not in OBJECTS:
        raise ValueError(f"object: unknown object {kind!r}; choose from {list(OBJECTS)}")
    if not scale >= 2:
        raise ValueError(f"object feature scale must be at least 2 pixels, got {scale!r}")
    rng = np.random.default_rng(seed)
    if kind == "probe_scale":
        phase_field = _probe_scale_field(shape, rng, scale)
        amp_field = _probe_scale_field(shape, rng, scale)
    else:
        n_shapes = max(8, h * w // 1500)
        phase_field = 0.5 * _pink_field(shape, rng) + _normalised(
            _paint_shapes(shape, rng, n_shapes, min(h, w) / 10)
        )
        amp_field = 0.5 * _pink_field(shape, rng) + ndimage.gaussian_filter(phase_field, 1.0)
    phase = phase_std * phase_field / phase_field.std()
    amplitude = amplitude_mean * (1 + amplitude_contrast * amp_field / amp_field.std())
    amplitude = np.clip(amplitude, 0.05, None)
    return (amplitude * np.exp(1j * phase)).astype(np.complex64)


def _phase_power(obj: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|FFT(phase − mean)|² of an object (H, W) and each bin's spatial frequency, cycles/pixel."""
    phase = np.angle(obj).astype(np.float64)
    power = np.abs(np.fft.fft2(phase - phase.mean())) ** 2
    f = np.hypot(np.fft.fftfreq(phase.shape[0])[:, None], np.fft.fftfreq(phase.shape[1])[None, :])
    return power, f


def phase_power_spectrum(obj: np.ndarray, bins: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged power spectrum of the object's phase (mean removed).

    Returns
    -------
    frequency : float64 (bins,), bin centres in cycles per pixel, up to 0.5 (Nyquist).
    power : float64 (bins,), mean |FFT(phase)|² in each annulus, normalised to sum 1.
    """
    power, f = _phase_power(obj)
    edges = np.linspace(0, 0.5, bins + 1)
    which = np.digitize(f.ravel(), edges) - 1
    keep = (which >= 0) & (which < bins)
    total = np.bincount(which[keep], power.ravel()[keep], minlength=bins)
    count = np.maximum(np.bincount(which[keep], minlength=bins), 1)
    radial = total / count
    return (edges[:-1] + edges[1:]) / 2, radial / radial.sum()


def object_statistics(obj: np.ndarray, footprint: float) -> dict[str, float]:
    """What makes an object easy or hard to retrieve, against a probe footprint D (pixels).

    Returns amplitude mean and relative contrast, phase std (radians), the Pearson
    correlation of amplitude and phase (near 0 for independent parts), and the fraction of
    the phase variance at periods below 2·D (what single patterns can see).
    """
    if not footprint > 0:
        raise ValueError(f"footprint must be a positive number of pixels, got {footprint!r}")
    amp, phase = np.abs(obj).astype(np.float64), np.angle(obj).astype(np.float64)
    power, f = _phase_power(obj)
    flat = amp.std() == 0 or phase.std() == 0
    return {
        "amplitude_mean": float(amp.mean()),
        "amplitude_contrast": float(amp.std() / amp.mean()),
        "phase_std_rad": float(phase.std()),
        "amplitude_phase_correlation": 0.0
        if flat
        else float(np.corrcoef(amp.ravel(), phase.ravel())[0, 1]),
        "phase_power_below_2D": float(power[f > 1 / (2 * footprint)].sum() / power.sum()),
    }
