"""IG005: lazy-structure entries that can never take effect.

Three ways an entry dies before a user can touch it:

* overwritten: ``_import_structure["x"] = [...]`` a second time before the lazy module is built;
  the first list's names are gone unless the second list (or another key) declares them again
  (the lazy stage records the write in ``LazyModule.dead_entries``; this rule keeps only writes that
  really lose a name, so a redundant re-declaration of the same names is not reported);
* written after ``sys.modules[__name__] = _LazyModule(...)``: the lazy module copied the structure's
  keys and names when it was built, later writes are never seen (also from ``dead_entries``);
* under a guard that cannot run: ``if False:`` / ``if 0:`` / ``else`` of ``if True:`` around a write into
  the structure. Only literal constant conditions are judged: anything computed (``if sys.version_info
  < (3, 0)``) is not, because the evaluator answers those in the modelled environment and a
  condition that is false *there* may be true elsewhere.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator

from ..line_refs import at
from ..model import DeadEntry, Finding, LazyModule, Severity
from ..scan.read import parse_file
from .base import Rule, RuleContext, register

_MUTATORS = {"append", "extend", "update", "setdefault", "add", "insert"}


@register
class DeadLazyKey(Rule):
    """A lazy-structure entry can never take effect: overwritten, added too late, or under a dead guard.

    ``_LazyModule`` reads its structure once, when it is built. A key assigned twice loses the names
    of the first assignment; a key added after ``sys.modules[__name__] = _LazyModule(...)`` is never
    read; a key under ``if False:`` never runs. The names look exported to a reader of the init (and
    often to its ``TYPE_CHECKING`` half) but ``from pkg import Name`` raises ImportError.

    Fix: merge the two assignments (``.extend`` instead of ``=``), move the write before the lazy
    module is built, or delete the dead block. A key re-assigned with the same names is redundant but
    harmless and not reported.
    """

    code = "IG005"
    name = "dead-lazy-key"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for lazy in ctx.lazy_modules.values():
            if not lazy.path.endswith(".py"):
                continue
            tree = ctx.init_trees.get(lazy.path) or parse_file(lazy.path)
            for dead in lazy.dead_entries:
                finding = self._recorded(ctx, lazy, dead, tree)
                if finding is not None:
                    yield finding
            if tree is not None:
                yield from self._dead_guards(lazy, tree)

    def _recorded(self, ctx: RuleContext, lazy: LazyModule, dead: DeadEntry,
                  tree: ast.Module | None) -> Finding | None:
        if dead.reason.startswith("added at line"):
            return self.finding(
                lazy.name, dead.key, lazy.path, dead.line,
                f"key {dead.key!r} of {lazy.name} is {dead.reason}; its names are not importable "
                f"from {lazy.name}. Move the write before the _LazyModule(...) call.")
        # Overwritten: which of the first assignment's names does the built module no longer serve?
        old_names = _names_declared_at(tree, dead.line) if tree is not None else None
        if old_names is None:
            ctx.count_undecided(self.code)
            return None
        lost = [n for n in old_names if n not in lazy.names and n not in lazy.extra_objects]
        if not lost:
            return None  # re-declared with the same names (e.g. transformers 4.44 gptsan_japanese): harmless
        return self.finding(
            lazy.name, dead.key, lazy.path, dead.line,
            f"key {dead.key!r} of {lazy.name} is {dead.reason}: {', '.join(sorted(lost))} "
            f"{'is' if len(lost) == 1 else 'are'} in no entry of the built lazy module, so "
            f"`from {lazy.name} import {sorted(lost)[0]}` raises ImportError. Extend the list instead of "
            "re-assigning it.")

    def _dead_guards(self, lazy: LazyModule, tree: ast.Module) -> Iterator[Finding]:
        structure = _structure_variable(tree, lazy.line)
        if structure is None:
            return
        for block, guard_line in _unreachable_blocks(tree.body):
            for line, key in _structure_writes(block, structure):
                yield self.finding(
                    lazy.name, key, lazy.path, line,
                    f"entry {key!r} of {lazy.name} is written under a condition that is always false "
                    f"(line {at(lazy.path, guard_line)}): the runtime never adds it and its names are not importable. "
                    "Delete the block or fix the condition.")


def _names_declared_at(tree: ast.Module, line: int) -> list[str] | None:
    """The string literals of the list/tuple/set literal whose first element sits on ``line``."""
    best: ast.expr | None = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and node.elts and node.elts[0].lineno == line:
            if best is None or (node.end_lineno or 0) - node.lineno < (best.end_lineno or 0) - best.lineno:
                best = node
    if best is None or not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in best.elts):
        return None
    return [e.value for e in best.elts]


def _structure_variable(tree: ast.Module, build_line: int) -> str | None:
    """The variable passed as the structure to the ``_LazyModule(...)`` call on ``build_line``."""
    for node in _walk_around(tree, build_line):
        if isinstance(node, ast.Call) and node.lineno <= build_line <= (node.end_lineno or node.lineno):
            func = node.func
            callee = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if not callee.endswith("LazyModule"):
                continue
            arg = node.args[2] if len(node.args) > 2 else next(
                (k.value for k in node.keywords if k.arg == "import_structure"), None)
            if isinstance(arg, ast.Name):
                return arg.id
    return None


def _walk_around(tree: ast.Module, line: int) -> Iterator[ast.AST]:
    """``ast.walk(tree)`` (same breadth-first order) restricted to the top-level statements whose lines,
    decorators included, span ``line``: nodes elsewhere cannot span it, and an init is a few thousand nodes."""
    todo = deque(stmt for stmt in tree.body
                 if min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
                 <= line <= (stmt.end_lineno or stmt.lineno))
    while todo:
        node = todo.popleft()
        todo.extend(ast.iter_child_nodes(node))
        yield node


def _constant_truth(test: ast.expr) -> bool | None:
    """True/False for a literal condition (``False``, ``0``, ``None``, ``not True``); None otherwise."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _constant_truth(test.operand)
        return None if inner is None else not inner
    return None


def _unreachable_blocks(body: list[ast.stmt]) -> Iterator[tuple[list[ast.stmt], int]]:
    """Module-level blocks (also nested in module-level if/try) whose guard is a constant."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            truth = _constant_truth(stmt.test)
            if truth is False:
                yield stmt.body, stmt.lineno
                yield from _unreachable_blocks(stmt.orelse)
            elif truth is True:
                if stmt.orelse:
                    yield stmt.orelse, stmt.lineno
                yield from _unreachable_blocks(stmt.body)
            else:
                yield from _unreachable_blocks(stmt.body)
                yield from _unreachable_blocks(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for part in (stmt.body, stmt.orelse, stmt.finalbody, *(h.body for h in stmt.handlers)):
                yield from _unreachable_blocks(part)


def _structure_writes(block: list[ast.stmt], structure: str) -> Iterator[tuple[int, str]]:
    """``S[k] = ...``, ``S[k] += ...``, ``S[k].append(...)``, ``S.update(...)`` in a block: (line, key)."""
    for node in (n for stmt in block for n in ast.walk(stmt)):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
            targets = [node.func.value]
            if isinstance(node.func.value, ast.Name) and node.func.value.id == structure:
                yield node.lineno, _key_of(node.args[0]) if node.args else "?"
                continue
        for target in targets:
            if (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                    and target.value.id == structure):
                yield node.lineno, _key_of(target.slice)


def _key_of(node: ast.expr) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ast.unparse(node)
