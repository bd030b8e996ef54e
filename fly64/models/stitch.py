"""Inference and stitching: one object patch per position, placed on the ground-truth canvas."""

import numpy as np
import torch

from fly64.models.data import GroupSet
from fly64.models.pinn import PINN


@torch.inference_mode()
def predict_windows(model: PINN, groups: GroupSet, device: torch.device, batch_size: int = 64) -> np.ndarray:
    """The anchor's object window of every group (after in-group averaging for C > 1).

    Returns
    -------
    complex64 (n_groups, N, N), window i centred at the anchor of ``groups.groups[i]``.
    """
    model.eval()
    out = []
    for start in range(0, len(groups), batch_size):
        batch = groups.batch(np.arange(start, min(start + batch_size, len(groups))), device)
        _, windows = model(batch.amplitudes, batch.offsets)
        out.append(windows[:, 0].cpu().numpy())
    return np.concatenate(out).astype(np.complex64)


def stitch(
    patches: np.ndarray, positions: np.ndarray, probe: np.ndarray, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Probe-intensity-weighted average of patches at absolute positions.

    Parameters
    ----------
    patches : complex (n, N, N) object windows.
    positions : int (n, 2) (y, x) window centres in object pixels, one per patch.
    probe : complex (N, N); each patch pixel is weighted by |P|² there.
    shape : (H, W) of the canvas (the ground-truth object).

    Returns
    -------
    object : complex64 (H, W), Σ w·patch / Σ w, zero where Σ w = 0.
    weights : float32 (H, W), Σ w (the illumination map evaluation masks with).
    """
    patches = np.asarray(patches)
    positions = np.asarray(positions, np.int64)
    if len(patches) != len(positions):
        raise ValueError(
            f"stitching needs exactly one patch per position: got {len(patches)} patches "
            f"for {len(positions)} positions"
        )
    size = patches.shape[-1]
    if probe.shape != (size, size):
        raise ValueError(f"probe shape {probe.shape} does not match the patches' {size}×{size} windows")
    height, width = shape
    top_left = positions - size // 2
    if len(positions) and (top_left.min() < 0 or (top_left + size > np.array([height, width])).any()):
        raise ValueError(f"positions put windows outside the {height}×{width} canvas")
    weight = np.abs(probe).astype(np.float64) ** 2
    pixels = np.arange(size)
    rows = top_left[:, 0, None, None] + pixels[:, None]
    cols = top_left[:, 1, None, None] + pixels[None, :]
    flat = np.broadcast_to(rows * width + cols, patches.shape).ravel()
    total = np.bincount(flat, np.broadcast_to(weight, patches.shape).ravel(), height * width)
    real = np.bincount(flat, (weight * patches.real).ravel(), height * width)
    imag = np.bincount(flat, (weight * patches.imag).ravel(), height * width)
    covered = total > 0
    obj = np.zeros(height * width, np.complex128)
    obj[covered] = (real[covered] + 1j * imag[covered]) / total[covered]
    return obj.reshape(shape).astype(np.complex64), total.reshape(shape).astype(np.float32)
