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


_VENV_FIXTURES = {"transformers4", "transformers5"}


def pytest_collection_modifyitems(items):
    """A test that needs a pinned venv, directly or through another fixture, is a runtime test: ``pytest -m "not
    runtime"`` runs the others without building any (on a Python the pinned releases have no wheels for, say)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})  # ``request.getfixturevalue(release)``
        wanted = set(getattr(item, "fixturenames", ())) | {v for v in params.values() if isinstance(v, str)}
        if _VENV_FIXTURES & wanted:
            item.add_marker(pytest.mark.runtime)


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
