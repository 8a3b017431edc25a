"""Recognise the guards lazy packages put around optional imports, from the AST alone."""

from __future__ import annotations

import ast
import functools
import re

_AVAILABLE = re.compile(r"^_?is_(\w+?)_available$")
_VERSION = re.compile(r"^_?is_(\w+?)_version$")
_COMPARISON = re.compile(r"^_?is_(\w+?)_(?:greater_or_equal|less_or_equal|greater|less)_?$")
"""transformers' ``is_torch_greater_or_equal("2.5")``, ``is_quanto_greater(...)``: False without the backend."""


def call_name(node: ast.AST) -> str | None:
    """``f`` for ``f(...)`` and ``mod.f(...)``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def backend_of_call(node: ast.AST) -> str | None:
    """``torch`` for ``is_torch_available()``; ``transformers`` for ``is_transformers_version(...)``; ``torch``
    for ``is_torch_greater_or_equal(...)`` (version checks are modelled as "the backend is installed")."""
    if not isinstance(node, ast.Call):
        return None
    name = call_name(node)
    return None if name is None else backend_of_name(name)


@functools.lru_cache(maxsize=4096)
def backend_of_name(name: str) -> str | None:
    """:func:`backend_of_call` by the called function's name (a few hundred names, met again and again)."""
    match = _AVAILABLE.match(name) or _VERSION.match(name) or _COMPARISON.match(name)
    return match.group(1) if match else None


def positive_backends(test: ast.expr) -> tuple[str, ...]:
    """Backends that must be available for ``test`` to be true (``a() and b()``, ``a()``)."""
    found: list[str] = []

    def visit(node: ast.expr) -> None:
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
            for value in node.values:
                visit(value)
        elif (backend := backend_of_call(node)) is not None:
            found.append(backend)

    visit(test)
    return tuple(sorted(set(found)))


def negated_backends(test: ast.expr) -> tuple[str, ...]:
    """Backends whose absence makes ``test`` true: ``not a()``, ``not (a() and b())``, ``not a() or not b()``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return positive_backends(test.operand)
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        found: list[str] = []
        for value in test.values:
            found.extend(negated_backends(value))
        return tuple(sorted(set(found)))
    return ()


def is_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING``, ``typing.TYPE_CHECKING``, and diffusers' ``TYPE_CHECKING or SLOW_IMPORT``."""
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return True
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return True
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or):
        return any(is_type_checking(v) for v in test.values)
    return False


def try_guard(node: ast.Try) -> tuple[str, ...]:
    """Backends the ``try: if not is_x_available(): raise ...`` idiom guards its ``else:`` branch with."""
    found: list[str] = []
    for stmt in node.body:
        if isinstance(stmt, ast.If) and any(isinstance(s, ast.Raise) for s in stmt.body):
            found.extend(negated_backends(stmt.test))
    return tuple(sorted(set(found)))


def catches_import_error(node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for name in names:
            if call_name(name) in {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}:
                return True
    return False
