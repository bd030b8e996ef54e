"""Lazy reading of counts from the zarr store, batches, and one group per test position."""

import numpy as np
import pytest
import torch

from fly64.data import open_dose_dataset
from fly64.models import GroupSet, PatternReader, amplitude_scale, anchored_groups, flat_field


@pytest.fixture(scope="module")
def counts(tiny_store):
    return open_dose_dataset(tiny_store.dose_path(1e4))["counts"]


@pytest.mark.parametrize("cache_bytes", [0, 1 << 30])
def test_reader_returns_the_stored_patterns_cached_or_not(counts, cache_bytes):
    reader = PatternReader(counts, np.array([40, 3, 17, 3, 90]), cache_bytes=cache_bytes)
    assert (reader.cache is None) == (cache_bytes == 0)
    want = np.array([[17, 3], [90, 40], [3, 3]])
    np.testing.assert_array_equal(reader.read(want), counts.values[want])


def test_reader_refuses_patterns_it_was_not_given(counts):
    with pytest.raises(KeyError, match=r"\[5\]"):
        PatternReader(counts, np.array([1, 2])).read(np.array([1, 5]))


def test_batch_holds_normalised_amplitudes_counts_and_offsets(counts):
    positions = np.array([[10, 10], [10, 14], [30, 12]] + [[0, 0]] * (counts.shape[0] - 3))
    groups = GroupSet.from_groups(
        np.array([[0, 1, 2]]), positions, PatternReader(counts, [0, 1, 2]), 2.0
    )
    batch = groups.batch(np.array([0]), torch.device("cpu"))
    np.testing.assert_array_equal(batch.offsets[0].numpy(), [[0, 0], [0, 4], [20, 2]])
    torch.testing.assert_close(batch.amplitudes, batch.counts.sqrt() / 2.0)
    assert amplitude_scale(1e4, 16) == pytest.approx(np.sqrt(1e4 / 256))


def test_anchored_groups_give_one_group_per_position_in_order():
    groups = np.array([[5, 1, 2, 3], [7, 5, 2, 1], [5, 9, 9, 9]])
    np.testing.assert_array_equal(anchored_groups(np.array([7, 5]), groups), groups[[1, 0]])
    np.testing.assert_array_equal(anchored_groups(np.array([7, 5]), groups[:, :1]), [[7], [5]])
    with pytest.raises(ValueError, match="1 of 2 positions anchor no group .*pattern 4"):
        anchored_groups(np.array([5, 4]), groups)


def test_flat_field_is_the_mean_amplitude_with_a_unit_contrast_gain(counts):
    indices = np.arange(40).reshape(20, 2)
    groups = GroupSet.from_groups(
        indices, np.zeros((counts.shape[0], 2), int), PatternReader(counts, indices), 3.0
    )
    reference, gain = flat_field(groups, batch_size=7)  # batches that do not divide the set
    amplitudes = np.sqrt(counts.values[:40].astype(np.float64)) / 3.0
    np.testing.assert_allclose(reference, amplitudes.mean(axis=0), rtol=1e-5)
    assert gain == pytest.approx(1 / (amplitudes - amplitudes.mean(axis=0)).std(), rel=1e-4)
