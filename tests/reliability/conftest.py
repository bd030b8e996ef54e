"""Fixtures: a finished tiny store (see ``tinystore.py``) and a private copy of it per test."""

import shutil

import pytest

from tests.reliability.tinystore import run_grid


@pytest.fixture(scope="session")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("finished") / "store"
    statuses = run_grid(root)
    assert {s.state for s in statuses.values()} == {"done"}
    return root


@pytest.fixture
def store(finished, tmp_path):
    """A private copy of the finished store."""
    return shutil.copytree(finished, tmp_path / "store")
