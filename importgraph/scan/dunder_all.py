"""``__all__`` as Python computes it, from the module-level statements that build it.

Literal lists and tuples, ``+=``, ``.extend``, ``.append``, ``.remove``, ``list``/``tuple``/``sorted``, lists
and dicts the file assigns once and never changes in place (``_PUBLIC + [...]``, ``list(_MAP.keys())``), and
another module's ``__all__`` (``sub.__all__``, ``from .sub import __all__ as sub_all``: a reference, read
from that module's own facts) are evaluated with plain ``ast``. Anything else is computed at run time (a
comprehension over ``dir()``, a function filling a list, ``exec``): the module records why instead of guessing.

astroid used to get those; it infers what is *written*, not what runs, so it answered ``[]`` for every list
filled by ``append`` or ``exec`` (scipy's ``stats._continuous_distns``, ``_lib.array_api_compat.cupy``: 6 of
the 15 expressions it decided across this machine's site-packages were wrong) and spent seconds per
``dir()`` comprehension (10 s of one process on scipy).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..model import ModuleFacts
from .read import dotted_name


class _Undecidable(Exception):
    def __init__(self, reason: str, node: ast.expr | None = None):
        super().__init__(reason)
        self.node = node
        """The expression that could not be evaluated."""


@dataclass
class AllCollector:
    names: list[str] | None = None
    line: int | None = None
    refs: list[str] = field(default_factory=list)
    """Names of imported modules whose ``__all__`` is concatenated in (``a.__all__ + [...]``)."""
    undecided: str | None = None
    tree: ast.Module | None = None
    """The file's tree (set by the scanner): where the names ``__all__`` is built from are bound."""

    # Module-level statements, in source order --------------------------------------------------
    def assign(self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, conditional: bool) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return
        if node.value is None:
            return
        self._record_line(node.lineno)
        try:
            value = self._value(node.value)
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
            args = [self._value(a) if method == "extend" else [self._string(a)] for a in call.args]
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
    _index: tuple[dict[str, list[ast.AST]], set[str]] | None = None

    def _value(self, node: ast.expr) -> list[str]:
        """``_evaluate``, forgetting the references of an expression that turns out undecidable."""
        try:
            return self._evaluate(node)
        except _Undecidable:
            self._pending_refs = []
            raise

    def _evaluate(self, node: ast.expr, depth: int = 0) -> list[str]:
        if isinstance(node, (ast.List, ast.Tuple)):
            out: list[str] = []
            for elt in node.elts:
                if isinstance(elt, ast.Starred):
                    out.extend(self._evaluate(elt.value, depth))
                else:
                    out.append(self._string(elt))
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._evaluate(node.left, depth) + self._evaluate(node.right, depth)
        if isinstance(node, ast.Name) and node.id == "__all__":  # ``__all__ = __all__ + [...]``
            if self.names is None:
                raise _Undecidable("__all__ used before it is assigned", node)
            return list(self.names)
        if isinstance(node, ast.Attribute) and node.attr == "__all__" and dotted_name(node.value) is not None:
            self._pending_refs.append(dotted_name(node.value))  # ``sub.__all__``, ``_private.utils.__all__``
            return []
        if isinstance(node, ast.Name):
            return self._constant(node, depth)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1 \
                and not node.keywords and node.func.id in ("list", "tuple", "sorted"):
            arg = node.args[0]
            if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "keys" \
                    and not arg.args and not arg.keywords:
                arg = arg.func.value  # ``list(d.keys())`` is ``list(d)``
            refs = len(self._pending_refs)
            values = self._dict_keys(arg, depth)
            if values is None:
                values = self._evaluate(arg, depth)
            if node.func.id != "sorted":
                return values
            if len(self._pending_refs) != refs:
                raise _Undecidable("sorted() over another module's __all__", node)
            return sorted(values)
        raise _Undecidable(f"__all__ built from {type(node).__name__}", node)

    def _constant(self, node: ast.Name, depth: int) -> list[str]:
        """A name in ``__all__``'s expression: another module's ``__all__`` imported under it (a reference),
        or a list the file assigns once, above, and never changes in place (``_PUBLIC + [...]``). Anything
        else is computed at run time (a loop, a function, ``exec``): undecided, never guessed."""
        if self._imported_all(node.id):
            self._pending_refs.append(node.id)
            return []
        value = self._assigned_once(node, depth)
        if isinstance(value, ast.Dict):
            raise _Undecidable(f"__all__ uses the dict {node.id} as a list", node)
        return self._evaluate(value, depth + 1)

    def _dict_keys(self, node: ast.expr, depth: int) -> list[str] | None:
        """The keys of a dict literal, or of a dict the file assigns once to this name (``list(_MAP)``); None
        when ``node`` is no dict."""
        if isinstance(node, ast.Name) and node.id != "__all__" and not self._imported_all(node.id):
            node = self._assigned_once(node, depth)
        if not isinstance(node, ast.Dict):
            return None
        if any(key is None for key in node.keys):
            raise _Undecidable("__all__ uses the keys of a dict with ** entries", node)
        return [self._string(key) for key in node.keys]

    def _assigned_once(self, node: ast.Name, depth: int) -> ast.expr:
        stores, changed = self._names()
        found = stores.get(node.id, [])
        if depth > 20 or len(found) != 1 or not _assigns_only(found[0], node.id) or found[0].lineno >= node.lineno \
                or not any(statement is found[0] for statement in self.tree.body):
            raise _Undecidable(f"__all__ uses {node.id}, which is not a list assigned once above it, at module level",
                               node)
        if node.id in changed:
            raise _Undecidable(f"__all__ uses {node.id}, which the file changes in place", node)
        return found[0].value

    def _imported_all(self, name: str) -> bool:
        """``from .cli import __all__ as cli_all``: the name is that module's ``__all__``."""
        found = self._names()[0].get(name, [])
        return len(found) == 1 and isinstance(found[0], ast.ImportFrom) and \
            any(alias.name == "__all__" and alias.asname == name for alias in found[0].names)

    def _names(self) -> tuple[dict[str, list[ast.AST]], set[str]]:
        """The file's bindings (name -> every statement binding it) and the names it changes in place, read
        from its tree the first time ``__all__`` uses a name (rare: most ``__all__`` are literals)."""
        if self._index is None:
            self._index = _bindings(self.tree) if self.tree is not None else ({}, set())
        return self._index

    @staticmethod
    def _string(node: ast.expr) -> str:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        raise _Undecidable(f"__all__ element is a {type(node).__name__}, not a string literal")

    def _record_line(self, line: int) -> None:
        if self.line is None:
            self.line = line

    # Result -----------------------------------------------------------------------------------------
    def finish(self, facts: ModuleFacts) -> None:
        facts.dunder_all_line = self.line
        facts.dunder_all_undecided = self.undecided
        if self.undecided is None and self.names is not None:
            facts.dunder_all = list(self.names)
        facts.dunder_all_refs = [_ref_module(facts, r) for r in self.refs]


def _ref_module(facts: ModuleFacts, reference: str) -> str:
    """The module a reference names, from how its first name was bound: ``x`` of ``x.__all__`` (``import
    a.b as x``, ``from . import x``; a dotted ``x.y`` goes on from there), or ``x`` bound by ``from m import
    __all__ as x`` (the module ``m``)."""
    head, dot, rest = reference.partition(".")
    binding = facts.bindings.get(head)
    if binding is None or binding.kind != "import" or binding.source is None:
        return reference
    module, _, attr = binding.source.partition(":")
    base = module if not attr or attr == "__all__" else f"{module}.{attr}"
    return f"{base}.{rest}" if dot else base


_MUTATORS = frozenset({"append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "update",
                       "setdefault", "popitem", "add", "discard"})


def _assigns_only(statement: ast.AST, name: str) -> bool:
    """``name = value`` (or annotated), not an unpacking or a chained assignment to other names too."""
    if isinstance(statement, ast.AnnAssign):
        return statement.value is not None and isinstance(statement.target, ast.Name)
    return isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
        isinstance(statement.targets[0], ast.Name) and statement.targets[0].id == name


def _bindings(tree: ast.Module) -> tuple[dict[str, list[ast.AST]], set[str]]:
    """In one walk of the file: name -> every statement or node that binds it, wherever it is (a function's
    local too), and the names it changes in place (``x.append(...)`` and the like, ``x += ...``, ``x[k] = ...``)."""
    stores: dict[str, list[ast.AST]] = {}
    changed: set[str] = set()
    targets_seen: set[int] = set()  # the target names of assignments, recorded with their statement
    for node in ast.walk(tree):  # breadth first: a statement comes before its target names
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        stores.setdefault(sub.id, []).append(node)
                        targets_seen.add(id(sub))
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and id(node) not in targets_seen:
            stores.setdefault(node.id, []).append(node)  # a loop, ``with ... as``, a walrus, ``del``, ``+=``
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                stores.setdefault((alias.asname or alias.name).split(".")[0], []).append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.Global):
            for name in node.names:
                stores.setdefault(name, []).append(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS \
                and isinstance(node.func.value, ast.Name):
            changed.add(node.func.value.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            changed.add(node.target.id)
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)) \
                and isinstance(node.value, ast.Name):
            changed.add(node.value.id)
    return stores, changed
