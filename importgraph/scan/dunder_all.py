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
    pass


@dataclass
class AllCollector:
    names: list[str] | None = None
    line: int | None = None
    refs: list[str] = field(default_factory=list)
    """Names of imported modules whose ``__all__`` is concatenated in (``a.__all__ + [...]``)."""
    undecided: str | None = None

    # Module-level statements, in source order --------------------------------------------------
    def assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, conditional: bool) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return
        if node.value is None:
            return
        self._record_line(node.lineno)
        try:
            value = self._evaluate(node.value)
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
            args = [self._evaluate(a) if method == "extend" else [self._string(a)] for a in call.args]
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
        if isinstance(node, ast.Attribute) and node.attr == "__all__" and isinstance(node.value, ast.Name):
            self._pending_refs.append(node.value.id)
            return []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("list", "tuple"):
            if len(node.args) == 1:
                return self._evaluate(node.args[0])
        raise _Undecidable(f"__all__ built from {type(node).__name__}")

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
        if self.undecided is not None:
            inferred = _infer_with_astroid(source, facts.name, facts.path)
            if inferred is not None:
                self.names, self.undecided, self.refs = inferred, None, []
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


def _infer_with_astroid(source: bytes, module: str, path: str) -> list[str] | None:
    """astroid only for the rare ``__all__`` that plain ``ast`` cannot evaluate."""
    try:
        import astroid

        tree = astroid.parse(source.decode("utf-8", errors="replace"), module_name=module, path=path)
        values = tree.igetattr("__all__")
        value = next(values)
        items = getattr(value, "elts", None)
        if items is None:
            return None
        names = []
        for item in items:
            inferred = next(item.infer())
            if not isinstance(getattr(inferred, "value", None), str):
                return None
            names.append(inferred.value)
        return names
    except Exception:  # astroid raises many kinds of inference errors: all mean "cannot decide"
        return None
