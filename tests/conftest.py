"""Shared fixtures: fixture packages on disk and the pinned real-package venvs.

The pinned venvs (transformers 5.23.0 and 4.44.2, no torch) are built once and cached under the user
cache directory (``IMPORTGRAPH_TEST_CACHE`` overrides it); see ``tests/runtime/venvs.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "packages"


@pytest.fixture(autouse=True)
def _away_from_the_checkout(tmp_path_factory, monkeypatch):
    """Every test runs in an empty directory of its own, with a cache directory of its own: what the CLI
    writes by default (``importgraph-<package>.html`` in the current directory, facts and results in the
    user cache) lands there, never in the checkout or in the user's real cache. The runtime tests' venvs
    are cached apart (``IMPORTGRAPH_TEST_CACHE``) and still shared between runs."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    monkeypatch.setenv("IMPORTGRAPH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def fixture_package(name: str) -> Path:
    """The package directory of fixture ``name`` (its parent is the sys.path entry)."""
    return FIXTURES / name / name


@pytest.fixture(scope="session")
def transformers5():
    """(python, site-packages) of the cached transformers 5.23.0 venv."""
    from tests.runtime.venvs import TRANSFORMERS_5, ensure_venv, site_packages

    python = ensure_venv(*TRANSFORMERS_5)
    return python, site_packages(python)


@pytest.fixture(scope="session")
def transformers4():
    """(python, site-packages) of the cached transformers 4.44.2 venv."""
    from tests.runtime.venvs import TRANSFORMERS_4, ensure_venv, site_packages

    python = ensure_venv(*TRANSFORMERS_4)
    return python, site_packages(python)
