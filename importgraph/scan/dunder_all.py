"""``__all__`` as Python computes it, from the module-level statements that build it.

Literal lists and tuples, ``+=``, ``.extend``, ``.append``, ``.remove`` and concatenation with another
module's ``__all__`` are evaluated with plain ``ast``. Anything else is handed to astroid's inference
(only for that file, which keeps astroid off the bulk pass); if astroid cannot decide either, the
module records why instead of guessing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..model import ModuleFacts


class _Undecidable(Exception):
    def __init__(self, reason: str, node: ast.expr | None = None):
        super().__init__(reason)
        self.node = node
        """The expression plain ``ast`` could not evaluate (astroid gets to try it)."""


@dataclass
class AllCollector:
    names: list[str] | None = None
    line: int | None = None
    refs: list[str] = field(default_factory=list)
    """Names of imported modules whose ``__all__`` is concatenated in (``a.__all__ + [...]``)."""
    undecided: str | None = None
    source: bytes | None = None
    """The file's bytes, for astroid (set by the scanner; parsed only when needed)."""
    module: str = ""
    path: str = ""

    # Module-level statements, in source order --------------------------------------------------
    def assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, conditional: bool) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return
        if node.value is None:
            return
        self._record_line(node.lineno)
        try:
            value = self._evaluate_or_infer(node.value)
        except _Undecidable as exc:
            self.undecided = f"line {node.lineno}: {exc}"
            return
        if isinstance(node, ast.AugAssign):
            self.names = (self.names or []) + value
            self.refs += self._pending_refs
        else:
            self.names = value
            self.refs = self._pending_refs
        self._pending_refs = []

    def expr(self, node: ast.Expr, conditional: bool) -> None:
        call = node.value
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "__all__"
        ):
            return
        method = call.func.attr
        try:
            args = [self._evaluate_or_infer(a) if method == "extend" else [self._string(a)] for a in call.args]
        except _Undecidable as exc:
            self.undecided = f"line {node.lineno}: {exc}"
            return
        if self.names is None:
            self.names = []
        if method in ("extend", "append"):
            for arg in args:
                self.names.extend(arg)
            self.refs += self._pending_refs
            self._pending_refs = []
        elif method == "remove" and args and args[0][0] in self.names:
            self.names.remove(args[0][0])
        else:
            self.undecided = f"line {node.lineno}: __all__.{method}(...) is not evaluated"

    # Evaluation ----------------------------------------------------------------------------------
    _pending_refs: list[str] = field(default_factory=list)

    def _evaluate_or_infer(self, node: ast.expr) -> list[str]:
        """Plain ``ast`` first; astroid inference only for the whole expression it could not evaluate."""
        try:
            return self._evaluate(node)
        except _Undecidable as exc:
            self._pending_refs = []
            inferred = _infer_with_astroid(self, node)
            if inferred is None:
                raise _Undecidable(f"{exc} (astroid could not infer it either)") from None
            return inferred

    def _evaluate(self, node: ast.expr) -> list[str]:
        if isinstance(node, (ast.List, ast.Tuple)):
            out: list[str] = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    out.extend(self._evaluate(elt.value))
                else:
                    out.append(self._string(elt))
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._evaluate(node.left) + self._evaluate(node.right)
        if isinstance(node, ast.Name) and node.id == "__all__":  # ``__all__ = __all__ + [...]``
            if self.names is None:
                raise _Undecidable("__all__ used before it is assigned", node)
            return list(self.names)
        if isinstance(node, ast.Attribute) and node.attr == "__all__" and isinstance(node.value, ast.Name):
            self._pending_refs.append(node.value.id)
            return []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple"):
            if len(node.args) == 1:
                return self._evaluate(node.args[0])
        raise _Undecidable(f"__all__ built from {type(node).__name__}", node)

    @staticmethod
    def _string(node: ast.expr) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        raise _Undecidable(f"__all__ element is a {type(node).__name__}, not a string literal")

    def _record_line(self, line: int) -> None:
        if self.line is None:
            self.line = line

    # Result -----------------------------------------------------------------------------------------
    def finish(self, facts: ModuleFacts, tree: ast.Module, source: bytes) -> None:
        facts.dunder_all_line = self.line
        facts.dunder_all_undecided = self.undecided
        if self.undecided is None and self.names is not None:
            facts.dunder_all = list(self.names)
        facts.dunder_all_refs = [_ref_module(facts, r) for r in self.refs]


def _ref_module(facts: ModuleFacts, name: str) -> str:
    """The module an ``x.__all__`` reference names, from how ``x`` was imported."""
    binding = facts.bindings.get(name)
    if binding is None or binding.source is None:
        return name
    module, _, attr = binding.source.partition(":")
    return f"{module}.{attr}" if attr else module


def _infer_with_astroid(collector: AllCollector, node: ast.expr) -> list[str] | None:
    """astroid only for the rare ``__all__`` expression plain ``ast`` cannot evaluate (``_PUBLIC + [...]``,
    ``list(_NAMES)``): the same expression is found in astroid's tree and inferred; every inferred value
    must be the same list of string constants, otherwise it stays undecided."""
    if collector.source is None:
        return None
    try:
        import astroid
        from astroid import nodes

        tree = astroid.parse(collector.source.decode("utf-8", errors="replace"), module_name=collector.module,
                             path=collector.path or None)
        position = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
        matches = [n for n in tree.nodes_of_class(nodes.NodeNG)
                   if (n.lineno, n.col_offset, n.end_lineno, n.end_col_offset) == position
                   and type(n).__name__ == type(node).__name__]
        if len(matches) != 1:
            return None
        answers = []
        for value in matches[0].infer():
            items = getattr(value, "elts", None)
            if items is None or not all(isinstance(getattr(i, "value", None), str) for i in items):
                return None
            answers.append([i.value for i in items])
        if not answers or any(a != answers[0] for a in answers):
            return None
        return answers[0]
    except Exception:  # astroid raises many kinds of inference errors: all mean "cannot decide"
        return None
