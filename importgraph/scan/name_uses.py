"""Names a module uses *while it executes* although they may be unbound then (input of rule IG012).

``if is_torch_available(): import torch`` followed by ``class Net(torch.nn.Module)`` at top level
imports fine with torch and raises ``NameError`` without it. Finding that needs a small
definite-assignment pass over the statements that run at import time:

* it walks module-level statements in order, keeping the names *definitely* bound so far and the
  names *possibly* bound (with the guard that made them optional);
* after an ``if``/``try`` only the names bound on every branch that falls through stay definite;
  a branch that ends in ``raise``/``return`` or ``sys.exit()`` does not fall through, and the
  ``if __name__ == "__main__":`` part never runs on import;
* it looks at the expressions that run at import time: module-level and class-body expressions,
  base classes and class keywords, decorators, default values, and annotations unless
  ``from __future__ import annotations`` is in effect (quoted annotations are strings, never read).
  Function and lambda bodies do not run at import time and are not read.

Only uses of a name that is possibly-but-not-definitely bound *because of an availability, version
or import-error guard* (or ``TYPE_CHECKING``) are recorded, so the facts stay tiny; a builtin name
(``ExceptionGroup`` behind a backport import) falls back to the builtin and is never recorded. A use is
considered guarded (and skipped) when it sits after ``is_x_available() and ...``, in the true arm of
``... if is_x_available() else ...``, or in a ``try`` whose handler catches ``NameError``.
"""

from __future__ import annotations

import ast
import builtins
from contextlib import contextmanager

from ..model import NameUse
from .guards import backend_of_call, catches_import_error, is_type_checking, positive_backends, try_guard
from .python_versions import PYTHON3_MINORS, python_versions

_ANY = None
"""The ``definite`` set of a branch that never falls through (it ends in raise/return)."""

_NAME_ERROR_HANDLERS = {"NameError", "Exception", "BaseException"}

_BUILTINS = frozenset(dir(builtins)) | {"ExceptionGroup", "BaseExceptionGroup", "EncodingWarning", "aiter", "anext",
                                         "PythonFinalizationError"}
"""A module-level name that is not bound falls back to the builtin of that name (``ExceptionGroup`` on 3.11+
where ``exceptiongroup`` supplies it before): no NameError."""

NEWEST_KNOWN_BUILTINS = 14
"""The Python 3 minor version up to which :data:`_BUILTINS` lists every builtin. A later release may add one
(anyio binds ``sentinel`` from typing_extensions only before 3.15, expecting the builtin there): a name unbound
only on versions after this one is undecided, not a NameError."""

_EXITS = {("sys", "exit"), ("os", "_exit"), ("os", "abort"), (None, "exit"), (None, "quit")}
"""Calls that end the process: a branch ending in one does not fall through (``except ImportError:
print(...); sys.exit(1)``)."""


def _ends_process(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Expr) or not isinstance(node.value, ast.Call):
        return False
    func = node.value.func
    if isinstance(func, ast.Name):
        return (None, func.id) in _EXITS
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and (func.value.id, func.attr) in _EXITS


def _is_main_check(test: ast.expr) -> bool:
    """``__name__ == "__main__"``: the block runs when the file is executed as a script, never on import."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def collect_name_uses(tree: ast.Module, walrus: bool = True) -> list[NameUse]:
    """Import-time uses of names bound only under a guard (see module docstring). ``walrus=False`` says
    the source has no ``:=``, so statements need not be searched for assignment expressions."""
    if not any(isinstance(s, ast.If) or isinstance(s, ast.Try) or type(s).__name__ == "TryStar"
               for s in tree.body):
        return []  # without a top-level if/try every binding is unconditional
    walker = _Walker(_has_future_annotations(tree), walrus)
    walker.block(tree.body, set())
    return walker.uses


def _has_future_annotations(tree: ast.Module) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            if any(alias.name == "annotations" for alias in stmt.names):
                return True
    return False


def _terminates(stmts: list[ast.stmt]) -> bool:
    return bool(stmts) and isinstance(stmts[-1], (ast.Raise, ast.Return))


def _bound_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))]


def _guard_label(test: ast.expr) -> str | None:
    if is_type_checking(test):
        return "TYPE_CHECKING"
    backends = positive_backends(test)
    if not backends and isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        backends = positive_backends(test.operand)
    if not backends:
        backends = tuple(sorted({b for n in ast.walk(test) if (b := backend_of_call(n)) is not None}))
    if backends:
        return ", ".join(backends)
    if _mentions_version_info(test):
        return "python version"
    return None


# A guard on the left implies the backends on the right (torchvision needs torch and Pillow).
_IMPLIES = {"torchvision": {"torch", "vision"}, "torchaudio": {"torch"}, "flax": {"jax"}, "timm": {"torch"},
            "accelerate": {"torch"}, "executorch": {"torch"}, "peft": {"torch"}}


def _satisfied(needed: set[str], active: set[str]) -> bool:
    """Does being inside guards ``active`` imply every backend in ``needed``?

    ``is_torch_distributed_available()`` / ``is_torch_xla_available()`` imply torch (prefix rule)."""
    implied = set(active)
    for backend in active:
        implied |= _IMPLIES.get(backend, set())
    return all(b in implied or any(a.startswith(b + "_") for a in implied) for b in needed)


def _is_not_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not) and is_type_checking(test.operand)


def _mentions_version_info(test: ast.expr) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "version_info" for n in ast.walk(test))


class _Walker:
    def __init__(self, future_annotations: bool, walrus: bool = True):
        self.future_annotations = future_annotations
        self.walrus = walrus
        self.uses: list[NameUse] = []
        self.flags: set[str] = set()
        """Names assigned inside a guarded branch (``_apex_loaded = True``): an ``if`` testing one is a guard."""
        self.guarded_depth = 0
        self.active: list[set[str]] = []
        """Backends of the guards the walk is inside (a use under the same guard is fine)."""
        self.maybe: dict[str, tuple[str, int]] = {}
        """Names possibly bound at module level: name -> (guard label, line of the binding statement)."""
        self.bound_on: dict[str, frozenset[int]] = {}
        """For names of ``maybe`` bound only under top-level ``sys.version_info`` tests: the Python 3 minor
        versions on which they are bound."""
        self.depth = 0
        """``if``/``try`` statements the walk is inside."""

    # ------------------------------------------------------------------ statements
    def block(self, stmts: list[ast.stmt], definite: set[str] | None,
              class_locals: set[str] | None = None) -> set[str] | None:
        """Walk ``stmts`` (module level, or a class body when ``class_locals`` is given)."""
        for stmt in stmts:
            if definite is _ANY:
                return _ANY
            definite = self.stmt(stmt, definite, class_locals)
        return definite

    def stmt(self, node: ast.stmt, definite: set[str], class_locals: set[str] | None) -> set[str] | None:
        kind = "class-body" if class_locals is not None else "module-level"
        if isinstance(node, ast.If):
            return self.if_stmt(node, definite, class_locals)
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            return self.try_stmt(node, definite, class_locals)  # type: ignore[arg-type]
        if isinstance(node, (ast.Raise, ast.Return)) or _ends_process(node):
            return _ANY
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function_header(node, definite, class_locals)
            return self.bind([node.name], node.lineno, definite, class_locals)
        if isinstance(node, ast.ClassDef):
            for expr in node.bases + [k.value for k in node.keywords]:
                self.expr(expr, "base", definite, class_locals)
            for deco in node.decorator_list:
                self.expr(deco, "decorator", definite, class_locals)
            self.block(node.body, set(definite), class_locals=set())
            return self.bind([node.name], node.lineno, definite, class_locals)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"]
            return self.bind(names, node.lineno, definite, class_locals)
        if isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.expr(node.value, kind, definite, class_locals)
            if not self.future_annotations and isinstance(node.target, ast.Name):
                self.expr(node.annotation, "annotation", definite, class_locals)
            return self.bind(_bound_names(node.target) if node.value is not None else [], node.lineno,
                             definite, class_locals)
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            self.expr(node.iter if not isinstance(node, ast.While) else node.test, kind, definite, class_locals)
            targets = _bound_names(node.target) if not isinstance(node, ast.While) else []
            inner = self.bind(targets, node.lineno, set(definite), class_locals)
            self.block(node.body + node.orelse, inner, class_locals)
            return definite  # the loop may not run: what it binds stays optional (not guard-related)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expr(item.context_expr, kind, definite, class_locals)
                if item.optional_vars is not None:
                    definite = self.bind(_bound_names(item.optional_vars), node.lineno, definite, class_locals)
            return self.block(node.body, definite, class_locals)
        if isinstance(node, ast.Match):
            self.expr(node.subject, kind, definite, class_locals)
            return definite
        # Assign, AugAssign, Expr, Delete, Assert, Global, ...: read the values, then bind the targets
        if self.maybe:  # (expr() records nothing while no name is possibly bound)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr) and not isinstance(getattr(child, "ctx", None), (ast.Store, ast.Del)):
                    self.expr(child, kind, definite, class_locals)
        targets = [t for t in getattr(node, "targets", [getattr(node, "target", None)]) if t is not None]
        names = [n for t in targets for n in _bound_names(t)]
        if self.walrus:
            for child in ast.walk(node):
                if isinstance(child, ast.NamedExpr) and isinstance(child.target, ast.Name):
                    names.append(child.target.id)
        return self.bind(names, node.lineno, definite, class_locals)

    def bind(self, names: list[str], line: int, definite: set[str], class_locals: set[str] | None) -> set[str]:
        if self.guarded_depth:
            self.flags.update(names)
        if class_locals is not None:
            class_locals.update(names)
            return definite
        return definite | set(names)

    def if_stmt(self, node: ast.If, definite: set[str], class_locals: set[str] | None) -> set[str] | None:
        kind = "class-body" if class_locals is not None else "module-level"
        if _is_not_type_checking(node.test):  # ``if not TYPE_CHECKING:`` always runs its body
            return self.block(node.body, definite, class_locals)
        if _is_main_check(node.test):  # the script part never runs on import
            return self.block(node.orelse, definite, class_locals)
        label = _guard_label(node.test)
        if label != "TYPE_CHECKING":
            self.expr(node.test, kind, definite, class_locals)
        if label == "TYPE_CHECKING":  # the body never runs, the ``else:`` always does
            orelse = self.block(node.orelse, set(definite), class_locals)
            if orelse is not _ANY:
                for name in self._type_checking_names(node.body) - orelse:
                    if self.maybe.get(name, (None, 0))[0] is None:
                        self.maybe[name] = ("TYPE_CHECKING", node.lineno)
            return orelse
        else:
            opaque = label is None and any(isinstance(n, ast.Name) and n.id in self.flags for n in ast.walk(node.test))
            # the versions each branch runs on, for a version test that is not itself inside a condition
            selected = python_versions(node.test) if label == "python version" and not self.depth else None
            with self._inside("*" if opaque else label):
                self.depth += 1
                body = self.block(node.body, set(definite), class_locals)
                orelse = self.block(node.orelse, set(definite), class_locals)
                self.depth -= 1
        versions = None if selected is None else [selected, frozenset(PYTHON3_MINORS) - selected]
        return self.merge(definite, [body, orelse], label, node.lineno, versions)

    @staticmethod
    def _type_checking_names(stmts: list[ast.stmt]) -> set[str]:
        """Names bound under ``if TYPE_CHECKING:`` (for the type checker only)."""
        names = set()
        for stmt in ast.walk(ast.Module(body=stmts, type_ignores=[])):
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                names.update(a.asname or a.name.split(".")[0] for a in stmt.names if a.name != "*")
            elif isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(stmt.name)
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                for target in getattr(stmt, "targets", [getattr(stmt, "target", None)]):
                    names.update(_bound_names(target) if target is not None else [])
        return names

    def try_stmt(self, node: ast.Try, definite: set[str], class_locals: set[str] | None) -> set[str] | None:
        guard = try_guard(node)
        label = ", ".join(guard) if guard else ("ImportError" if catches_import_error(node) else None)
        catches_name_error = any(
            h.type is None or any(getattr(n, "id", getattr(n, "attr", None)) in _NAME_ERROR_HANDLERS
                                  for n in ast.walk(h.type)) for h in node.handlers)
        # Names assigned anywhere in a guarded ``try`` (``HAS_ZSTD = True`` in its ``else:``, ``= False`` in
        # the handler) are flags: an ``if`` testing one is a guard.
        self.guarded_depth += bool(label)
        self.depth += 1
        saved = len(self.uses)
        body = self.block(node.body, set(definite), class_locals)
        if catches_name_error:
            del self.uses[saved:]  # a NameError there is caught: not a failure of the import
        if body is not _ANY:
            with self._inside(", ".join(guard) if guard else None):
                body = self.block(node.orelse, body, class_locals)
        handlers = [self.block(h.body, set(definite) | ({h.name} if h.name else set()), class_locals)
                    for h in node.handlers]
        self.guarded_depth -= bool(label)
        self.depth -= 1
        merged = self.merge(definite, [body, *handlers], label, node.lineno)
        if node.finalbody:
            merged = self.block(node.finalbody, merged if merged is not _ANY else set(definite), class_locals)
        return merged

    @contextmanager
    def _inside(self, label: str | None):
        self.active.append(set(label.split(", ")) if label else set())
        self.guarded_depth += bool(label)
        try:
            yield
        finally:
            self.active.pop()
            self.guarded_depth -= bool(label)

    def merge(self, before: set[str], branches: list[set[str] | None], label: str | None,
              line: int, versions: list[frozenset[int]] | None = None) -> set[str] | None:
        """``versions``: the Python versions each branch runs on (a top-level version test)."""
        live = [b for b in branches if b is not _ANY]
        if not live:
            return _ANY
        after = set.intersection(*live)
        for name in set.union(*live) - after:
            on = None if versions is None else \
                frozenset().union(*(v for b, v in zip(branches, versions) if b is not _ANY and name in b))
            if name not in self.maybe or self.maybe[name][0] in (None, "TYPE_CHECKING"):
                self.maybe[name] = (label, line) if label else self.maybe.get(name, (None, line))
                if on is None:
                    self.bound_on.pop(name, None)
                else:
                    self.bound_on[name] = on
            elif on is not None and name in self.bound_on:  # bound under another top-level version test too
                self.bound_on[name] |= on
            else:  # bound under several different conditions: the versions alone no longer say when
                self.bound_on.pop(name, None)
        return after

    # ------------------------------------------------------------------ expressions
    def function_header(self, node: ast.FunctionDef | ast.AsyncFunctionDef, definite: set[str],
                        class_locals: set[str] | None) -> None:
        for deco in node.decorator_list:
            self.expr(deco, "decorator", definite, class_locals)
        args = node.args
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.expr(default, "default", definite, class_locals)
        if self.future_annotations:
            return
        every = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
        for arg in every:
            if arg.annotation is not None:
                self.expr(arg.annotation, "annotation", definite, class_locals)
        if node.returns is not None:
            self.expr(node.returns, "annotation", definite, class_locals)

    def expr(self, node: ast.expr, kind: str, definite: set[str], class_locals: set[str] | None) -> None:
        if not self.maybe:
            return
        stack: list[tuple[ast.AST, frozenset[str]]] = [(node, frozenset())]
        while stack:
            current, shadowed = stack.pop()
            if isinstance(current, ast.Lambda):
                continue  # runs when called
            if isinstance(current, ast.Name):
                self._use(current, kind, definite, class_locals, shadowed)
                continue
            if isinstance(current, ast.BoolOp):
                for value in current.values:
                    stack.append((value, shadowed))
                    negated = isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)
                    if (_guard_label(value) is not None or self._is_flag(value)) and \
                            negated == isinstance(current.op, ast.Or):
                        break  # ``guard() and X`` / ``not guard() or X``: X runs only when the guard holds
                continue
            if isinstance(current, ast.IfExp) and _guard_label(current.test) is not None:
                negated = isinstance(current.test, ast.UnaryOp) and isinstance(current.test.op, ast.Not)
                stack.append((current.test, shadowed))
                stack.append((current.body if negated else current.orelse, shadowed))  # the unguarded arm
                continue
            if isinstance(current, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
                shadowed = shadowed | {n for g in current.generators for n in _bound_names(g.target)}
            for child in ast.iter_child_nodes(current):
                stack.append((child, shadowed))

    def _is_flag(self, test: ast.expr) -> bool:
        """``scipy_installed`` / ``not scipy_installed``: a name set under a guard (see ``flags``)."""
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test = test.operand
        return isinstance(test, ast.Name) and test.id in self.flags

    def _use(self, node: ast.Name, kind: str, definite: set[str], class_locals: set[str] | None,
             shadowed: frozenset[str]) -> None:
        name = node.id
        if not isinstance(node.ctx, ast.Load) or name in definite or name in shadowed:
            return
        if class_locals is not None and name in class_locals:
            return
        guard = self.maybe.get(name)
        if guard is None or guard[0] is None or name in _BUILTINS:
            return
        active = set().union(*self.active)
        if "*" in active or _satisfied(set(guard[0].split(", ")), active):
            return  # used under the same guard that binds it (or one that implies it)
        others = tuple(sorted(active - {"python version"}))  # the availability guards the use sits under
        on = self.bound_on.get(name) if guard[0] == "python version" else None
        self.uses.append(NameUse(name, node.lineno, kind, guard[0], guard[1], others,
                                 None if on is None else tuple(sorted(on))))
