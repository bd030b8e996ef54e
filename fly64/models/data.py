"""Training and inference data: groups of patterns read lazily from a dose dataset.

Network inputs are diffraction amplitudes normalised by one dataset-wide scale,
``√counts / √(dose / N²)`` (see :func:`amplitude_scale`): the mean of the squared input
over a pattern is then about 1 at every dose, while the targets stay in photons.
"""

from dataclasses import dataclass

import numpy as np
import torch
import xarray as xr

from fly64.overlap.grouping import group_offsets

#: patterns a reader keeps in memory at most (bytes of int32 counts); beyond it every
#: batch reads its own patterns from the store
DEFAULT_CACHE_BYTES = 1 << 30


def amplitude_scale(dose: float, size: int) -> float:
    """√(mean counts per detector pixel) = √(dose / N²): inputs are √counts divided by it."""
    if not dose > 0:
        raise ValueError(f"dose must be a positive number of photons per pattern, got {dose}")
    return float(np.sqrt(dose / size**2))


class PatternReader:
    """Counts of a fixed set of patterns of a dose dataset, read from the store by index.

    Counts live in zarr chunks along the pattern axis; reading a sorted set of indices
    decodes only the chunks holding them. If the reader's patterns fit in ``cache_bytes``
    they are read once (each touched chunk decoded once) and kept; otherwise each
    :meth:`read` fetches its own patterns from the store, so a dataset larger than memory
    still trains.

    Parameters
    ----------
    counts : (pattern, ky, kx) int32 DataArray, lazily loaded (``ds["counts"]``).
    indices : int pattern indices the reader will be asked for (any shape, repeats allowed).
    cache_bytes : memory allowed for keeping the patterns.
    """

    def __init__(
        self, counts: xr.DataArray, indices: np.ndarray, cache_bytes: int = DEFAULT_CACHE_BYTES
    ):
        self.counts = counts
        self.indices = np.unique(np.asarray(indices, np.int64))
        size = counts.shape[-1]
        needed = self.indices.size * size * size * counts.dtype.itemsize
        self.cache = self._fetch(self.indices) if needed <= cache_bytes else None

    def _fetch(self, sorted_unique: np.ndarray) -> np.ndarray:
        return np.asarray(self.counts.isel(pattern=sorted_unique).values)

    def read(self, indices: np.ndarray) -> np.ndarray:
        """Counts int32 (*indices.shape, N, N) of the given pattern indices."""
        indices = np.asarray(indices, np.int64)
        flat = indices.ravel()
        rows = np.searchsorted(self.indices, flat)
        unknown = (rows >= len(self.indices)) | (
            self.indices[np.minimum(rows, len(self.indices) - 1)] != flat
        )
        if unknown.any():
            raise KeyError(f"patterns {flat[unknown][:5].tolist()} were not given to this reader")
        if self.cache is not None:
            out = self.cache[rows]
        else:
            unique, inverse = np.unique(flat, return_inverse=True)
            out = self._fetch(unique)[inverse]
        return out.reshape(*indices.shape, *out.shape[-2:])


@dataclass
class Batch:
    """One batch on a device: inputs, targets and member offsets, all (B, C, …)."""

    amplitudes: torch.Tensor  # float32 (B, C, N, N), √counts / scale
    counts: torch.Tensor  # float32 (B, C, N, N), photons
    offsets: torch.Tensor  # int64 (B, C, 2), (y, x) member centre − anchor centre, pixels


@dataclass
class GroupSet:
    """Groups of patterns and what a batch of them needs.

    groups : int64 (n, C), pattern indices into the dose dataset, column 0 the anchor.
    offsets : int64 (n, C, 2), members' (y, x) window centres minus the anchor's, pixels.
    reader : where the counts come from.
    scale : the input normalisation, :func:`amplitude_scale`.
    """

    groups: np.ndarray
    offsets: np.ndarray
    reader: PatternReader
    scale: float

    @classmethod
    def from_groups(
        cls, groups: np.ndarray, positions: np.ndarray, reader: PatternReader, scale: float
    ):
        """From (n, C) pattern indices and all (y, x) window centres of the dose dataset."""
        groups = np.asarray(groups, np.int64)
        if groups.ndim != 2 or len(groups) == 0:
            raise ValueError(
                f"groups must be a non-empty (n_groups, C) array, got shape {groups.shape}"
            )
        return cls(groups, group_offsets(np.asarray(positions, np.int64), groups), reader, scale)

    def __len__(self) -> int:
        return len(self.groups)

    def subset(self, rows: np.ndarray) -> "GroupSet":
        return GroupSet(self.groups[rows], self.offsets[rows], self.reader, self.scale)

    def batches(self, batch_size: int, device: torch.device):
        """Every group once, in order,
        as consecutive :class:`Batch` es of at most ``batch_size``.
        """
        for start in range(0, len(self), batch_size):
            yield self.batch(np.arange(start, min(start + batch_size, len(self))), device)

    def batch(self, rows: np.ndarray, device: torch.device) -> Batch:
        """The groups at ``rows`` (positions in this set), read and moved to ``device``."""
        counts = torch.from_numpy(self.reader.read(self.groups[rows])).to(device, torch.float32)
        return Batch(
            amplitudes=counts.sqrt() / self.scale,
            counts=counts,
            offsets=torch.from_numpy(self.offsets[rows]).to(device),
        )


def flat_field(groups: GroupSet, batch_size: int = 256) -> tuple[np.ndarray, float]:
    """The network's flat field from a set of (training) groups: data only, no ground truth.

    Returns
    -------
    reference : float32 (N, N), the mean normalised amplitude over every member pattern
        (what a featureless object gives, up to noise).
    gain : 1 / the standard deviation of (amplitude − reference) over the same patterns, so
        the network's contrast input has unit scale.
    """
    total, total_sq, n = 0.0, 0.0, 0
    for batch in groups.batches(batch_size, torch.device("cpu")):
        amplitudes = batch.amplitudes
        total = total + amplitudes.double().sum(dim=(0, 1))
        total_sq = total_sq + amplitudes.double().square().sum(dim=(0, 1))
        n += amplitudes.shape[0] * amplitudes.shape[1]
    reference = total / n
    variance = float((total_sq / n - reference.square()).mean())
    return reference.float().numpy(), 1.0 / max(variance, 1e-12) ** 0.5


def anchored_groups(indices: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """One group per position: for each pattern index, the first group anchored at it.

    Parameters
    ----------
    indices : int (n,) pattern indices (e.g. a view's test positions).
    groups : int (m, C) groups of the same split, column 0 the anchor; ``None`` (or C = 1)
        means single patterns.

    Returns
    -------
    int64 (n, C) groups, row i anchored at ``indices[i]``.
    """
    indices = np.asarray(indices, np.int64)
    if groups is None or groups.shape[1] == 1:
        return indices[:, None]
    anchors = groups[:, 0]
    order = np.argsort(anchors, kind="stable")
    first = np.searchsorted(anchors[order], indices)
    found = (first < len(anchors)) & (
        anchors[order][np.minimum(first, len(anchors) - 1)] == indices
    )
    if not found.all():
        raise ValueError(
            f"{int((~found).sum())} of {len(indices)} positions anchor no group "
            f"(e.g. pattern {int(indices[~found][0])}); "
            "re-cut the view so every position has a group"
        )
    return np.asarray(groups[order[first]], np.int64)
