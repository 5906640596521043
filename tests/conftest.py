"""Shared fixtures: the bundled posts and an index built from them once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search import Engine

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
#: The shared corpora beside the repository (a worktree keeps them two
#: levels up); tests that need them skip when they are absent.
CORPORA = next(
    (p / "shared/corpora" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared/corpora").is_dir()),
    ROOT.parent / "shared/corpora",
)


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Path:
    """An index of ``data/`` built once per test session (read-only use)."""
    index = tmp_path_factory.mktemp("index")
    with Engine(index_dir=index, data_dir=DATA) as engine:
        engine.update()
    return index


@pytest.fixture()
def engine(built_index) -> Engine:
    with Engine(index_dir=built_index, data_dir=DATA) as e:
        yield e


@pytest.fixture()
def data_copy(tmp_path) -> Path:
    """A private copy of the posts that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target
