"""A ``__getattr__`` that hands the name to a helper in another module of the package, which looks it up in tables.

litellm (1.110) ends the ``__getattr__`` of ``litellm`` and of ``litellm.utils`` with
``from ._lazy_imports import resolve_lazy_attribute; return resolve_lazy_attribute(__name__, name)``. The helper
looks the name up in module-level tables, in order, and hands a hit to a function that imports it::

    litellm_location: Final = LITELLM_ATTRIBUTES.get(name)
    if litellm_location is not None:
        return _import("litellm", name, litellm_location)
    utils_location: Final = UTILS_ATTRIBUTES.get(name)
    ...

where the tables (``MappingProxyType`` dicts of name -> ``(module, attribute)``, here imported from a third module)
and ``_import`` (``import_module(module_path, package="litellm")``, then ``getattr``) are read statically. Every
module delegating to the helper serves the names of every such table; the first table holding a name decides it.
What the helper does after its tables (litellm's factories: values computed on first use) serves no import and is
not modelled.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..model import LazyModule, ModuleFacts
from .evaluator import EvaluationResult
from .pep562 import TableImport, _import_fallback, _read_table
from .spelling import HOLE, calls_import_module, first_parameter, import_arguments, resolve_relative
from .values import Function, ImportedName

if TYPE_CHECKING:
    from . import _Context


def from_delegation(facts: ModuleFacts, function: Function, result: EvaluationResult,
                    context: _Context) -> LazyModule | None:
    """The lazy module a ``__getattr__`` makes of ``facts``' module by returning ``helper(..., name, ...)``, a helper
    of the package whose tables are read (see the module's docstring); None for any other ``__getattr__``."""
    node = function.node
    argument = first_parameter(node)
    call = _returned_call(node)
    if argument is None or call is None or not isinstance(call.func, ast.Name):
        return None
    helper = _callee(node, call.func.id, result, facts)
    definition = context.helper_function(helper) if helper is not None else None
    if definition is None:
        return None
    parameters = [p.arg for p in definition.args.posonlyargs + definition.args.args]
    name_parameter = next((parameters[i] for i, arg in enumerate(call.args[:len(parameters)])
                           if isinstance(arg, ast.Name) and arg.id == argument), None)
    scope = context.module_scope(context.helper_origin(helper)) if name_parameter is not None else None
    if scope is None:
        return None
    lazy = LazyModule(name=facts.name, path=facts.path, line=node.lineno, style="pep562",
                      type_checking=result.type_checking, undecided=list(result.undecided),
                      import_fallback=_import_fallback(node))
    for table, importer in _tables(definition, name_parameter):
        mapping = scope.get(table)
        if isinstance(mapping, ImportedName):  # ``from ._lazy_imports_registry import LITELLM_ATTRIBUTES``
            origin = context.module_scope(mapping.module)
            mapping = origin.get(mapping.name) if origin is not None else None
        anchor = _import_anchor(scope.get(importer))
        if isinstance(mapping, dict) and anchor is not None:
            _read_table(lazy, facts, table, mapping, node.lineno, context, spelling=TableImport(table, HOLE, anchor))
    return lazy if lazy.names else None


def _returned_call(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Call | None:
    """The call the function ends with: ``return helper(...)``."""
    last = function.body[-1] if function.body else None
    return last.value if isinstance(last, ast.Return) and isinstance(last.value, ast.Call) else None


def _callee(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, result: EvaluationResult,
            facts: ModuleFacts) -> ImportedName | None:
    """What ``name`` is bound to where the function calls it: a ``from m import name`` in its own body (litellm's),
    else the module-level binding, when either names a function of another module."""
    for statement in function.body:
        if isinstance(statement, ast.ImportFrom):
            for alias in statement.names:
                if (alias.asname or alias.name) == name:
                    source = resolve_relative("." * statement.level + (statement.module or ""), facts.package) \
                        if statement.level else statement.module
                    return ImportedName(source, alias.name) if source else None
    bound = result.scope.get(name)
    return bound if isinstance(bound, ImportedName) else None


def _tables(helper: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str) -> Iterator[tuple[str, str]]:
    """``(table, importer)`` for each ``location = TABLE.get(name)`` of the helper's body followed by
    ``if location is not None: return importer(..., location)``, in order."""
    body = helper.body
    for statement, following in zip(body, body[1:]):
        target, value = _assigned(statement)
        if not (target and isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                and value.func.attr == "get" and isinstance(value.func.value, ast.Name)
                and len(value.args) == 1 and isinstance(value.args[0], ast.Name) and value.args[0].id == parameter):
            continue
        if not (isinstance(following, ast.If) and _is_not_none(following.test, target) and following.body
                and isinstance(following.body[-1], ast.Return)):
            continue
        returned = following.body[-1].value
        if (isinstance(returned, ast.Call) and isinstance(returned.func, ast.Name)
                and any(isinstance(a, ast.Name) and a.id == target for a in returned.args)):
            yield value.func.value.id, returned.func.id


def _assigned(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    """``(name, value)`` of ``name = value`` or ``name: annotation = value``."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Name):
        return statement.targets[0].id, statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    return None, None


def _is_not_none(test: ast.expr, name: str) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == name
            and len(test.ops) == 1 and isinstance(test.ops[0], ast.IsNot)
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None)


def _import_anchor(importer: object) -> str | None:
    """The package an importer of ``(module, attribute)`` pairs resolves relative modules against:
    ``import_module(module_path, package="litellm")`` whose module is the pair's first item; "" when it takes no
    package (absolute modules only); None when the function is not such an importer."""
    if not isinstance(importer, Function) or not calls_import_module(importer.node):
        return None
    for call in ast.walk(importer.node):
        if isinstance(call, ast.Call) and call.args and calls_import_module(call.func):
            _, package = import_arguments(call)
            if package is None:
                return ""
            if isinstance(package, ast.Constant) and isinstance(package.value, str):
                return package.value
            return None
    return None
