"""The built-in test object: deterministic, weak, mostly-phase, structured at every scale."""

import numpy as np
from scipy import ndimage

#: seed of the built-in object; part of the package, so every install sees the same object
BUILTIN_OBJECT_SEED = 64


def _pink_field(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Zero-mean, unit-variance noise whose power falls as 1/f (all frequencies present)."""
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.fftfreq(shape[1])[None, :]
    f = np.hypot(fy, fx)
    f[0, 0] = 1.0
    spectrum = np.fft.fft2(rng.standard_normal(shape)) / f**0.5
    spectrum[0, 0] = 0.0
    field = np.fft.ifft2(spectrum).real
    return (field - field.mean()) / field.std()


def _shapes_field(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Sharp-edged discs and bars of random levels (features a scientist can recognise)."""
    h, w = shape
    field = np.zeros(shape)
    yy, xx = np.indices(shape)
    n_shapes = max(8, h * w // 1500)
    for _ in range(n_shapes):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        level = rng.uniform(-1, 1)
        size = rng.uniform(3, max(4.0, min(h, w) / 10))
        if rng.random() < 0.6:
            inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= size**2
        else:
            angle = rng.uniform(0, np.pi)
            along = (yy - cy) * np.cos(angle) + (xx - cx) * np.sin(angle)
            across = -(yy - cy) * np.sin(angle) + (xx - cx) * np.cos(angle)
            inside = (np.abs(along) <= 2.5 * size) & (np.abs(across) <= size / 3)
        field[inside] = level
    return (field - field.mean()) / (field.std() + 1e-12)


def make_test_object(
    shape: tuple[int, int] = (256, 256),
    *,
    seed: int = BUILTIN_OBJECT_SEED,
    amplitude_mean: float = 0.6,
    amplitude_contrast: float = 0.1,
    phase_std: float = 0.3,
) -> np.ndarray:
    """A weak, mostly-phase complex object resembling the study's test object.

    Phase and amplitude are each a mix of 1/f noise (structure up to Nyquist) and
    sharp-edged discs and bars; the amplitude is ``amplitude_mean·(1 + contrast·field)``
    (contrast as a fraction of the mean, std of the field about 1) and the phase has
    standard deviation ``phase_std`` radians about zero.

    Returns
    -------
    object : complex64 (H, W).
    """
    h, w = shape
    if h < 8 or w < 8:
        raise ValueError(f"object shape must be at least 8×8 pixels, got {shape}")
    rng = np.random.default_rng(seed)
    phase_field = 0.5 * _pink_field(shape, rng) + _shapes_field(shape, rng)
    amp_field = 0.5 * _pink_field(shape, rng) + ndimage.gaussian_filter(phase_field, 1.0)
    phase = phase_std * phase_field / phase_field.std()
    amplitude = amplitude_mean * (1 + amplitude_contrast * amp_field / amp_field.std())
    amplitude = np.clip(amplitude, 0.05, None)
    return (amplitude * np.exp(1j * phase)).astype(np.complex64)
