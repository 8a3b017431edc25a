"""A small abstract interpreter for the module-level code of lazy ``__init__.py`` files.

It runs the statements an init uses to build its lazy structure — dict and list literals and their
mutations, comprehensions, ``if``/``try`` guards, ``for`` loops over known values — with the
availability helpers (``is_torch_available()``) answered by the modelled :class:`Environment`.
It never imports or calls anything of the analysed package: calls it does not know evaluate to
:class:`Unknown`, and a guard that depends on an unknown value is reported as undecided, not guessed.
"""

from __future__ import annotations

import ast
import builtins
import operator
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..model import Environment, TypeCheckingImport, Undecided, normalise_backend
from ..scan.guards import backend_of_call, is_type_checking
from .values import (
    Builtin,
    ExceptionValue,
    Function,
    Globals,
    ImportedName,
    Lambda,
    LazyBuild,
    ModuleRef,
    ObjectRef,
    PathValue,
    SysModules,
    Tagged,
    Unknown,
)

MAX_LOOP = 100_000
"""A loop over more items than this is not evaluated (a hostile init cannot make us spin)."""

_BUILTINS = {"set", "frozenset", "list", "tuple", "dict", "sorted", "len", "str", "dir", "globals", "setattr",
             "getattr", "hasattr", "isinstance", "any", "all", "print", "reversed", "enumerate", "zip", "bool",
             "min", "max", "sum", "int", "repr", "iter"}
_PURE_METHODS = {
    str: {"startswith", "endswith", "replace", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper",
          "join", "partition", "rpartition", "count", "format", "removeprefix", "removesuffix", "isidentifier"},
    list: {"copy", "index", "count"},
    dict: {"keys", "values", "items", "get", "copy"},
    set: {"union", "difference", "intersection", "copy", "issubset", "issuperset"},
    frozenset: {"union", "difference", "intersection", "copy", "issubset", "issuperset"},
    tuple: {"index", "count"},
}
_MUTATING_METHODS = {
    list: {"append", "extend", "insert", "remove", "pop", "clear", "sort"},
    dict: {"update", "setdefault", "pop", "clear"},
    set: {"add", "update", "discard", "remove", "clear"},
}
_BINOPS: dict[type, Callable] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.BitOr: operator.or_, ast.BitAnd: operator.and_,
    ast.Mult: operator.mul, ast.Mod: operator.mod,
}
_CMPOPS: dict[type, Callable] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_, ast.IsNot: operator.is_not, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
_RE_FLAGS = {"MULTILINE", "M", "IGNORECASE", "I", "DOTALL", "S", "VERBOSE", "X", "ASCII", "A"}


class _Raised(Exception):
    """An exception the evaluated code raised (``raise OptionalDependencyNotAvailable()``)."""

    def __init__(self, name: str, line: int):
        super().__init__(name)
        self.name = name
        self.line = line


class _Stop(Exception):
    """Evaluation cannot continue (an unknown exception escaped, or the code returned)."""


@dataclass
class Mutation:
    """A write into a dict that may be a lazy structure: lets rules spot dead entries."""

    container: int
    key: object
    line: int
    overwrote: object = None


@dataclass
class EvaluationResult:
    scope: dict[str, object]
    builds: list[LazyBuild]
    type_checking: list[TypeCheckingImport]
    undecided: list[Undecided]
    mutations: list[Mutation]
    functions: dict[str, Function]
    raised: Undecided | None = None
    """Set when the module-level code raises in the modelled environment (importing it fails)."""


@dataclass
class Hooks:
    """Calls the lazy stage knows how to evaluate (``define_import_structure``) and package lookups."""

    is_module: Callable[[str], bool] = lambda name: False
    public_names: Callable[[str], list[tuple[str, int]] | None] = lambda name: None
    call: Callable[[ImportedName, list, dict, int], object] | None = None
    """Called for ``ImportedName`` callees the evaluator does not handle; returns ``NotImplemented`` to decline."""
    backends: frozenset[str] = frozenset()
    """Import names of the package's optional backends: ``import torch`` fails when torch is modelled absent."""


class Evaluator:
    """Evaluates one module's top-level statements. Use :meth:`run` once."""

    def __init__(self, module: str, path: str, is_package: bool, env: Environment, hooks: Hooks | None = None,
                 resolver: Callable[[str], object] | None = None):
        self.module = module
        self.path = path
        self.package = module if is_package else module.rpartition(".")[0]
        self.env = env
        self.hooks = hooks or Hooks()
        self.resolver = resolver
        self.spec = Unknown("__spec__")
        """The module's ``__spec__``: only its ``.name`` and ``.parent`` are modelled (see :meth:`eval_Attribute`)."""
        self.scope: dict[str, object] = {"__name__": module, "__file__": path, "__spec__": self.spec}
        self.guard: frozenset[str] = frozenset()
        self.queries: list[tuple[str, bool]] = []
        self.builds: list[LazyBuild] = []
        self.type_checking: list[TypeCheckingImport] = []
        self.undecided: list[Undecided] = []
        self.mutations: list[Mutation] = []
        self.functions: dict[str, Function] = {}
        self.in_type_checking = False
        self.raised: Undecided | None = None
        """Set when the module-level code raises in the modelled environment (the import fails)."""

    # ================================================================== statements
    def run(self, body: list[ast.stmt]) -> EvaluationResult:
        for index, stmt in enumerate(body):
            try:
                self.stmt(stmt)
            except _Raised as exc:
                self.raised = Undecided(
                    self.path, exc.line,
                    f"module raises {exc.name} at import time (line {exc.line}): importing it fails and nothing "
                    "below runs; what is declared below is shown as written but is never built at runtime")
                self.undecided.append(self.raised)
                self.unreachable(body[index + 1:])
                break
            except _Stop:
                break
        return EvaluationResult(self.scope, self.builds, self.type_checking, self.undecided, self.mutations,
                                self.functions, self.raised)

    def unreachable(self, body: list[ast.stmt]) -> None:
        """Statements after an import-time ``raise``: evaluated one by one, only to show what they declare."""
        for stmt in body:
            try:
                self.stmt(stmt)
            except _Raised:
                continue
            except _Stop:
                return

    def note(self, line: int, reason: str) -> None:
        self.undecided.append(Undecided(self.path, line, reason))

    def block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.stmt(stmt)

    def stmt(self, node: ast.stmt) -> None:
        method = _STATEMENTS.get(type(node))
        if method is not None:
            method(self, node)

    def stmt_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if self.in_type_checking:
                self.type_checking.append(TypeCheckingImport(alias.name, "", node.lineno, tuple(sorted(self.guard))))
            self.check_backend_import(alias.name, node.lineno)
            if alias.asname:
                self.scope[alias.asname] = ModuleRef(alias.name)
            else:
                top = alias.name.split(".")[0]
                self.scope[top] = ModuleRef(top)

    def stmt_ImportFrom(self, node: ast.ImportFrom) -> None:
        source = self.absolute(node.module, node.level)
        if source is None:
            self.note(node.lineno, "relative import climbs above the top-level package")
            return
        self.check_backend_import(source, node.lineno)
        for alias in node.names:
            if self.in_type_checking:
                self.type_checking.append(
                    TypeCheckingImport(source, alias.name, node.lineno, tuple(sorted(self.guard))))
            if alias.name == "*":
                continue
            bound = alias.asname or alias.name
            if alias.name == "TYPE_CHECKING":
                self.scope[bound] = False
            elif self.hooks.is_module(f"{source}.{alias.name}"):
                self.scope[bound] = ModuleRef(f"{source}.{alias.name}")
            else:
                self.scope[bound] = ImportedName(source, alias.name)

    def check_backend_import(self, module: str, line: int) -> None:
        """``import torch`` under ``try:`` raises ImportError when the environment has no torch."""
        top = normalise_backend(module.split(".")[0])
        if top in self.hooks.backends and not self.env.has(top):
            raise _Raised("ImportError", line)

    def stmt_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        function = Function(node)
        self.scope[node.name] = function
        if not self.in_type_checking:
            self.functions[node.name] = function

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def stmt_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope[node.name] = Unknown(f"class {node.name}", node.lineno)

    def stmt_Assign(self, node: ast.Assign) -> None:
        value = self.eval(node.value)
        for target in node.targets:
            self.assign(target, value, node.lineno)

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.assign(node.target, self.eval(node.value), node.lineno)

    def stmt_AugAssign(self, node: ast.AugAssign) -> None:
        current = self.eval(node.target)
        value = self.eval(node.value)
        if isinstance(current, list) and isinstance(node.op, ast.Add) and isinstance(value, (list, tuple, set)):
            current.extend(value)  # ``+=`` on a list mutates it in place
            return
        if isinstance(current, set) and isinstance(node.op, ast.BitOr) and isinstance(value, (set, frozenset)):
            current.update(value)
            return
        self.assign(node.target, self.binop(node.op, current, value, node.lineno), node.lineno)

    def stmt_Expr(self, node: ast.Expr) -> None:
        self.eval(node.value)

    def stmt_If(self, node: ast.If) -> None:
        if is_type_checking(node.test):
            self.type_checking_block(node.body)
            self.block(node.orelse)
            return
        queries_before = len(self.queries)
        test = self.eval(node.test)
        if isinstance(test, Unknown):
            self.note(node.lineno, f"condition not decidable statically ({test.reason}); neither branch evaluated")
            return
        # Whichever branch runs, it runs because these backends answered "available" (``if not (a() and
        # b()): dummies / else: real`` guards the else branch with a and b).
        positives = frozenset(b for b, ok in self.queries[queries_before:] if ok)
        self.guarded(positives, node.body if self.truth(test) else node.orelse)

    def type_checking_block(self, body: list[ast.stmt]) -> None:
        """Record the ``TYPE_CHECKING`` half (its imports) without letting it change the runtime scope."""
        saved_scope, saved_flag = dict(self.scope), self.in_type_checking
        saved_contents = _snapshot(saved_scope.values())
        saved_builds, saved_mutations = len(self.builds), len(self.mutations)
        self.in_type_checking = True
        try:
            self.block(body)
        except _Raised:
            pass
        finally:
            _restore(saved_contents)  # containers mutated in place (``_import_structure[k] = ...``) too
            self.scope, self.in_type_checking = saved_scope, saved_flag
            del self.builds[saved_builds:]
            del self.mutations[saved_mutations:]

    def guarded(self, backends: frozenset[str], body: list[ast.stmt]) -> None:
        saved = self.guard
        self.guard = saved | backends
        try:
            self.block(body)
        finally:
            self.guard = saved

    def stmt_Try(self, node: ast.Try) -> None:
        queries_before = len(self.queries)
        try:
            try:
                tested = _name_tested_for(node)
                if tested is not None and tested not in self.scope and not hasattr(builtins, tested):
                    # ``try: __NUMPY_SETUP__ / except NameError: __NUMPY_SETUP__ = False`` (numpy): a setup script
                    # may inject the name into builtins; an import of the installed package finds it unbound
                    raise _Raised("NameError", node.lineno)
                self.block(node.body)
            except _Raised as exc:
                handler = self.matching_handler(node, exc.name)
                if handler is None:
                    raise
                if handler.name:
                    self.scope[handler.name] = ExceptionValue(exc.name)
                self.block(handler.body)
            else:
                positives = frozenset(b for b, ok in self.queries[queries_before:] if ok)
                self.guarded(positives, node.orelse)
        finally:
            self.block(node.finalbody)

    stmt_TryStar = stmt_Try

    def matching_handler(self, node: ast.Try, raised: str) -> ast.ExceptHandler | None:
        for handler in node.handlers:
            if handler.type is None:
                return handler
            types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            for expr in types:
                name = expr.id if isinstance(expr, ast.Name) else getattr(expr, "attr", None)
                if name in (raised, "Exception", "BaseException") or (
                    raised == "ModuleNotFoundError" and name == "ImportError"):
                    return handler
        return None

    def stmt_Raise(self, node: ast.Raise) -> None:
        exc = self.eval(node.exc) if node.exc is not None else ExceptionValue("RuntimeError")
        if isinstance(exc, ExceptionValue):
            raise _Raised(exc.name, node.lineno)
        if isinstance(exc, (ImportedName, Builtin)):
            raise _Raised(exc.name, node.lineno)
        # An exception class we have no value for: its name is still written in the source, and handlers
        # are matched by name.
        written = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        name = written.id if isinstance(written, ast.Name) else getattr(written, "attr", None)
        raise _Raised(name or getattr(exc, "reason", "Exception"), node.lineno)

    def stmt_For(self, node: ast.For) -> None:
        iterable = self.eval(node.iter)
        items = self.iterate(iterable, node.lineno)
        if items is None:
            return
        if self.setattr_loop(node, items):
            return
        for item in items:
            self.assign(node.target, item, node.lineno)
            self.block(node.body)
        self.block(node.orelse)

    def setattr_loop(self, node: ast.For, items: list) -> bool:
        """``for name, value in objects.items(): setattr(sys.modules[__name__], name, value)``, run as the general
        loop would (same scope, same ``setattr``) without evaluating the loop-invariant target again per item.

        diffusers' and transformers 4.x's inits set every dummy object so: a few hundred per init, and rule IG013
        evaluates each init once more per backend it models missing (~100k iterations on diffusers). False, and
        nothing done, when the loop has another shape."""
        target, body = node.target, node.body
        if node.orelse or len(body) != 1 or not isinstance(body[0], ast.Expr) or not isinstance(target, ast.Tuple):
            return False
        call = body[0].value
        names = [elt.id for elt in target.elts if isinstance(elt, ast.Name)]
        if (len(names) != 2 or len(target.elts) != 2 or names[0] == names[1] or "__getattr__" in names
                or not isinstance(call, ast.Call) or call.keywords or len(call.args) != 3
                or [getattr(arg, "id", None) for arg in call.args[1:]] != names
                or not isinstance(call.func, ast.Name) or call.func.id != "setattr"):
            return False
        # the object must not depend on the loop (no loop name, nothing that could have an effect: no call)
        if any(isinstance(n, ast.Call) or (isinstance(n, ast.Name) and n.id in names) for n in ast.walk(call.args[0])):
            return False
        if not all(isinstance(item, (list, tuple)) and len(item) == 2 for item in items):
            return False
        if self.eval(call.func) != Builtin("setattr"):
            return False
        obj = self.eval(call.args[0])
        for name, value in items:
            self.scope[names[0]], self.scope[names[1]] = name, value
            self.set_attribute(obj, name, value, call.lineno)
        return True

    def stmt_With(self, node: ast.With) -> None:
        self.block(node.body)

    def stmt_Return(self, node: ast.Return) -> None:
        raise _Stop()

    # ================================================================== assignment
    def assign(self, target: ast.expr, value: object, line: int) -> None:
        if isinstance(target, ast.Name):
            self.scope[target.id] = value
            if isinstance(value, LazyBuild) and target.id in ("__getattr__",):
                value.installed = True
        elif isinstance(target, (ast.Tuple, ast.List)):
            if isinstance(value, LazyBuild):
                value.installed = value.installed or any(isinstance(e, ast.Name) and e.id == "__getattr__"
                                                         for e in target.elts)
                for elt in target.elts:
                    if isinstance(elt, ast.Name):
                        self.scope[elt.id] = Unknown("lazy_loader result", line)
                return
            if isinstance(value, (list, tuple)) and len(value) == len(target.elts):
                for elt, item in zip(target.elts, value):
                    self.assign(elt, item, line)
            else:
                for elt in target.elts:
                    self.assign(elt, Unknown("unpacking", line), line)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value)
            key = self.eval(target.slice)
            if isinstance(container, SysModules):
                if isinstance(value, LazyBuild):
                    value.installed = True
                return
            if isinstance(container, dict) and not isinstance(key, Unknown):
                self.mutations.append(Mutation(id(container), key, line, container.get(key)))
                container[key] = value
            elif isinstance(container, list) and isinstance(key, int):
                container[key] = value
            elif isinstance(container, Globals) and isinstance(key, str):
                self.scope[key] = value
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, line)

    # ================================================================== expressions
    def eval(self, node: ast.expr) -> object:
        method = _EXPRESSIONS.get(type(node))
        if method is None:
            return Unknown(f"{type(node).__name__} expression", getattr(node, "lineno", 0))
        return method(self, node)

    def eval_Constant(self, node: ast.Constant) -> object:
        if isinstance(node.value, str):
            return Tagged(node.value, self.path, node.lineno, self.guard)
        return node.value

    def eval_JoinedStr(self, node: ast.JoinedStr) -> object:
        parts = []
        for value in node.values:
            part = self.eval(value.value if isinstance(value, ast.FormattedValue) else value)
            if isinstance(part, Unknown):
                return part
            parts.append(str(part))
        return Tagged("".join(parts), self.path, node.lineno, self.guard)

    def eval_Name(self, node: ast.Name) -> object:
        if node.id in self.scope:
            return self.scope[node.id]
        if self.resolver is not None:
            value = self.resolver(node.id)
            if value is not None:
                return value
        if node.id in _BUILTINS:
            return Builtin(node.id)
        if node.id in ("ImportError", "ModuleNotFoundError", "RuntimeError", "ValueError", "AttributeError"):
            return ExceptionValue(node.id)
        return Unknown(f"name {node.id!r}", node.lineno)

    def eval_List(self, node: ast.List) -> object:
        return self.sequence(node.elts, list)

    def eval_Tuple(self, node: ast.Tuple) -> object:
        return self.sequence(node.elts, tuple)

    def eval_Set(self, node: ast.Set) -> object:
        return self.sequence(node.elts, set)

    def sequence(self, elts: list[ast.expr], kind: type) -> object:
        out: list[object] = []
        for elt in elts:
            if isinstance(elt, ast.Starred):
                inner = self.iterate(self.eval(elt.value), elt.lineno)
                if inner is None:
                    return Unknown("starred element", elt.lineno)
                out.extend(inner)
            else:
                value = self.eval(elt)
                if isinstance(value, Unknown):
                    return value
                out.append(value)
        try:
            return kind(out)
        except TypeError as exc:
            return Unknown(str(exc), elts[0].lineno if elts else 0)

    def eval_Dict(self, node: ast.Dict) -> object:
        out: dict = {}
        for key_node, value_node in zip(node.keys, node.values):
            value = self.eval(value_node)
            if key_node is None:
                if not isinstance(value, dict):
                    return Unknown("** of an unknown mapping", value_node.lineno)
                out.update(value)
                continue
            key = self.eval(key_node)
            if isinstance(key, Unknown):
                return key
            try:
                out[key] = value
            except TypeError:
                return Unknown("unhashable key", key_node.lineno)
        return out

    def eval_BinOp(self, node: ast.BinOp) -> object:
        return self.binop(node.op, self.eval(node.left), self.eval(node.right), node.lineno)

    def binop(self, op: ast.operator, left: object, right: object, line: int) -> object:
        if isinstance(left, Unknown):
            return left
        if isinstance(right, Unknown):
            return right
        if isinstance(op, ast.Div) and isinstance(left, PathValue) and isinstance(right, str):
            return PathValue(os.path.join(left.path, right))
        func = _BINOPS.get(type(op))
        if func is None:
            return Unknown(f"operator {type(op).__name__}", line)
        if isinstance(op, ast.Mod) and isinstance(left, str):
            return Unknown("%-formatting", line)
        try:
            result = func(left, right)
        except Exception as exc:  # the evaluated code would raise here too
            return Unknown(f"{type(exc).__name__} in {type(op).__name__}", line)
        if isinstance(result, str) and isinstance(left, Tagged):
            return Tagged(result, left.path, left.line, left.guard)
        return result

    def eval_BoolOp(self, node: ast.BoolOp) -> object:
        is_and = isinstance(node.op, ast.And)
        result: object = None
        for value_node in node.values:
            result = self.eval(value_node)
            if isinstance(result, Unknown):
                return result
            if self.truth(result) != is_and:
                return result
        return result

    def eval_UnaryOp(self, node: ast.UnaryOp) -> object:
        value = self.eval(node.operand)
        if isinstance(value, Unknown):
            return value
        if isinstance(node.op, ast.Not):
            return not self.truth(value)
        if isinstance(node.op, ast.USub) and isinstance(value, (int, float)):
            return -value
        return Unknown("unary operator", node.lineno)

    def eval_Compare(self, node: ast.Compare) -> object:
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator)
            if isinstance(left, Unknown):
                return left
            if isinstance(right, Unknown):
                return right
            try:
                ok = _CMPOPS[type(op)](left, right)
            except Exception as exc:
                return Unknown(f"{type(exc).__name__} in comparison", node.lineno)
            if not ok:
                return False
            left = right
        return True

    def eval_IfExp(self, node: ast.IfExp) -> object:
        test = self.eval(node.test)
        if isinstance(test, Unknown):
            return test
        return self.eval(node.body if self.truth(test) else node.orelse)

    def eval_Attribute(self, node: ast.Attribute) -> object:
        base = self.eval(node.value)
        attr = node.attr
        if base is self.spec and attr in ("name", "parent"):  # pydantic's ``(__spec__.parent, ".main")``
            return self.module if attr == "name" else self.package
        if isinstance(base, Unknown):
            return base
        if isinstance(base, ModuleRef):
            if base.name == "sys" and attr == "modules":
                return SysModules()
            if base.name == "re" and attr in _RE_FLAGS:
                return getattr(re, attr)
            if base.name == "typing" and attr == "TYPE_CHECKING":
                return False
            if base.name == "os" and attr == "path":
                return ModuleRef("os.path")
            if self.hooks.is_module(f"{base.name}.{attr}"):
                return ModuleRef(f"{base.name}.{attr}")
            return ImportedName(base.name, attr)
        if isinstance(base, PathValue):
            if attr == "parent":
                return PathValue(os.path.dirname(base.path))
            if attr == "name":
                return os.path.basename(base.path)
        if isinstance(base, (str, list, dict, set, frozenset, tuple)) or hasattr(base, "search"):
            return _BoundMethod(base, attr)
        return Unknown(f"attribute .{attr}", node.lineno)

    def eval_Subscript(self, node: ast.Subscript) -> object:
        base = self.eval(node.value)
        key = self.eval(node.slice)
        if isinstance(base, Unknown):
            return base
        if isinstance(key, Unknown):
            return key
        if isinstance(base, Globals):
            return self.scope.get(key, Unknown(f"globals()[{key!r}]", node.lineno))
        if isinstance(base, SysModules):
            return Unknown("sys.modules[...]", node.lineno) if key != self.module else SysModules()
        try:
            return base[key]  # type: ignore[index]
        except Exception as exc:
            return Unknown(f"{type(exc).__name__} on subscript", node.lineno)

    def eval_Slice(self, node: ast.Slice) -> object:
        parts = [self.eval(p) if p is not None else None for p in (node.lower, node.upper, node.step)]
        if any(isinstance(p, Unknown) for p in parts):
            return Unknown("slice", node.lineno)
        return slice(*parts)

    def eval_Lambda(self, node: ast.Lambda) -> object:
        return Lambda(node, self)

    def eval_ListComp(self, node: ast.ListComp) -> object:
        items = self.comprehension(node.generators, lambda: [self.eval(node.elt)])
        return items if isinstance(items, Unknown) else [i for (i,) in items]

    def eval_SetComp(self, node: ast.SetComp) -> object:
        items = self.comprehension(node.generators, lambda: [self.eval(node.elt)])
        if isinstance(items, Unknown):
            return items
        try:
            return {i for (i,) in items}
        except TypeError:
            return Unknown("unhashable set element", node.lineno)

    def eval_GeneratorExp(self, node: ast.GeneratorExp) -> object:
        return self.eval_ListComp(node)  # type: ignore[arg-type]

    def eval_DictComp(self, node: ast.DictComp) -> object:
        items = self.comprehension(node.generators, lambda: [self.eval(node.key), self.eval(node.value)])
        if isinstance(items, Unknown):
            return items
        try:
            return {k: v for k, v in items}
        except TypeError:
            return Unknown("unhashable dict key", node.lineno)

    def comprehension(self, generators: list[ast.comprehension], produce: Callable[[], list]) -> object:
        saved = dict(self.scope)
        results: list[tuple] = []
        try:
            outcome = self._generate(generators, produce, results)
        finally:
            self.scope = saved
        return outcome if isinstance(outcome, Unknown) else results

    def _generate(self, generators, produce, results) -> Unknown | None:
        if not generators:
            values = produce()
            for value in values:
                if isinstance(value, Unknown):
                    return value
            results.append(tuple(values))
            return None
        first, rest = generators[0], generators[1:]
        items = self.iterate(self.eval(first.iter), first.iter.lineno)
        if items is None:
            return Unknown("comprehension over an unknown iterable", first.iter.lineno)
        for item in items:
            self.assign(first.target, item, first.iter.lineno)
            keep = True
            for condition in first.ifs:
                test = self.eval(condition)
                if isinstance(test, Unknown):
                    return test
                if not self.truth(test):
                    keep = False
                    break
            if keep:
                outcome = self._generate(rest, produce, results)
                if outcome is not None:
                    return outcome
        return None

    def eval_Call(self, node: ast.Call) -> object:
        func = self.eval(node.func)
        args: list[object] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                items = self.iterate(self.eval(arg.value), arg.lineno)
                if items is None:
                    return Unknown("*args", node.lineno)
                args.extend(items)
            else:
                args.append(self.eval(arg))
        kwargs = {kw.arg: self.eval(kw.value) for kw in node.keywords if kw.arg is not None}
        return self.call(func, args, kwargs, node)

    # ================================================================== calls
    def call(self, func: object, args: list, kwargs: dict, node: ast.Call) -> object:
        line = node.lineno
        if isinstance(func, Builtin):  # first: no builtin is named like is_<backend>_available
            return self.call_builtin(func.name, args, kwargs, line)
        backend = backend_of_call(node)
        if backend is not None and not isinstance(func, Lambda):
            available = self.env.has(backend)
            self.queries.append((backend, available))
            return available
        if isinstance(func, _BoundMethod):
            return func.call(self, args, kwargs, line)
        if isinstance(func, Lambda):
            return self.call_lambda(func, args, line)
        if isinstance(func, ImportedName):
            return self.call_imported(func, args, kwargs, line)
        if isinstance(func, ExceptionValue):
            return func
        if isinstance(func, Function) and func.node.name.endswith("Exception"):
            return ExceptionValue(func.node.name)
        if isinstance(func, Function) and is_vendored_attach(func.node):
            return self.capture(LazyBuild("attach", line, *_attach_arguments(func.node, args, kwargs)))
        if isinstance(func, Unknown):
            return func
        return Unknown("call of an unknown function", line)

    def call_imported(self, func: ImportedName, args: list, kwargs: dict, line: int) -> object:
        name = func.name
        if name.endswith("LazyModule"):
            return self.capture(LazyBuild("lazymodule", line, args, kwargs))
        if name == "attach" and "lazy" in func.module:
            return self.capture(LazyBuild("attach", line, args, kwargs))
        if name == "attach_stub":
            return self.capture(LazyBuild("attach_stub", line, args, kwargs))
        if name == "relative_import" and func.module.rpartition(".")[2] == "importers":
            return self.capture(LazyBuild("relative_import", line, args, kwargs))
        if name == "recreate_module" and func.module.split(".")[0] == self.module.split(".")[0]:
            # celery's own ``local.recreate_module``: it puts the new module into sys.modules itself
            return self.capture(LazyBuild("recreate_module", line, args, kwargs, installed=True))
        if name in ("OptionalDependencyNotAvailable",) or name.endswith(("Error", "Exception", "NotAvailable")):
            return ExceptionValue(name)
        if name == "Path" and func.module in ("pathlib",) and args and isinstance(args[0], str):
            return PathValue(str(args[0]))
        if func.module == "os.path" and all(isinstance(a, (str, PathValue)) for a in args):
            paths = [a.path if isinstance(a, PathValue) else a for a in args]
            if name == "dirname" and len(paths) == 1:
                return os.path.dirname(paths[0])
            if name == "join":
                return os.path.join(*paths)
        if func.module == "re" and name == "compile" and args and isinstance(args[0], str):
            flags = args[1] if len(args) > 1 and isinstance(args[1], int) else 0
            try:
                return re.compile(str(args[0]), flags)
            except re.error:
                return Unknown("invalid regular expression", line)
        if func.module == "types" and name == "MappingProxyType" and len(args) == 1 and isinstance(args[0], dict):
            return dict(args[0])  # a read-only view: looked up like the dict (filelock's _EXPORTS)
        if func.module == "re" and name == "escape" and args and isinstance(args[0], str):
            return re.escape(args[0])
        if name == "get_objects_from_module" and args and isinstance(args[0], ModuleRef):
            names = self.hooks.public_names(args[0].name)
            if names is None:
                return Unknown(f"no facts for module {args[0].name}", line)
            return {Tagged(n, self.path, line, self.guard): ObjectRef(args[0].name, n, ln) for n, ln in names}
        if self.hooks.call is not None:
            result = self.hooks.call(func, args, kwargs, line)
            if result is not NotImplemented:
                return result
        return Unknown(f"call to {func.module}.{name}", line)

    def capture(self, build: LazyBuild) -> LazyBuild:
        if not self.in_type_checking:
            self.builds.append(build)
        return build

    def call_lambda(self, func: Lambda, args: list, line: int) -> object:
        params = [a.arg for a in func.node.args.args]
        if len(params) != len(args):
            return Unknown("lambda called with the wrong number of arguments", line)
        saved = dict(self.scope)
        self.scope.update(zip(params, args))
        try:
            return self.eval(func.node.body)
        finally:
            self.scope = saved

    def call_builtin(self, name: str, args: list, kwargs: dict, line: int) -> object:
        if name == "setattr" and len(args) == 3:
            return self.set_attribute(*args, line)
        if any(isinstance(a, Unknown) for a in (args[:2] if name == "setattr" else args)):
            return next(a for a in args if isinstance(a, Unknown))
        if name == "globals":
            return Globals()
        if name == "dir" and len(args) == 1 and isinstance(args[0], ModuleRef):
            names = self.hooks.public_names(args[0].name)
            if names is None:
                return Unknown(f"dir() of {args[0].name}, a module with no facts", line)
            return sorted(Tagged(n, self.path, line, self.guard) for n, _ in names)
        if name == "print":
            return None
        if name in ("set", "frozenset", "list", "tuple", "dict", "sorted", "len", "str", "bool", "any", "all",
                    "reversed", "enumerate", "zip", "min", "max", "sum", "int", "repr"):
            try:
                import builtins

                result = getattr(builtins, name)(*args, **kwargs)
            except Exception as exc:
                return Unknown(f"{name}() raised {type(exc).__name__}", line)
            if name in ("reversed", "enumerate", "zip"):
                result = list(result)
            return result
        if name in ("isinstance", "hasattr", "getattr", "iter"):
            return Unknown(f"{name}()", line)
        return Unknown(f"builtin {name}()", line)

    def set_attribute(self, target: object, attr: object, value: object, line: int) -> object:
        """``setattr(target, attr, value)``: an attribute of the lazy module installed in ``sys.modules``. It is set
        whatever its value is (a class defined in the init, which we do not model, is still an attribute of the
        module: diffusers' ``_additional_imports``)."""
        if isinstance(target, Unknown):
            return target
        if isinstance(attr, Unknown):
            return attr
        if isinstance(target, (SysModules, LazyBuild)) and isinstance(attr, str):
            build = target if isinstance(target, LazyBuild) else self.installed_build()
            if build is not None:
                build.attributes[attr] = value
                build.attribute_lines[attr] = line
            return None
        return Unknown("setattr on an unknown object", line)

    def installed_build(self) -> LazyBuild | None:
        for build in reversed(self.builds):
            if build.installed:
                return build
        return None

    # ================================================================== helpers
    def truth(self, value: object) -> bool:
        if isinstance(value, (ModuleRef, ImportedName, Function, PathValue, LazyBuild)):
            return True
        return bool(value)

    def iterate(self, value: object, line: int) -> list | None:
        if isinstance(value, Unknown):
            self.note(line, f"loop over an unknown value ({value.reason})")
            return None
        if isinstance(value, (list, tuple, set, frozenset, dict, str)):
            if len(value) > MAX_LOOP:
                self.note(line, "loop too long to evaluate")
                return None
            return list(value)
        self.note(line, "loop over a value that is not a literal collection")
        return None

    def absolute(self, module: str | None, level: int) -> str | None:
        if level == 0:
            return module or ""
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts) - 1:
            return None
        base = parts[: len(parts) - (level - 1)]
        return ".".join(base + ([module] if module else []))


def _handlers(prefix: str) -> dict[type, Callable]:
    """``Evaluator``'s ``stmt_X``/``eval_X`` methods by AST node class ``X``: one dict lookup per node instead of
    formatting the method name and ``getattr`` (the evaluator visits ~100k nodes on transformers, and IG013
    evaluates every dummy-using init once more per backend)."""
    return {getattr(ast, name[len(prefix):]): function for name, function in vars(Evaluator).items()
            if name.startswith(prefix) and hasattr(ast, name[len(prefix):])}


_STATEMENTS = _handlers("stmt_")
_EXPRESSIONS = _handlers("eval_")


def _snapshot(values, seen: set[int] | None = None) -> list[tuple[object, object]]:
    """(container, copy of its contents) for every dict/list/set reachable from ``values``."""
    seen = set() if seen is None else seen
    out: list[tuple[object, object]] = []
    for value in values:
        if not isinstance(value, (dict, list, set)) or id(value) in seen:
            continue
        seen.add(id(value))
        out.append((value, value.copy()))
        out.extend(_snapshot(value.values() if isinstance(value, dict) else list(value), seen))
    return out


def _restore(snapshot: list[tuple[object, object]]) -> None:
    for container, contents in snapshot:
        if container != contents:
            container.clear()  # type: ignore[attr-defined]
            if isinstance(container, list):
                container.extend(contents)  # type: ignore[arg-type]
            else:
                container.update(contents)  # type: ignore[attr-defined]


def is_vendored_attach(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A copy of ``lazy_loader.attach`` defined in the init itself (huggingface_hub's ``_attach``): whatever
    its name, a function of (package name, submodules, submod_attrs) that returns an inner ``__getattr__``
    which imports with ``importlib.import_module``."""
    if len(node.args.args) < 3:
        return False
    inner = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__getattr__"]
    if not inner:
        return False
    imports = any(isinstance(n, ast.Attribute) and n.attr == "import_module" for n in ast.walk(inner[0]))
    returns = any(isinstance(n, ast.Return) and n.value is not None and any(
        isinstance(e, ast.Name) and e.id == "__getattr__" for e in ast.walk(n.value)) for n in node.body)
    return imports and returns


def bind_arguments(parameters: Sequence[str], args: list, kwargs: dict) -> dict[str, object]:
    """Parameter name -> value of a call to a function with these (positional-or-keyword) parameters."""
    bound = dict(zip(parameters, args))
    bound.update({k: v for k, v in kwargs.items() if k in parameters})
    return bound


def _attach_arguments(node: ast.FunctionDef | ast.AsyncFunctionDef, args: list,
                      kwargs: dict) -> tuple[list, dict]:
    """Bind a call to a vendored ``attach`` by its own parameter names, in ``lazy_loader.attach``'s order."""
    params = [a.arg for a in node.args.args]
    bound = bind_arguments(params, args, kwargs)
    return [bound.get(params[0]), bound.get(params[1]), bound.get(params[2])], {}


@dataclass
class _BoundMethod:
    """``obj.method`` for a known value: pure methods evaluate, mutating ones are logged."""

    obj: object
    name: str
    extra: dict = field(default_factory=dict)

    def call(self, ev: Evaluator, args: list, kwargs: dict, line: int) -> object:
        obj, name = self.obj, self.name
        if any(isinstance(a, Unknown) for a in args):
            return next(a for a in args if isinstance(a, Unknown))
        if hasattr(obj, "search") and name in ("search", "match", "fullmatch"):
            try:
                return getattr(obj, name)(*args) is not None
            except TypeError:
                return Unknown("regex on a non-string", line)
        allowed = set()
        for kind, methods in _PURE_METHODS.items():
            if isinstance(obj, kind):
                allowed |= methods
        mutating = set()
        for kind, methods in _MUTATING_METHODS.items():
            if isinstance(obj, kind):
                mutating |= methods
        if name not in allowed | mutating:
            return Unknown(f"method .{name}()", line)
        if isinstance(obj, dict) and name in ("update", "setdefault") and args:
            keys = list(args[0].keys()) if name == "update" and isinstance(args[0], dict) else [args[0]]
            for key in keys:
                ev.mutations.append(Mutation(id(obj), key, line, obj.get(key) if name == "update" else None))
        try:
            result = getattr(obj, name)(*args, **kwargs)
        except Exception as exc:
            return Unknown(f".{name}() raised {type(exc).__name__}", line)
        if isinstance(result, type({}.keys())) or isinstance(result, (type({}.values()), type({}.items()))):
            return list(result)
        if isinstance(result, str) and isinstance(obj, Tagged):
            return Tagged(result, obj.path, obj.line, obj.guard)
        return result


def _name_tested_for(node: ast.Try) -> str | None:
    """NAME of ``try: NAME`` whose handler catches NameError and binds NAME (the idiom that asks whether a name
    exists), else None."""
    if not (len(node.body) == 1 and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Name)):
        return None
    name = node.body[0].value.id
    for handler in node.handlers:
        caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        binds = {target.id for statement in handler.body if isinstance(statement, ast.Assign)
                 for target in statement.targets if isinstance(target, ast.Name)}
        if any(isinstance(t, ast.Name) and t.id == "NameError" for t in caught) and name in binds:
            return name
    return None
