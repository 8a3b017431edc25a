"""Nothing of a package with side-effecting lazy machinery runs, through the API or the CLI.

``tests/test_no_execution.py`` covers an ``__init__`` that misbehaves on import. Here the package imports
cleanly and the harm sits where a lazy-import analyzer is tempted to look: a PEP 562 ``__getattr__`` that
starts a process on every lookup, submodules that start a process or listen on a socket when imported, and
``define_import_structure`` file-name rules (``BASE_FILE_REQUIREMENTS`` lambdas) that write files when called,
which importgraph reads statically to model transformers. See ``tests/fixtures/packages/sideeffect_lazy``.

Detection: marker files, CPython audit events (``subprocess.Popen``, ``socket.bind``, any ``open`` of a marker
path for writing, any ``exec`` of the fixture's code), and ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import importgraph
from importgraph.rules.fork import MIN_MODULES
from importgraph.scan.pool import MIN_FILES_FOR_POOL
from tests.audit import recording
from tests.conftest import fixture_package

PACKAGE = fixture_package("sideeffect_lazy")
MARKERS = ("getattr", "workers", "server", "base_rules", "define_import_structure", "modeling_widget")
@pytest.fixture
def marker(tmp_path, monkeypatch) -> Path:
    base = tmp_path / "side_effect"
    monkeypatch.setenv("IMPORTGRAPH_SIDE_EFFECT_FILE", str(base))
    return base


def left_behind(base: Path) -> list[str]:
    return sorted(p.name for p in base.parent.glob(base.name + ".*"))


def test_the_fixture_really_has_side_effects(marker):
    """Guard against a fixture gone harmless: used for real, every piece of its lazy machinery leaves a marker."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import sideeffect_lazy as p; "
            "p.Worker, p.Server, p.WidgetModel")
    proc = subprocess.run([sys.executable, "-B", "-c", code, str(PACKAGE.parent)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert left_behind(marker) == sorted(f"side_effect.{m}" for m in MARKERS)


def test_api_runs_none_of_the_lazy_machinery(marker):
    before = set(sys.modules)
    with recording("sideeffect_lazy", PACKAGE, marker) as events:
        report = importgraph.analyze(str(PACKAGE))
    assert left_behind(marker) == []
    assert events == [], events
    assert not [m for m in set(sys.modules) - before if m.startswith("sideeffect_lazy")]

    # And the analysis still saw everything the runtime serves (EXPECTED.md, written by hand).
    top = report.lazy_modules["sideeffect_lazy"]
    assert {n: e.module for n, e in top.names.items()} == {
        "Worker": "sideeffect_lazy.workers", "Server": "sideeffect_lazy.server", "WidgetModel": "sideeffect_lazy.models"}
    models = report.lazy_modules["sideeffect_lazy.models"]
    assert {n: e.module for n, e in models.names.items()} == {"WidgetModel": "sideeffect_lazy.models.modeling_widget"}


def test_cli_runs_none_of_the_lazy_machinery(marker, tmp_path):
    """The whole CLI, in its own process: JSON and HTML output, cache on, and the package padded with plain
    modules until the scan runs in its process pool and the rules in their forked child."""
    package = tmp_path / "site" / "sideeffect_lazy"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    padding = package / "padding"
    padding.mkdir()
    (padding / "__init__.py").write_text("")
    for index in range(max(MIN_FILES_FOR_POOL, MIN_MODULES)):
        (padding / f"module_{index}.py").write_text(f"VALUE = {index}\n")
    assert len(list(package.rglob("*.py"))) >= max(MIN_FILES_FOR_POOL, MIN_MODULES)
    env = dict(os.environ, IMPORTGRAPH_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-B", "-m", "importgraph", "analyze", str(package), "--format", "json",
                           "--html", str(tmp_path / "report.html"), "-q"],
                          capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "sideeffect_lazy.models" in json.loads(proc.stdout)["lazy_modules"]
    assert left_behind(marker) == []
