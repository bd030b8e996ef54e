"""Inference and stitching: one object patch per position, placed on the ground-truth canvas.

Two ways to stitch (:data:`STITCHING`): ``weighted`` averages the patches with |P|² weights
as they come; ``synchronised`` first removes from each patch the phase level that makes it
agree best with its overlapping neighbours (a single pattern cannot fix its patch's level,
|F(P·O·e^{iθ})| = |F(P·O)|; overlap can). Neither uses the ground truth.
"""

import numpy as np
import torch
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import eigsh
from scipy.spatial import KDTree

from fly64.models.data import GroupSet
from fly64.models.pinn import PINN


@torch.inference_mode()
def predict_windows(
    model: PINN, groups: GroupSet, device: torch.device, batch_size: int = 64
) -> np.ndarray:
    """The anchor's object window of every group (after in-group averaging for C > 1).

    Returns
    -------
    complex64 (n_groups, N, N), window i centred at the anchor of ``groups.groups[i]``.
    """
    model.eval()
    out = []
    for batch in groups.batches(batch_size, device):
        _, windows = model(batch.amplitudes, batch.offsets)
        out.append(windows[:, 0].cpu().numpy())
    return np.concatenate(out).astype(np.complex64)


STITCHING = ("weighted", "synchronised")


def synchronise_levels(
    patches: np.ndarray, positions: np.ndarray, probe: np.ndarray, support: np.ndarray | None = None
) -> np.ndarray:
    """Phase levels θ (n,) that make overlapping patches agree: patches·e^{−iθ} are consistent.

    For every pair of patches whose weighted footprints (|P|² × support) overlap, the
    weighted inner product over the shared object pixels gives their relative phase; the
    leading eigenvector of the Hermitian matrix of these products (one connected set of
    overlapping patches at a time) gives one phase per patch, up to a common constant
    (fixed so that the mean of the e^{iθ} of each connected set is real and positive). An
    isolated patch gets θ = 0.

    Parameters
    ----------
    patches : complex (n, N, N) object windows; positions : int (n, 2) (y, x) window centres.
    probe : complex (N, N); support : float (N, N) or None (the whole window).
    """
    patches = np.asarray(patches)
    positions = np.asarray(positions, np.int64)
    n, size = len(patches), patches.shape[-1]
    weight = np.abs(probe) ** 2 * (1 if support is None else support)
    lit = np.flatnonzero(weight.max(axis=1) > 0)
    reach = int(
        lit.max() - lit.min()
    )  # farthest apart two windows can be and still share a lit pixel
    weighted = weight * patches
    pairs = KDTree(positions).query_pairs(reach, p=np.inf, output_type="ndarray")
    products = np.empty(len(pairs), complex)
    for k, (i, j) in enumerate(pairs):
        dy, dx = positions[j] - positions[i]
        in_i = (slice(max(dy, 0), size + min(dy, 0)), slice(max(dx, 0), size + min(dx, 0)))
        in_j = (slice(max(-dy, 0), size + min(-dy, 0)), slice(max(-dx, 0), size + min(-dx, 0)))
        products[k] = np.vdot(weighted[j][in_j], weighted[i][in_i])
    rows, cols = np.r_[pairs[:, 0], pairs[:, 1]], np.r_[pairs[:, 1], pairs[:, 0]]
    matrix = coo_array((np.r_[products, products.conj()], (rows, cols)), shape=(n, n)).tocsr()
    _, labels = connected_components(abs(matrix), directed=False)
    levels = np.zeros(n)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) < 2:
            continue
        block = matrix[members][:, members]
        vector = (
            np.linalg.eigh(block.toarray())[1][:, -1]
            if len(members) <= 64
            else eigsh(block, k=1, which="LA")[1][:, 0]
        )
        levels[members] = np.angle(vector * np.conj(vector.sum()))
    return levels


def stitch(
    patches: np.ndarray,
    positions: np.ndarray,
    probe: np.ndarray,
    shape: tuple[int, int],
    support: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Probe-intensity-weighted average of patches at absolute positions.

    Parameters
    ----------
    patches : complex (n, N, N) object windows.
    positions : int (n, 2) (y, x) window centres in object pixels, one per patch.
    probe : complex (N, N); each patch pixel is weighted by |P|² there.
    shape : (H, W) of the canvas (the ground-truth object).
    support : float (N, N), where the patches hold object values (weights × support;
        default the whole window).

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
        raise ValueError(
            f"probe shape {probe.shape} does not match the patches' {size}×{size} windows"
        )
    height, width = shape
    top_left = positions - size // 2
    if len(positions) and (
        top_left.min() < 0 or (top_left + size > np.array([height, width])).any()
    ):
        raise ValueError(f"positions put windows outside the {height}×{width} canvas")
    weight = np.abs(probe).astype(np.float64) ** 2
    if support is not None:
        weight = weight * support
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
