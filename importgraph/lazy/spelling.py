"""How a ``__getattr__`` spells the module it imports, read without running it.

``import_module(f".{name}", __name__)``, ``"." + MAP[name]``, a local assigned a conditional on the name: the
PEP 562 readers (:mod:`.pep562`) bind the looked-up name (or a stand-in, :data:`HOLE`) and ask what string the
expression builds, then resolve it as ``importlib`` would. Nothing is imported.
"""

from __future__ import annotations

import ast
import importlib.util

HOLE = "\0"
"""Stands for the looked-up value while the import path around it is spelled (no module name holds a NUL)."""


def resolve_relative(path: str, package: str) -> str | None:
    """``importlib.import_module(path, package)``'s module name (a string operation: nothing is imported);
    ``(".", "pydantic_core")`` is ``pydantic_core`` itself. None when the path climbs above the top package."""
    try:
        return importlib.util.resolve_name(path, package) if path.startswith(".") else path
    except (ImportError, ValueError):
        return None


def spelled(node: ast.expr, names: dict[str, str], local: dict[str, ast.expr],
             holes: dict[int, str] | None = None) -> str | None:
    """The string ``node`` builds once the ``names`` are bound (literals, f-strings, ``+``, and locals assigned a
    conditional on the argument), or None. ``holes``: sub-expressions (by ``id``) standing for a given string
    (a table lookup ``MAP[name]`` whose value is not known yet)."""
    holes = holes or {}

    def spell(node: ast.expr, depth: int) -> str | None:
        if depth > 5:
            return None
        if id(node) in holes:
            return holes[id(node)]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in names:
                return names[node.id]
            return spell(local[node.id], depth + 1) if node.id in local else None
        if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1 \
                and isinstance(node.test.ops[0], (ast.Eq, ast.NotEq)):
            left = spell(node.test.left, depth + 1)
            right = spell(node.test.comparators[0], depth + 1)
            if left is None or right is None:
                return None
            return spell(node.body if (left == right) == isinstance(node.test.ops[0], ast.Eq) else node.orelse,
                         depth + 1)
        if isinstance(node, ast.FormattedValue) and node.conversion == -1 and node.format_spec is None:
            return spell(node.value, depth + 1)
        if isinstance(node, ast.JoinedStr) or isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts = [spell(part, depth + 1)
                     for part in (node.values if isinstance(node, ast.JoinedStr) else (node.left, node.right))]
            return None if None in parts else "".join(parts)
        return None

    return spell(node, 0)


def import_arguments(call: ast.Call) -> tuple[ast.expr, ast.expr | None]:
    """The ``name`` and ``package`` arguments of an ``import_module(name, package=None)`` call."""
    package = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "package"), None)
    return call.args[0], package


def assigned_locals(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    """Locals assigned once by name (``module = MAP[name]``), for spelling what they are built into."""
    return {n.targets[0].id: n.value for n in ast.walk(function)
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)}


def is_spec_parent(node: ast.expr | None) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "parent" and isinstance(node.value, ast.Name)
            and node.value.id == "__spec__")


def calls_import_module(function: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "import_module" or
               isinstance(n, ast.Name) and n.id == "import_module" for n in ast.walk(function))


def first_parameter(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name of a ``__getattr__``'s parameter, positional-only or not (optree's ``def __getattr__(name, /)``)."""
    parameters = function.args.posonlyargs + function.args.args
    return parameters[0].arg if parameters else None


def spelled_import(call: ast.Call, names: dict[str, str], local: dict[str, ast.expr],
                   spec_parent: str | None = None) -> str | None:
    """The module ``import_module(name, package)`` imports once ``names`` are bound; ``spec_parent``: what a
    ``package=__spec__.parent`` argument stands for. None when it cannot be spelled."""
    name_argument, package_argument = import_arguments(call)
    target = spelled(name_argument, names, local)
    package = spec_parent if is_spec_parent(package_argument) else (
        spelled(package_argument, names, local) if package_argument is not None else None)
    return resolve_relative(target, package) if target and (package or target[0] != ".") else None
