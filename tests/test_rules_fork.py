"""The rules stage split across a forked child gives exactly the serial stage's output.

The child runs the rules that do not read the import graph while the parent builds the graph and runs the
cycle rules. Same findings, same undecided counts, same recorded reads (the result cache depends on them), warnings
raised in the child reach the caller, and a child that fails is replaced by running its rules here.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import pytest

from importgraph import inputs
from importgraph.analysis import make_environment
from importgraph.discover import find_target, walk_package
from importgraph.graph import build_graph
from importgraph.lazy import build_lazy_modules
from importgraph.rules import REGISTRY, RuleContext, fork, run_rules
from importgraph.scan import scan_files
from tests.conftest import FIXTURES

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the rules are forked on Linux only")

RULE_PACKAGES = sorted(p.name for p in FIXTURES.iterdir() if p.name.startswith("rule_ig00") or
                       p.name.startswith("rule_ig01"))


def stages(package: Path):
    target = find_target(str(package))
    modules = scan_files(walk_package(target), workers=1)
    env = make_environment(target)
    lazy = build_lazy_modules(modules, env, target.search_path)
    graph = build_graph(modules, lazy.modules, target.name)
    return target, env, modules, lazy, graph


def rules_output(package_stages, forked: bool, monkeypatch, select=None, init_trees=True):
    target, env, modules, lazy, graph = package_stages
    monkeypatch.setattr(fork, "MIN_MODULES", 0 if forked else 10**9)
    monkeypatch.setattr(fork, "available_cores", lambda: 2)
    ctx = RuleContext(target=target, env=env, modules=modules, lazy_modules=lazy.modules, graph=None,
                      structure_files=lazy.structure_files, problems=lazy.problems,
                      init_trees=lazy.init_trees if init_trees else {})
    with inputs.recording() as log:
        findings = run_rules(ctx, select, build_graph=lambda: graph)
    assert ctx.graph is graph
    return findings, ctx.undecided, log


def test_only_the_cycle_rules_wait_for_the_graph():
    assert sorted(code for code, rule in REGISTRY.items() if rule.reads_graph) == ["IG006", "IG015"]


@pytest.mark.parametrize("name", RULE_PACKAGES)
def test_forked_rules_equal_serial_rules_on_every_rule_fixture(name, monkeypatch):
    package_stages = stages(FIXTURES / name / name)
    serial = rules_output(package_stages, False, monkeypatch, select=set(REGISTRY))
    forked = rules_output(package_stages, True, monkeypatch, select=set(REGISTRY))
    assert forked == serial


def test_forked_rules_equal_serial_rules_on_transformers(transformers5, monkeypatch):
    package_stages = stages(Path(transformers5[1]) / "transformers")
    # Without the lazy stage's trees IG005 (a forked rule) reads every init itself: what the child reads must
    # reach the parent's log.
    serial_findings, serial_undecided, serial_log = rules_output(package_stages, False, monkeypatch, init_trees=False)
    forked_findings, forked_undecided, forked_log = rules_output(package_stages, True, monkeypatch, init_trees=False)
    assert {f.rule for f in serial_findings} >= {"IG007", "IG012"}  # the forked group found something
    assert forked_findings == serial_findings
    assert forked_undecided == serial_undecided
    assert forked_log == serial_log and serial_log.files


def test_a_failing_child_is_replaced_by_running_its_rules_here(monkeypatch):
    package_stages = stages(FIXTURES / "rule_ig007_pos_1" / "rule_ig007_pos_1")
    expected = rules_output(package_stages, False, monkeypatch, select=set(REGISTRY))
    parent = os.getpid()
    rule = REGISTRY["IG007"]
    original = rule.check

    def check_failing_in_the_child(self, ctx):
        if os.getpid() != parent:
            raise RuntimeError("boom in the child")
        return original(self, ctx)

    monkeypatch.setattr(rule, "check", check_failing_in_the_child)
    assert rules_output(package_stages, True, monkeypatch, select=set(REGISTRY)) == expected


def test_warnings_raised_in_the_child_reach_the_caller(monkeypatch):
    package_stages = stages(FIXTURES / "rule_ig007_pos_1" / "rule_ig007_pos_1")
    parent = os.getpid()
    rule = REGISTRY["IG012"]
    original = rule.check

    def check_warning(self, ctx):
        warnings.warn(f"from process {'child' if os.getpid() != parent else 'parent'}", UserWarning)
        return original(self, ctx)

    monkeypatch.setattr(rule, "check", check_warning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rules_output(package_stages, True, monkeypatch, select=set(REGISTRY))
    assert [str(w.message) for w in caught] == ["from process child"]
