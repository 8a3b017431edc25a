"""Shared fixtures: fixture packages on disk and the pinned real-package venvs.

The pinned venvs (transformers 5.23.0 and 4.44.2, no torch) are built once and cached under the user
cache directory (``IMPORTGRAPH_TEST_CACHE`` overrides it); see ``tests/runtime/venvs.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "packages"


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
