"""The rules stage split across a forked child gives exactly the serial stage's output.

The child runs the rules that do not read the import graph while the parent builds the graph and runs the
cycle rules. Same findings, same undecided counts, same recorded reads (the result cache depends on them), warnings
raised in the child reach the caller, and a child that fails is replaced by running its rules here.
"""

from __future__ import annotations

import os
import sys
import time
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


def wait_for(signal: Path, timeout: float = 120.0) -> None:
    """Wait until another process creates ``signal`` (a file); the timeout only keeps a broken test from hanging."""
    deadline = time.monotonic() + timeout
    while not signal.exists() and time.monotonic() < deadline:
        time.sleep(0.002)


def rules_output(package_stages, forked: bool, monkeypatch, select=None, init_trees=True,
                 graph_waits_for: Path | None = None):
    """The rules' output; ``graph_waits_for``: building the graph in the parent lasts until this file exists
    (while it builds, the forked child claims the rules run beside it)."""
    target, env, modules, lazy, graph = package_stages
    monkeypatch.setattr(fork, "MIN_MODULES", 0 if forked else 10**9)
    monkeypatch.setattr(fork, "available_cores", lambda: 2)
    ctx = RuleContext(target=target, env=env, modules=modules, lazy_modules=lazy.modules, graph=None,
                      structure_files=lazy.structure_files, problems=lazy.problems,
                      init_trees=lazy.init_trees if init_trees else {})
    def graph_stage():
        if graph_waits_for is not None:
            wait_for(graph_waits_for)
        return graph

    with inputs.recording() as log:
        findings = run_rules(ctx, select, build_graph=graph_stage)
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


def test_warnings_raised_in_the_child_reach_the_caller(monkeypatch, tmp_path):
    package_stages = stages(FIXTURES / "rule_ig007_pos_1" / "rule_ig007_pos_1")
    parent = os.getpid()
    rule = REGISTRY["IG012"]
    original = rule.check
    warned = tmp_path / "warned"

    def check_warning(self, ctx):
        warnings.warn(f"from process {'child' if os.getpid() != parent else 'parent'}", UserWarning)
        warned.touch()
        return original(self, ctx)

    monkeypatch.setattr(rule, "check", check_warning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # the parent's graph is ready only once the child has run IG012 (so the parent cannot claim it)
        rules_output(package_stages, True, monkeypatch, select=set(REGISTRY), graph_waits_for=warned)
    assert [str(w.message) for w in caught] == ["from process child"]


def test_the_parent_takes_the_rules_the_child_has_not_started(monkeypatch, tmp_path):
    """The rules beside the graph are handed out in pieces (a rule, or some of its parts), the costliest rule's
    first: the child claims IG013's first part and is kept busy by it, the parent, done with the graph, claims
    the rest. Each part runs exactly once, in one of the two processes, and the output is the serial one."""
    package_stages = stages(FIXTURES / "rule_ig013_pos_1" / "rule_ig013_pos_1")
    expected = rules_output(package_stages, False, monkeypatch, select=set(REGISTRY))
    runs = tmp_path / "runs"
    child_claimed, parent_ran = tmp_path / "child-claimed", tmp_path / "parent-ran"
    parent = os.getpid()
    for code, rule in REGISTRY.items():
        if rule.reads_graph:
            continue

        def check_part(self, ctx, part, original=rule.check_part, code=code):
            in_parent = os.getpid() == parent
            with open(runs, "a") as handle:  # one short append per line: atomic between the two processes
                handle.write(f"{code}|{part!r}|{'parent' if in_parent else 'child'}\n")
            if in_parent:
                parent_ran.touch()
            elif part == "dummy files":  # IG013's first part, the child's first claim: it holds the child
                child_claimed.touch()
                wait_for(parent_ran)  # until the parent, done with the graph, has claimed and run a piece
            return original(self, ctx, part)

        monkeypatch.setattr(rule, "check_part", check_part)
    # the graph is ready once the child has claimed IG013's first part
    assert rules_output(package_stages, True, monkeypatch, select=set(REGISTRY),
                        graph_waits_for=child_claimed) == expected
    ran = [tuple(line.split("|")) for line in runs.read_text().splitlines()]
    parts = [(code, part) for code, part, _ in ran]
    assert len(parts) == len(set(parts))  # nothing ran twice
    assert {code for code, _ in parts} == {code for code, rule in REGISTRY.items() if not rule.reads_graph}
    assert len([p for p in parts if p[0] == "IG013"]) >= 2  # the dummy files, then an init per backend
    assert ("IG013", "'dummy files'", "child") in ran and {who for _, _, who in ran} == {"parent", "child"}


def test_a_rule_in_parts_is_the_whole_rule(transformers4, monkeypatch):
    """IG013 on transformers 4.44.2: one init (the top level) evaluated once per backend, eight parts, shared
    between the two processes; the same findings and undecided counts as the rule run whole."""
    package_stages = stages(Path(transformers4[1]) / "transformers")
    serial = rules_output(package_stages, False, monkeypatch, select={"IG013"})
    forked = rules_output(package_stages, True, monkeypatch, select={"IG013"})
    assert forked[:2] == serial[:2]
    target, env, modules, lazy, graph = package_stages
    ctx = RuleContext(target=target, env=env, modules=modules, lazy_modules=lazy.modules, graph=graph)
    assert len(REGISTRY["IG013"]().parts(ctx)) > 4


def test_a_work_queue_hands_each_item_to_one_process():
    queue = fork.WorkQueue(200)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child claims as fast as it can and reports what it got
        try:
            os.close(read)
            got = []
            while (item := queue.claim()) is not None:
                got.append(item)
            os.write(write, bytes(got))
        finally:
            os._exit(0)
    os.close(write)
    mine = []
    while (item := queue.claim()) is not None:
        mine.append(item)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as pipe:
        theirs = list(pipe.read())
    queue.close()
    assert sorted(mine + theirs) == list(range(200))
    assert mine == sorted(mine) and theirs == sorted(theirs)  # each takes them in order


@pytest.mark.parametrize("rules, parts", [(1, 1), (1, 280), (13, 1), (40, 1000)])
def test_pieces_cover_every_part_once_and_fit_the_queue(rules, parts):
    """However many rules and parts, the pieces fit the work queue and hold every part once, in order."""
    from importgraph.rules import _pieces

    classes = [type(f"Rule{i}", (), {"parts": lambda self, ctx, n=parts: list(range(n))}) for i in range(rules)]
    pieces = _pieces(None, classes)
    assert len(pieces) <= fork.WorkQueue.MAX_ITEMS
    for rule_cls in classes:
        assert [part for owner, chunk in pieces if owner is rule_cls for part in chunk] == list(range(parts))
