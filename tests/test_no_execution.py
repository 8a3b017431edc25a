"""Nothing of the analysed package runs: not its init, not its submodules, not via the API, not via the CLI.

``sideeffect_init`` writes a marker file, binds a socket and spawns a child process (each writes a marker of
its own) and then raises. We analyse it and look for the markers, for audit events (CPython's
``sys.addaudithook``: every ``subprocess.Popen``, ``os.system``, ``socket.bind`` and import is audited) and
for new entries in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import importgraph
from tests.audit import FORBIDDEN_EVENTS, recording
from tests.conftest import fixture_package

PACKAGE = fixture_package("sideeffect_init")
def markers(base: Path) -> list[Path]:
    return [p for p in (base, Path(f"{base}.socket"), Path(f"{base}.spawn")) if p.exists()]


@pytest.fixture
def marker(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "side_effect"
    monkeypatch.setenv("IMPORTGRAPH_SIDE_EFFECT_FILE", str(path))
    return path


def test_the_fixture_really_has_side_effects(marker):
    """Guard against a fixture that went harmless: importing it for real leaves all three markers."""
    code = "import sys; sys.path.insert(0, sys.argv[1]); import sideeffect_init"
    proc = subprocess.run([sys.executable, "-B", "-c", code, str(PACKAGE.parent)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode != 0 and "must never be imported" in proc.stderr
    assert len(markers(marker)) == 3


def test_api_runs_nothing(marker):
    before = set(sys.modules)
    with recording("sideeffect_init", PACKAGE) as events:
        report = importgraph.analyze(str(PACKAGE))
    assert markers(marker) == []
    assert events == [], events
    assert not [m for m in set(sys.modules) - before if m.startswith("sideeffect_init")]
    assert not [m for m in sys.modules if m.startswith("sideeffect_init")]

    # What the analyzer says: the PEP 562 map below the raise, marked as never built at runtime.
    lazy = report.lazy_modules["sideeffect_init"]
    assert lazy.style == "pep562"
    assert {n: e.module for n, e in lazy.names.items()} == {"Widget": "sideeffect_init.widgets"}
    raised = [u for u in lazy.undecided if "raises RuntimeError" in u.reason]
    assert [u.line for u in raised] == [20] and raised[0].path.endswith("sideeffect_init/__init__.py")
    assert "never built at runtime" in raised[0].reason
    # Its submodules were scanned (their imports are facts), not run.
    assert any(i.module == "subprocess" for i in report.modules["sideeffect_init.spawn"].imports)


CLI_UNDER_AUDIT = textwrap.dedent("""
    import sys
    log = open(sys.argv[1], "w")
    def hook(event, args):
        if event.startswith({forbidden!r}) or (
                event == "exec" and {package!r} in getattr(args[0], "co_filename", "")) or (
                event == "import" and str(args[0]).startswith("sideeffect_init")):
            log.write(event + " " + repr(args)[:200] + "\\n"); log.flush()
    sys.addaudithook(hook)
    sys.argv = ["importgraph"] + sys.argv[2:]
    import runpy
    runpy.run_module("importgraph", run_name="__main__")
""").format(forbidden=FORBIDDEN_EVENTS, package=str(PACKAGE))


def test_cli_runs_nothing(marker, tmp_path):
    audit_log = tmp_path / "audit.log"
    script = tmp_path / "audited_cli.py"
    script.write_text(CLI_UNDER_AUDIT)
    proc = subprocess.run([sys.executable, "-B", str(script), str(audit_log), "analyze", str(PACKAGE),
                           "--format", "json"], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env={**os.environ, "IMPORTGRAPH_SIDE_EFFECT_FILE": str(marker)})
    assert proc.returncode == 0, proc.stderr
    assert markers(marker) == []
    assert audit_log.read_text() == ""
    report = json.loads(proc.stdout)
    lazy = report["lazy_modules"]["sideeffect_init"]
    assert lazy["names"]["Widget"]["module"] == "sideeffect_init.widgets"
    assert any(u["line"] == 20 and "raises RuntimeError" in u["reason"] for u in lazy["undecided"])
    assert report["stats"]["undecided"] >= 1


def test_cli_text_mode_runs_nothing(marker, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "importgraph", "analyze", str(PACKAGE)], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)  # cwd: whatever the CLI writes stays there
    assert proc.returncode == 0, proc.stderr
    assert markers(marker) == []
    assert "1 lazy modules" in proc.stdout
