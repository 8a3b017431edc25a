"""A lazy map read from the ``TYPE_CHECKING`` half itself (anyio 4.16's ``install_lazy_importer``).

anyio's inits write every import once, for type checkers, under ``if TYPE_CHECKING or not
install_lazy_importer():``. The function reads its caller's globals (``sys._getframe(1).f_globals``), parses the
caller's own source, and installs a ``__getattr__`` there that serves each ``from M import name as name`` of
that block from ``M`` (and each ``from . import sub`` as the submodule); it returns True, so the block does not
run. Only a caller whose block imports nothing keeps the eager imports (it returns False then).

The function is recognised by what it does, not by its name: a function of the package that takes no arguments,
reaches its caller's frame (``sys._getframe(1)``, ``inspect.currentframe().f_back``) and assigns ``__getattr__``
into a namespace. A name imported under another name (``from m import a as b``) is served as that attribute
(:attr:`LazyName.attribute`); the deprecated aliases of a ``set_deprecated_aliases({...})`` call in the block
(dotted paths to other modules' attributes) are undecided, not modelled.
"""

from __future__ import annotations

import ast

from ..model import LazyModule, LazyName, ModuleFacts, Undecided
from ..scan.guards import is_type_checking
from .evaluator import EvaluationResult
from .spelling import resolve_relative
from .values import ImportedName


def installer_called(node: ast.stmt, result: EvaluationResult) -> ImportedName | None:
    """The function ``if TYPE_CHECKING or not f():`` calls, when ``f`` comes from an import."""
    if not (isinstance(node, ast.If) and isinstance(node.test, ast.BoolOp) and isinstance(node.test.op, ast.Or)
            and len(node.test.values) == 2 and is_type_checking(node.test.values[0])):
        return None
    negated = node.test.values[1]
    if not (isinstance(negated, ast.UnaryOp) and isinstance(negated.op, ast.Not)
            and isinstance(negated.operand, ast.Call) and not negated.operand.args
            and not negated.operand.keywords and isinstance(negated.operand.func, ast.Name)):
        return None
    function = result.scope.get(negated.operand.func.id)
    return function if isinstance(function, ImportedName) else None


def installs_into_caller(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``function`` takes no arguments, reaches its caller's frame and assigns ``__getattr__`` into a namespace."""
    arguments = function.args
    if arguments.args or arguments.posonlyargs or arguments.kwonlyargs or arguments.vararg or arguments.kwarg:
        return False
    reaches_caller = installs = False
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and (node.attr == "_getframe" or node.attr == "f_back"):
            reaches_caller = True
        elif isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant)
                and target.slice.value == "__getattr__" for target in node.targets):
            installs = True
    return reaches_caller and installs


def from_block(facts: ModuleFacts, block: ast.If, result: EvaluationResult) -> LazyModule | None:
    """The lazy module the installer builds from ``block``'s imports; None when the block imports nothing (the
    installer then declines, and the imports run)."""
    lazy = LazyModule(name=facts.name, path=facts.path, line=block.lineno, style="pep562",
                      type_checking=result.type_checking, undecided=list(result.undecided))
    anchor = facts.name  # ``import_module(target, module_name)``: relative to the module's own name
    for statement in block.body:
        if isinstance(statement, ast.ImportFrom) and statement.module is None:  # ``from . import sub``
            for alias in statement.names:
                module = resolve_relative("." * statement.level + alias.name, anchor)
                if module is not None:
                    lazy.module_keys[alias.name] = module
        elif isinstance(statement, ast.ImportFrom):
            base = resolve_relative("." * statement.level + statement.module, anchor)
            for alias in statement.names:
                served = alias.asname or alias.name
                if base is None or alias.name == "*":
                    continue
                lazy.names.setdefault(served, LazyName(served, base, (), facts.path, statement.lineno,
                                                       attribute=None if served == alias.name else alias.name))
        elif _deprecated_aliases(statement):
            lazy.undecided.append(Undecided(facts.path, statement.lineno, "deprecated aliases are served as "
                                            "other attributes: not modelled"))
    if not lazy.names and not lazy.module_keys:
        return None
    lazy.submodules = sorted({*(e.module for e in lazy.names.values()), *lazy.module_keys.values()})
    return lazy


def _deprecated_aliases(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "set_deprecated_aliases")
