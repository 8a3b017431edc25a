"""What ``import pkg`` imports for certain: the package's modules that run whenever its import succeeds.

The import system binds every imported submodule on its parent package, so a submodule imported while
``import pkg`` runs is an attribute of ``pkg`` afterwards, registered or not (IG010 must not report it).
Three things import a module while another one runs, and all three are followed:

* module-level import statements that run unconditionally (not under ``if``, ``try``, a loop or ``match``, which
  holds every backend guard and missing-backend fallback too; a class body and a ``with`` body run), with parent
  packages and lazy accesses (``from lazy_pkg import Name`` imports the module that serves ``Name``), as the import
  graph has them;
* calls of the package's own functions at import time: ``set_log_level(None, False)`` in mne 1.9's init runs
  ``set_log_level``, whose helper imports ``mne.utils.check`` inside its body, which imports ``mne.fixes``
  (in mne 1.13 import statements alone lead there: the closure is transitive, not only the init's own imports).
  A called function's unconditional statements run: their imports, and the functions they call in turn;
* nothing else: a call under ``if``/``try``/a loop/``match``, in a branch of ``x if c else f()`` or ``a and f()``,
  in a lambda or a comprehension's body may not happen, and is not followed.

The called function is found the way the runtime would look the name up (:func:`importgraph.resolve.locate`:
re-exports and lazy maps followed), and only plain ``def`` functions are entered (not ``async def`` or
generators, whose bodies do not run when called; not methods or classes). A decorated function is assumed to
run its body when called (``@fill_doc``, ``@functools.wraps`` wrappers, caches): the usual case, and the one
this module cannot see through. Files are parsed on demand: the modules below the package and its parents'
inits (whose calls are followed: a parent's whole closure can be most of a package, jax's is 200 modules) and the
modules defining the functions called; nothing is run.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator

from .graph import ancestors, resolve_import
from .model import ImportFact, LazyModule, ModuleFacts, Scope
from .resolve import locate, reexport_origin
from .scan.read import dotted_name, parse_file

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_CONDITIONAL = (ast.If, ast.Try, ast.TryStar, ast.For, ast.AsyncFor, ast.While, ast.Match)
"""Compound statements whose body may not run (only their test, iterable or subject runs for certain)."""


class ImportTime:
    """:meth:`imported_by` for any module of one analysis; parsed files and followed functions are kept."""

    def __init__(self, top: str, modules: dict[str, ModuleFacts], lazy_modules: dict[str, LazyModule],
                 trees: dict[str, ast.Module] | None = None):
        self.top = top
        self.modules = modules
        self.lazy_modules = lazy_modules
        self.trees: dict[str, ast.Module | None] = dict(trees or {})
        self._statements_of: dict[str, set[str]] = {}
        self._calls_of: dict[str, set[str]] = {}
        self._functions: dict[tuple[str, str], set[str]] = {}

    def imported_by(self, module: str) -> set[str]:
        """The package's modules that ``import module`` runs for certain (not ``module`` itself).

        Calls are followed from ``module``, the modules below it and its parent packages' inits: those are
        the files read (a parent's import closure can be most of the package, and what it imports below
        ``module`` by import statements is found from the facts alone)."""
        seen = {module}
        queue = deque([module])
        callers = {module, *ancestors(module)}
        while queue:
            current = queue.popleft()
            calls = current in callers or current.startswith(module + ".")
            for target in (*self._statement_effects(current), *(self.call_effects(current) if calls else ())):
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        seen.discard(module)
        return seen

    def call_effects(self, module: str) -> set[str]:
        """The modules that the functions ``module`` calls for certain while it runs import for certain."""
        effects = self._calls_of.get(module)
        if effects is None:
            effects = self._calls_of[module] = set()
            facts = self.modules.get(module)
            tree = self._tree(facts) if facts is not None and facts.path.endswith(".py") else None
            for callee in _calls(_unconditional(tree.body)) if tree is not None else ():
                effects.update(self._call(module, callee))
        return effects

    # ------------------------------------------------------------------ one module, one function
    def _statement_effects(self, module: str) -> set[str]:
        """Modules that ``module``'s unconditional module-level import statements import."""
        effects = self._statements_of.get(module)
        if effects is None:
            effects = self._statements_of[module] = set()
            for fact in self.modules[module].imports if module in self.modules else ():
                if fact.scope is Scope.MODULE and not fact.conditional:  # a guard, try or fallback is conditional too
                    effects.update(self._targets(fact))
        return effects

    def _call(self, module: str, callee: str) -> set[str]:
        """Modules a call of ``callee`` (a dotted name as written in ``module``) imports."""
        parts = callee.split(".")
        where = module
        for index, part in enumerate(parts):
            found = locate(where, part, self.modules, self.lazy_modules)
            if found is None or not self._own(found.module):
                return set()
            if found.kind == "def" and index == len(parts) - 1:
                origin, name = reexport_origin(where, part, self.modules)  # ``from m import f as g; g()``
                return self._function(found.module, name if origin == found.module else part)
            if found.kind != "module":
                return set()  # a class, an object's method: not a function whose body we follow
            where = found.module
        return set()

    def _function(self, module: str, name: str) -> set[str]:
        key = (module, name)
        effects = self._functions.get(key)
        if effects is not None:
            return effects
        effects = self._functions[key] = set()  # a recursive call finds it here, empty: nothing new
        facts = self.modules.get(module)
        tree = self._tree(facts) if facts is not None else None
        function = _function_def(tree, name) if tree is not None else None
        if function is None or _is_generator(function):
            return effects
        body = list(_unconditional(function.body))
        lines = {node.lineno for node in body if isinstance(node, (ast.Import, ast.ImportFrom))}
        for fact in facts.imports:
            if fact.scope is Scope.FUNCTION and fact.line in lines:
                effects.update(self._targets(fact))
        for callee in _calls(body):
            effects.update(self._call(module, callee))
        effects.add(module)
        return effects

    # ------------------------------------------------------------------ helpers
    def _targets(self, fact: ImportFact) -> Iterator[str]:
        for target, _via in resolve_import(fact, self.modules, self.lazy_modules, self.top):
            for module in (target, *ancestors(target)):
                if module in self.modules:
                    yield module

    def _own(self, module: str) -> bool:
        return module == self.top or module.startswith(self.top + ".")

    def _tree(self, facts: ModuleFacts) -> ast.Module | None:
        if facts.problem is not None:
            return None
        if facts.path not in self.trees:
            self.trees[facts.path] = parse_file(facts.path)
        return self.trees[facts.path]


def _unconditional(statements: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a block that run whenever the block does: not those under ``if``/``try``/loops/
    ``match``, nor after a ``return`` or ``raise``; a ``with`` body and a class body run."""
    for statement in statements:
        yield statement
        if isinstance(statement, (ast.With, ast.AsyncWith, ast.ClassDef)):
            yield from _unconditional(statement.body)
        if isinstance(statement, (ast.Return, ast.Raise)):
            return


def _calls(statements: Iterator[ast.stmt] | list[ast.stmt]) -> Iterator[str]:
    """Dotted names of the callees that these statements call for certain (their own expressions only)."""
    for statement in statements:
        if isinstance(statement, _CONDITIONAL):
            expressions: list[ast.AST] = [getattr(statement, "test", None) or getattr(statement, "iter", None)
                                          or getattr(statement, "subject", None)]
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _decorators(statement)
            expressions = [*statement.decorator_list, *statement.args.defaults,
                           *(d for d in statement.args.kw_defaults if d is not None)]
        elif isinstance(statement, ast.ClassDef):
            yield from _decorators(statement)
            expressions = [*statement.decorator_list, *statement.bases, *(k.value for k in statement.keywords)]
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            expressions = [item.context_expr for item in statement.items]
        else:
            expressions = list(ast.iter_child_nodes(statement))
        for expression in expressions:
            if expression is not None:
                yield from _called(expression)


def _decorators(definition: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Iterator[str]:
    """``@fill_doc`` calls ``fill_doc(function)`` when the definition runs (``@fill_doc(...)`` is a call
    expression already: its result is called, which is not followed)."""
    for decorator in definition.decorator_list:
        dotted = dotted_name(decorator)
        if dotted is not None:
            yield dotted


def _called(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Lambda):
        return
    if isinstance(node, ast.IfExp):
        yield from _called(node.test)
        return
    if isinstance(node, ast.BoolOp):
        yield from _called(node.values[0])
        return
    if isinstance(node, _COMPREHENSIONS):
        yield from _called(node.generators[0].iter)
        return
    if isinstance(node, ast.Call):
        dotted = dotted_name(node.func)
        if dotted is not None:
            yield dotted
    for child in ast.iter_child_nodes(node):
        yield from _called(child)


def _function_def(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    """The module-level ``def name`` the module binds last (an ``async def`` does not run when called)."""
    found = None
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and statement.name == name:
            found = statement if isinstance(statement, ast.FunctionDef) else None
    return found


def _is_generator(function: ast.FunctionDef) -> bool:
    """Calling a generator function runs nothing of its body."""
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
    return False
