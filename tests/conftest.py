"""Shared fixtures: the bundled posts and an index built from them once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
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
#: Slices of the LibreOffice help and the Debian Reference kept in the
#: repository (the posts their query sets judge relevant; tests/corpora/README.md).
SLICES = ROOT / "tests/corpora"


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


def console_script(python: str | Path) -> Path:
    """The ``jsearch`` script installed beside the interpreter ``python``.
    The command line is part of the product: when the script is missing,
    the tests that need it fail rather than skip."""
    script = Path(python).with_name("jsearch")
    if not script.is_file():
        pytest.fail(f"no jsearch console script at {script}; install the package (pip install -e .)")
    return script


@pytest.fixture(scope="session")
def jsearch_script() -> Path:
    """The console script of the running interpreter's environment."""
    return console_script(sys.executable)


@pytest.fixture(scope="session")
def jsearch(jsearch_script) -> Callable[..., subprocess.CompletedProcess]:
    """Run ``jsearch ARGS…`` to completion: ``jsearch("query", "x", env={…})``."""

    def run(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 120):
        return subprocess.run(
            [str(jsearch_script), *args],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            timeout=timeout,
        )

    return run
