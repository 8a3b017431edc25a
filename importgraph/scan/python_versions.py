"""Which Python versions a ``sys.version_info`` test selects, read from the literal test.

``if sys.version_info < (3, 14): from typing import Any`` binds ``Any`` on 3.0-3.13 only. Knowing the versions
(not just "some versions") lets rule IG012 say on which versions a use raises ``NameError`` and drop uses that
never do (an annotation is evaluated at definition time only before 3.14, PEP 649).

Understood: ``sys.version_info`` (or ``version_info`` imported from ``sys``), sliced (``[:2]``), indexed
(``[0]``, ``[1]``) or by field (``.major``, ``.minor``), compared (chains too) with an int or a tuple of up to
three ints; ``not``, ``and``, ``or``. Anything else, or a test whose answer depends on the micro version
(``>= (3, 12, 4)``), gives ``None``: not decided.
"""

from __future__ import annotations

import ast
import operator

PYTHON3_MINORS = range(40)
"""The Python 3 minor versions a test is judged on: 3.0 to 3.39 (the last one stands for "and later")."""

_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}
_FIELDS = {"major": 0, "minor": 1, "micro": 2}


class _Undecided(Exception):
    pass


def python_versions(test: ast.expr) -> frozenset[int] | None:
    """The minor versions of Python 3 on which ``test`` is true, or None when the test is not understood."""
    selected = set()
    try:
        for minor in PYTHON3_MINORS:
            # the earliest and the latest release of that minor version: the test must not tell them apart
            earliest = _truth(test, (3, minor, 0, "alpha", 0))
            if earliest != _truth(test, (3, minor, 99, "final", 0)):
                return None
            if earliest:
                selected.add(minor)
    except (_Undecided, TypeError):  # TypeError: an int compared with a tuple
        return None
    return frozenset(selected)


def _truth(test: ast.expr, info: tuple) -> bool:
    if isinstance(test, ast.BoolOp):
        values = [_truth(value, info) for value in test.values]
        return all(values) if isinstance(test.op, ast.And) else any(values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return not _truth(test.operand, info)
    if isinstance(test, ast.Compare):
        left = _value(test.left, info)
        for op, comparator in zip(test.ops, test.comparators):
            compare = _COMPARE.get(type(op))
            right = _value(comparator, info)
            if compare is None:
                raise _Undecided
            if not compare(left, right):
                return False
            left = right
        return True
    raise _Undecided


def _value(node: ast.expr, info: tuple) -> object:
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Tuple) and 0 < len(node.elts) <= 3 and all(_is_int(e) for e in node.elts):
        return tuple(element.value for element in node.elts)  # type: ignore[attr-defined]
    if _is_version_info(node):
        return info
    if isinstance(node, ast.Attribute) and node.attr in _FIELDS and _is_version_info(node.value):
        return info[_FIELDS[node.attr]]
    if isinstance(node, ast.Subscript) and _is_version_info(node.value):
        index = node.slice
        if _is_int(index) and 0 <= index.value <= 2:  # type: ignore[attr-defined]
            return info[index.value]  # type: ignore[attr-defined]
        if (isinstance(index, ast.Slice) and index.step is None and _is_int(index.upper)
                and (index.lower is None or (_is_int(index.lower) and index.lower.value == 0))  # type: ignore[union-attr]
                and 1 <= index.upper.value <= 3):  # type: ignore[union-attr]
            return info[:index.upper.value]  # type: ignore[union-attr]
    raise _Undecided


def _is_version_info(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "version_info"
    return (isinstance(node, ast.Attribute) and node.attr == "version_info" and isinstance(node.value, ast.Name)
            and node.value.id == "sys")


def _is_int(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int


def describe(minors: list[int]) -> str:
    """``[0, ..., 11]`` -> ``< 3.12``; ``[14, ..., 39]`` -> ``>= 3.14``; ``[10, 11]`` -> ``3.10-3.11``."""
    last = PYTHON3_MINORS[-1]
    spans: list[tuple[int, int]] = []
    for minor in sorted(minors):
        if spans and spans[-1][1] == minor - 1:
            spans[-1] = (spans[-1][0], minor)
        else:
            spans.append((minor, minor))
    parts = []
    for low, high in spans:
        if low == 0 and high == last:
            parts.append("every version")
        elif low == 0:
            parts.append(f"< 3.{high + 1}")
        elif high == last:
            parts.append(f">= 3.{low}")
        else:
            parts.append(f"3.{low}" if low == high else f"3.{low}-3.{high}")
    return " or ".join(parts)
