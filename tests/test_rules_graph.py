"""Rules IG005, IG006, IG010, IG011, IG014, IG015 on fixture packages that really run, and on real transformers.

Every positive fixture is also shown to fail at runtime in a subprocess (and every negative to work), so a
finding is never only the analyser's word. Fixture packages: tests/fixtures/packages/rule_ig0NN_<pos|neg>_<k>
(each has an EXPECTED.md saying what breaks).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import importgraph
from tests.conftest import FIXTURES, fixture_package


def findings(name: str, code: str, usage: tuple[str, ...] = ()) -> list[tuple[str, str, int, str]]:
    report = importgraph.analyze(str(fixture_package(name)), select={code}, usage=usage)
    return [(f.severity.value, os.path.basename(f.path), f.line, f.symbol) for f in report.findings]


def run_python(fixture: str, code: str | None = None, script: str | None = None) -> subprocess.CompletedProcess:
    """Run code (or a script next to the package) with the fixture's sys.path entry first, in a fresh process."""
    root = FIXTURES / fixture
    args = [sys.executable, "-c", code] if code is not None else [sys.executable, str(root / script)]
    return subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(root)})


def app(fixture: str) -> tuple[str, ...]:
    return (str(FIXTURES / fixture / "app.py"),)


# ------------------------------------------------------------------ IG005 dead-lazy-key
@pytest.mark.parametrize("fixture,expected", [
    ("rule_ig005_pos_1", [("warning", "__init__.py", 6, "mod")]),    # first declaration, overwritten at 10
    ("rule_ig005_pos_2", [("warning", "__init__.py", 14, "other")]),  # written after the _LazyModule call
    ("rule_ig005_pos_3", [("warning", "__init__.py", 9, "other")]),   # under `if False:`
])
def test_dead_lazy_key_positive(fixture, expected):
    assert findings(fixture, "IG005") == expected
    result = run_python(fixture, f"from {fixture} import B")
    assert result.returncode != 0 and "ImportError" in result.stderr


@pytest.mark.parametrize("fixture,names", [("rule_ig005_neg_1", "A"), ("rule_ig005_neg_2", "A, B, C")])
def test_dead_lazy_key_negative(fixture, names):
    assert findings(fixture, "IG005") == []
    assert run_python(fixture, f"from {fixture} import {names}").returncode == 0


# ------------------------------------------------------------------ IG006 lazy-import-cycle
@pytest.mark.parametrize("fixture,expected,entry", [
    ("rule_ig006_pos_1", [("error", "a.py", 1, "rule_ig006_pos_1.B")], "rule_ig006_pos_1.b"),
    ("rule_ig006_pos_2", [("error", "auto.py", 1, "rule_ig006_pos_2.integrations.helper")],
     "rule_ig006_pos_2.integrations.impl"),
])
def test_lazy_import_cycle_positive(fixture, expected, entry):
    report = importgraph.analyze(str(fixture_package(fixture)), select={"IG006"})
    assert [(f.severity.value, os.path.basename(f.path), f.line, f.symbol) for f in report.findings] == expected
    (finding,) = report.findings
    assert len(finding.chain) >= 2 and all(ref.line >= 1 and os.path.isfile(ref.path) for ref in finding.chain)
    result = run_python(fixture, f"import {entry}")
    assert result.returncode != 0
    assert "partially initialized module" in result.stderr or "ImportError" in result.stderr


def test_lazy_import_cycle_chain_is_the_cycle():
    report = importgraph.analyze(str(fixture_package("rule_ig006_pos_2")), select={"IG006"})
    (finding,) = report.findings
    hops = [(Path(ref.path).relative_to(fixture_package("rule_ig006_pos_2")).as_posix(), ref.line)
            for ref in finding.chain]
    # quant/auto.py:1 touches integrations.helper -> integrations/impl.py:1 imports quant.utils (quant/__init__
    # runs) -> quant/__init__.py:1 imports quant.auto
    assert hops == [("quant/auto.py", 1), ("integrations/impl.py", 1), ("quant/__init__.py", 1)]


def test_lazy_import_cycle_that_the_init_order_defuses_is_a_warning(tmp_path):
    """mlflow 3.17: the package's init imports the module touching the lazy name before anything can import the
    module serving it, so no entry point fails today (with the init's condition true or false): a warning. The
    same package whose init does not import it first fails, as the warning says."""
    fixture = "rule_ig006_pos_3"
    report = importgraph.analyze(str(fixture_package(fixture)), select={"IG006"})
    assert [(f.severity.value, os.path.basename(f.path), f.line, f.symbol) for f in report.findings] == [
        ("warning", "client.py", 1, "rule_ig006_pos_3.entities.Dataset")]
    assert "It works as long as rule_ig006_pos_3's __init__" in report.findings[0].message
    assert "(it does under a condition)" in report.findings[0].message
    assert run_python(fixture, f"import {fixture}.entities.dataset").returncode == 0
    reordered = tmp_path / fixture
    shutil.copytree(fixture_package(fixture), reordered)
    init = reordered / "__init__.py"
    init.write_text(init.read_text().replace("from . import tracking", "pass"))
    assert [f.severity.value for f in importgraph.analyze(str(reordered), select={"IG006"}).findings] == ["error"]
    broken = subprocess.run([sys.executable, "-c", f"import {fixture}.entities.dataset"], cwd=tmp_path,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert broken.returncode != 0 and "partially initialized" in broken.stderr


@pytest.mark.parametrize("fixture", ["rule_ig006_neg_1", "rule_ig006_neg_2", "rule_ig006_neg_3"])
def test_lazy_import_cycle_negative(fixture):
    """neg_3 (litellm's shape): the serving module imports its own package, which imports the module touching the
    lazy name: that import executes nothing (the package's init runs before any of its modules), so no cycle."""
    assert findings(fixture, "IG006") == []
    for first in ("a", "b"):  # every entry order works
        assert run_python(fixture, f"import {fixture}.{first}, {fixture}.a, {fixture}.b").returncode == 0


# ------------------------------------------------------------------ IG015 import-cycle (off by default)
@pytest.mark.parametrize("fixture", ["rule_ig015_pos_1", "rule_ig015_pos_2"])
def test_import_cycle_positive(fixture):
    assert findings(fixture, "IG015") == [("info", "x.py", 1, f"{fixture}.x")]
    assert run_python(fixture, f"import {fixture}.x").returncode == 0  # Python tolerates it: info only
    assert importgraph.analyze(str(fixture_package(fixture))).findings == []  # off by default


@pytest.mark.parametrize("fixture", ["rule_ig015_neg_1", "rule_ig015_neg_2", "rule_ig006_neg_2"])
def test_import_cycle_negative(fixture):
    assert findings(fixture, "IG015") == []


# ------------------------------------------------------------------ IG010 unregistered-submodule
@pytest.mark.parametrize("fixture,leaf,path", [
    ("rule_ig010_pos_1", "helpers", "helpers.py"),
    ("rule_ig010_pos_2", "extra", "__init__.py"),
])
def test_unregistered_submodule_positive(fixture, leaf, path):
    assert findings(fixture, "IG010") == [("info", path, 1, f"{fixture}.{leaf}")]
    result = run_python(fixture, f"import {fixture}; {fixture}.{leaf}")
    assert result.returncode != 0 and "AttributeError" in result.stderr
    assert run_python(fixture, f"import {fixture}.{leaf}; {fixture}.{leaf}").returncode == 0  # order-dependent


def test_unregistered_submodule_of_a_lazy_loader_stub_package():
    """The fix named in the message is the one for the package's own style: a line in its ``__init__.pyi``."""
    pytest.importorskip("lazy_loader")
    fixture = "rule_ig010_pos_3"
    assert findings(fixture, "IG010") == [("info", "helpers.py", 1, f"{fixture}.helpers")]
    report = importgraph.analyze(str(fixture_package(fixture)), select={"IG010"})
    assert "Add `from . import helpers` to its __init__.pyi" in report.findings[0].message
    result = run_python(fixture, f"import {fixture}; {fixture}.helpers")
    assert result.returncode != 0 and "AttributeError" in result.stderr
    assert run_python(fixture, f"import {fixture}; {fixture}.mod").returncode == 0  # what the stub lists works


def test_unregistered_submodule_of_a_plotly_relative_import_package():
    fixture = "rule_ig010_pos_4"
    report = importgraph.analyze(str(fixture_package(fixture)), select={"IG010"})
    assert [(os.path.basename(f.path), f.symbol) for f in report.findings] == [("helpers.py", f"{fixture}.helpers")]
    assert 'Add ".helpers" to the rel_modules passed to relative_import' in report.findings[0].message
    result = run_python(fixture, f"import {fixture}; {fixture}.helpers")
    assert result.returncode != 0 and "AttributeError" in result.stderr
    assert run_python(fixture, f"import {fixture}; {fixture}.shapes.CIRCLE").returncode == 0  # registered: works


def test_unregistered_submodules_whose_import_time_calls_may_not_run():
    """Each submodule is imported by a function, but the init calls it under an ``if``, calls a generator
    function (its body does not run) or only inside a lambda: nothing imports them, all three fail."""
    fixture = "rule_ig010_pos_5"
    assert findings(fixture, "IG010") == [("info", f"{leaf}.py", 1, f"{fixture}.{leaf}")
                                          for leaf in ("late", "plugins", "streams")]
    for leaf in ("late", "plugins", "streams"):
        result = run_python(fixture, f"import {fixture}; {fixture}.{leaf}")
        assert result.returncode != 0 and "AttributeError" in result.stderr


def test_unregistered_submodules_the_init_imports_under_statements_that_may_not_run():
    """The init's own ``from . import extras`` sits under ``if`` on a plain variable, ``plugins`` in a loop over
    nothing: neither runs, and both are missing on the package after ``import``."""
    fixture = "rule_ig010_pos_6"
    assert findings(fixture, "IG010") == [("info", f"{leaf}.py", 1, f"{fixture}.{leaf}") for leaf in ("extras", "plugins")]
    for leaf in ("extras", "plugins"):
        result = run_python(fixture, f"import {fixture}; {fixture}.{leaf}")
        assert result.returncode != 0 and "AttributeError" in result.stderr


@pytest.mark.parametrize("fixture,leaf", [("rule_ig010_neg_1", "helpers"), ("rule_ig010_neg_2", "extra"),
                                          ("rule_ig010_neg_3", "helpers"),  # neg_3: the init imports it
                                          ("rule_ig010_neg_4", "registry"),  # neg_4: a function it calls does
                                          ("rule_ig010_neg_4", "constants"),  # and a module it imports does
                                          ("rule_ig010_neg_4", "docdict"),  # and a decorator, called on a def
                                          ("rule_ig010_neg_5", "registry"),  # neg_5: a class body imports it
                                          ("rule_ig010_neg_5", "legacy")])  # and a with body
def test_unregistered_submodule_negative(fixture, leaf):
    assert findings(fixture, "IG010") == []
    assert run_python(fixture, f"import {fixture}; {fixture}.{leaf}").returncode == 0


def test_a_shipped_pytest_conftest_is_not_a_public_submodule(tmp_path):
    """scikit-image and mne ship ``conftest.py`` inside the package: pytest's file, not ``pkg.conftest`` API.
    (Built in a copy: a conftest.py among the fixtures would be loaded by this very pytest run.)"""
    import shutil

    root = tmp_path / "rule_ig010_pos_1"
    shutil.copytree(FIXTURES / "rule_ig010_pos_1", root)
    (root / "rule_ig010_pos_1" / "conftest.py").write_text("import pytest\n")
    report = importgraph.analyze(str(root / "rule_ig010_pos_1"), select={"IG010"})
    assert [f.symbol for f in report.findings] == ["rule_ig010_pos_1.helpers"]  # the real one stays reported


# ------------------------------------------------------------------ IG014 unknown-lazy-import
@pytest.mark.parametrize("fixture,line,error", [
    ("rule_ig014_pos_1", 1, "ImportError"),
    ("rule_ig014_pos_2", 3, "AttributeError"),
])
def test_unknown_lazy_import_positive(fixture, line, error):
    assert findings(fixture, "IG014", app(fixture)) == [("error", "app.py", line, "Goood")]
    result = run_python(fixture, script="app.py")
    assert result.returncode != 0 and error in result.stderr


@pytest.mark.parametrize("fixture", ["rule_ig014_neg_1", "rule_ig014_neg_2"])
def test_unknown_lazy_import_negative(fixture):
    assert findings(fixture, "IG014", app(fixture)) == []
    assert run_python(fixture, script="app.py").returncode == 0


def test_unknown_lazy_import_needs_usage_paths():
    assert findings("rule_ig014_pos_1", "IG014") == []


def test_cli_usage_option():
    result = subprocess.run(
        [sys.executable, "-m", "importgraph", "analyze", str(fixture_package("rule_ig014_pos_1")),
         "--usage", app("rule_ig014_pos_1")[0], "--format", "json", "-q"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert '"rule": "IG014"' in result.stdout and '"symbol": "Goood"' in result.stdout


# ------------------------------------------------------------------ IG011 unused-lazy-name (off by default)
@pytest.mark.parametrize("fixture", ["rule_ig011_pos_1", "rule_ig011_pos_2"])
def test_unused_lazy_name_positive(fixture):
    usage = app(fixture) if (FIXTURES / fixture / "app.py").exists() else ()
    assert findings(fixture, "IG011", usage) == [("info", "__init__.py", 6, "Unused")]


@pytest.mark.parametrize("fixture", ["rule_ig011_neg_1", "rule_ig011_neg_2"])
def test_unused_lazy_name_negative(fixture):
    usage = app(fixture) if (FIXTURES / fixture / "app.py").exists() else ()
    assert findings(fixture, "IG011", usage) == []
    assert run_python(fixture, f"from {fixture} import Used").returncode == 0


def test_unused_lazy_name_counts_usage_files():
    assert findings("rule_ig011_neg_2", "IG011") == [("info", "__init__.py", 6, "Used")]


# ------------------------------------------------------------------ real transformers
GRAPH_RULES = {"IG005", "IG006", "IG010", "IG014"}

TYPO_APP = """\
import transformers
from transformers import BertModle, BertModel, BertTokenizerFast, ViTImageProcessorFast
from transformers import __version__, utils
from transformers.models.bert import BertConfig, BertConfgi
x = transformers.AutoModell
"""


@pytest.fixture(scope="module")
def typo_app(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("usage") / "app.py"
    path.write_text(TYPO_APP)
    return path


@pytest.fixture(scope="module")
def report5(transformers5, typo_app):
    python, _ = transformers5
    return importgraph.analyze("transformers", python=str(python), select=GRAPH_RULES, usage=(str(typo_app),))


@pytest.fixture(scope="module")
def report4(transformers4, typo_app):
    python, _ = transformers4
    return importgraph.analyze("transformers", python=str(python), select=GRAPH_RULES, usage=(str(typo_app),))


def by_rule(report, code):
    return [f for f in report.findings if f.rule == code]


@pytest.mark.runtime
def test_transformers5_lazy_cycles_are_the_two_real_ones(report5, transformers5):
    """The two cycles through `integrations` lazy names (aqlm, spqr) break a fresh `import` of the module."""
    python, _ = transformers5
    found = sorted(f.symbol for f in by_rule(report5, "IG006"))
    assert found == ["transformers.integrations.replace_with_aqlm_linear",
                     "transformers.integrations.replace_with_spqr_linear"]
    assert all(f.severity.value == "error" for f in by_rule(report5, "IG006"))
    for module in ("aqlm", "spqr"):
        result = subprocess.run([str(python), "-c", f"import transformers.integrations.{module}"],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode != 0 and f"replace_with_{module}_linear" in result.stderr


@pytest.mark.runtime
def test_transformers_usage_typos(report5, report4, transformers5, typo_app):
    for report in (report5, report4):
        assert sorted((f.line, f.symbol) for f in by_rule(report, "IG014")) == [
            (2, "BertModle"), (4, "BertConfgi"), (5, "AutoModell")]
    python, _ = transformers5
    for line in TYPO_APP.splitlines()[1:4]:
        good = line.replace("BertModle, ", "").replace(", BertConfgi", "")
        assert subprocess.run([str(python), "-c", good], capture_output=True, timeout=120).returncode == 0
        if good != line:
            assert subprocess.run([str(python), "-c", line], capture_output=True, timeout=120).returncode != 0


@pytest.mark.runtime
def test_transformers4_no_lazy_cycles_no_dead_keys(report4):
    # 4.44.2 gptsan_japanese re-assigns a key with the same names: redundant, not dead
    assert by_rule(report4, "IG006") == [] and by_rule(report4, "IG005") == []


@pytest.mark.runtime
def test_transformers_unregistered_submodules_really_fail(report5, transformers5):
    """A sample of IG010 findings: `import parent; parent.leaf` raises AttributeError in a fresh process."""
    python, _ = transformers5
    sample = sorted(f.symbol for f in by_rule(report5, "IG010"))[:: max(1, len(by_rule(report5, "IG010")) // 6)]
    assert sample
    for module in sample:
        parent, _, leaf = module.rpartition(".")
        code = f"import {parent} as p\ntry:\n    getattr(p, {leaf!r})\nexcept AttributeError:\n    raise SystemExit(3)"
        result = subprocess.run([str(python), "-c", code], capture_output=True, timeout=120)
        assert result.returncode == 3, module
