"""Stage 5: rules. Each rule is a small class with a code, a name and a docstring (see ``base``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..model import Finding
from . import core  # noqa: F401  (registers the rules)
from . import cycles, dead_keys, submodules, usage  # noqa: F401  (IG005 IG006 IG010 IG011 IG014 IG015)
from . import backends, dummies, dunder_all, guarded_names  # noqa: F401  (IG007 IG013 IG008 IG012)
from ..check import suppress as _suppress  # noqa: F401,E402  (registers IG100 unused-suppression)
from . import fork
from .base import REGISTRY, Rule, RuleContext

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["REGISTRY", "Rule", "RuleContext", "all_rules", "run_rules"]


def all_rules() -> list[type[Rule]]:
    return [REGISTRY[code] for code in sorted(REGISTRY)]


MAX_PIECES = 16
"""A rule's parts are handed out in at most this many pieces."""

Piece = tuple[type[Rule], tuple[object, ...]]
"""Some of a rule's :meth:`~Rule.parts`, run together by whichever process claims them."""


def run_rules(ctx: RuleContext, select: set[str] | None = None, *,
              build_graph: Callable[[], nx.DiGraph] | None = None) -> list[Finding]:
    """Run the selected rules (default: those enabled by default); findings sorted by file and line.

    ``build_graph``: called to set ``ctx.graph`` before the rules that read it run. On big packages the rules
    that do not read the graph run meanwhile in a forked child (:mod:`.fork`), in pieces (a rule, or some of its
    :meth:`~Rule.parts`), the costliest rules first; this process takes the pieces the child has not started
    once the graph and its rules are done. Who ran a piece never shows in the result.
    """
    selected = [rule_cls for rule_cls in all_rules()
                if (rule_cls.code in select if select is not None else rule_cls.enabled_by_default)]
    apart = [rule_cls for rule_cls in selected if not rule_cls.reads_graph]
    queue = wait = None
    if apart and fork.can_fork(len(ctx.modules)):
        pieces = _pieces(ctx, sorted(apart, key=lambda r: -r.cost))
        queue = fork.WorkQueue(len(pieces))
        wait = fork.start_in_child(lambda: _run_counting(ctx, pieces, queue))
    findings: list[Finding] = []
    done: set[int] = set()
    try:
        if build_graph is not None:
            ctx.graph = build_graph()
        findings.extend(_run(ctx, [r for r in selected if wait is None or r not in apart]))
        if queue is not None:
            findings.extend(_run_claimed(ctx, pieces, queue, done))
    finally:
        outcome = wait() if wait is not None else None
        if queue is not None:
            queue.close()
    if outcome is not None:
        child_findings, undecided, child_done = outcome
        findings.extend(child_findings)
        done.update(child_done)
        for code, count in undecided.items():
            ctx.undecided[code] = ctx.undecided.get(code, 0) + count
    if wait is not None and len(done) < len(pieces):  # the child failed or died in a piece: finish its work here
        for index, (rule_cls, parts) in enumerate(pieces):
            if index not in done:
                findings.extend(_run_piece(ctx, rule_cls, parts))
    return sorted(set(findings), key=Finding.sort_key)


def _run(ctx: RuleContext, rules: list[type[Rule]]) -> list[Finding]:
    return [finding for rule_cls in rules for finding in rule_cls().check(ctx)]


def _pieces(ctx: RuleContext, rules: list[type[Rule]]) -> list[Piece]:
    """Each rule's parts, in at most :data:`MAX_PIECES` runs of consecutive parts (fewer when there are so many
    rules that the work queue would overflow)."""
    limit = max(1, min(MAX_PIECES, fork.WorkQueue.MAX_ITEMS // len(rules)))
    pieces: list[Piece] = []
    for rule_cls in rules:
        parts = tuple(rule_cls().parts(ctx))
        size = max(1, -(-len(parts) // limit))
        pieces.extend((rule_cls, parts[start:start + size]) for start in range(0, len(parts), size))
    return pieces


def _run_piece(ctx: RuleContext, rule_cls: type[Rule], parts: tuple[object, ...]) -> list[Finding]:
    rule = rule_cls()
    return [finding for part in parts for finding in rule.check_part(ctx, part)]


def _run_claimed(ctx: RuleContext, pieces: list[Piece], queue: fork.WorkQueue, done: set[int]) -> list[Finding]:
    """Run the pieces claimed from ``queue`` until it is empty; their numbers are added to ``done``."""
    findings: list[Finding] = []
    while (index := queue.claim()) is not None:
        findings.extend(_run_piece(ctx, *pieces[index]))
        done.add(index)
    return findings


def _run_counting(ctx: RuleContext, pieces: list[Piece],
                  queue: fork.WorkQueue) -> tuple[list[Finding], dict[str, int], set[int]]:
    """:func:`_run_claimed` in the child, with what it counted as undecided (the parent's counts are its own) and
    the pieces it finished."""
    before = dict(ctx.undecided)
    done: set[int] = set()
    findings = _run_claimed(ctx, pieces, queue, done)
    undecided = {code: n - before.get(code, 0) for code, n in ctx.undecided.items() if n != before.get(code, 0)}
    return findings, undecided, done
