"""Errors CPython raises while *compiling* a file that parses.

``ast.parse`` accepts ``return`` at module level, ``def f(a, a)``, ``nonlocal`` outside a function or a
``from __future__`` import after other code; ``import`` of such a module raises ``SyntaxError``, so every
name it should serve is broken exactly as if it did not parse (rule IG009).

Only what the scan reads anyway is checked: the statements at module level and in class bodies (inside
``if``/``try``/``with``/loops too), the parameters of the functions defined there, and the ``from ... import``
statements inside functions. An error deeper in a function body (``break`` outside a loop in a method) is not
seen. Of several errors, the one CPython reports: its compiler runs in phases (the leading future imports,
the symbol table's visit, the symbol table's analysis, code generation), each in source order.
"""

from __future__ import annotations

import __future__
import ast
import sys
from collections.abc import Iterable

_FUTURE, _VISIT, _ANALYSIS, _CODEGEN = range(4)
_LATE_FUTURE = "from __future__ imports must occur at the beginning of the file"
_OUTSIDE_FUNCTION = {ast.Yield: "'yield' outside function",
                     # the compiler names ``yield from`` itself from Python 3.13 on
                     ast.YieldFrom: f"'yield{' from' if sys.version_info >= (3, 13) else ''}' outside function",
                     ast.Await: "'await' outside function"}
_VALUE_STATEMENTS = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr})
_ASYNC_OUTSIDE = {ast.AsyncFor: "'async for' outside async function",
                  ast.AsyncWith: "'async with' outside async function"}


def compile_error(tree: ast.Module, function_imports: Iterable[ast.ImportFrom] = ()) -> tuple[int, str] | None:
    """``(line, message)`` of the SyntaxError compiling ``tree`` raises, as far as the statements above show it;
    ``function_imports``: the ``from ... import`` statements found inside functions."""
    errors = _Errors()
    leading = _leading_futures(tree.body, errors)
    errors.walk(tree.body, in_loop=False, block=0, leading=leading)
    for node in function_imports:
        if any(alias.name == "*" for alias in node.names):
            errors.add(_VISIT, node.lineno, "import * only allowed at module level")
        elif node.module == "__future__":
            errors.add(_CODEGEN, node.lineno, _LATE_FUTURE)
    return errors.first()


def _leading_futures(body: list[ast.stmt], errors: _Errors) -> set[int]:
    """The ``id`` of the future imports at the top (after the docstring), which are allowed; an unknown
    feature among them is the first error CPython reports (``future.c``)."""
    leading: set[int] = set()
    for index, stmt in enumerate(body):
        if index == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                and isinstance(stmt.value.value, str):
            continue
        if not (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"):
            break
        leading.add(id(stmt))
        for alias in stmt.names:
            if alias.name == "braces":
                errors.add(_FUTURE, stmt.lineno, "not a chance")
            elif alias.name not in __future__.all_feature_names:
                errors.add(_FUTURE, stmt.lineno, f"future feature {alias.name} is not defined")
    return leading


class _Errors:
    def __init__(self) -> None:
        self.found: list[tuple[int, tuple[int, int], int, int, str]] = []
        """(phase, rank in the phase, order found, line, message)."""
        self.classes = 0
        """Class blocks entered so far: the symbol table analyses the module's names, then each class's in
        pre-order (a class's own names before those of the classes nested in it)."""

    def add(self, phase: int, line: int, message: str, block: int = 0) -> None:
        """``block``: the rank of the error's block in the analysis (the other phases go in source order)."""
        rank = (block, line) if phase == _ANALYSIS else (0, line)
        self.found.append((phase, rank, len(self.found), line, message))

    def first(self) -> tuple[int, str] | None:
        if not self.found:
            return None
        *_, line, message = min(self.found)
        return line, message

    def walk(self, stmts: list[ast.stmt], *, in_loop: bool, block: int, leading: set[int]) -> None:
        """``block``: 0 at module level, else the pre-order rank of the class body being walked."""
        # ~140k statements in transformers: the common kinds are tested first, by exact type
        for stmt in stmts:
            kind = type(stmt)
            if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
                self.parameters(stmt)  # type: ignore[arg-type]
            elif kind in _VALUE_STATEMENTS:
                message = _OUTSIDE_FUNCTION.get(type(stmt.value))  # type: ignore[attr-defined]
                if message is not None:
                    self.add(_CODEGEN, stmt.lineno, message)
            elif kind is ast.ImportFrom:
                if block and any(alias.name == "*" for alias in stmt.names):  # type: ignore[attr-defined]
                    self.add(_VISIT, stmt.lineno, "import * only allowed at module level")
                if stmt.module == "__future__" and id(stmt) not in leading:  # type: ignore[attr-defined]
                    self.add(_CODEGEN, stmt.lineno, _LATE_FUTURE)
            elif kind is ast.ClassDef:
                self.classes += 1
                self.walk(stmt.body, in_loop=False, block=self.classes, leading=leading)
            elif kind is ast.Import or kind is ast.Pass:
                continue
            else:
                self.rare(stmt, in_loop=in_loop, block=block, leading=leading)

    def rare(self, stmt: ast.stmt, *, in_loop: bool, block: int, leading: set[int]) -> None:
        """The statements that may be an error by themselves, and the compound ones."""
        kind = type(stmt)
        if kind is ast.Return:
            self.add(_CODEGEN, stmt.lineno, "'return' outside function")
        elif kind is ast.Break and not in_loop:
            self.add(_CODEGEN, stmt.lineno, "'break' outside loop")
        elif kind is ast.Continue and not in_loop:
            self.add(_CODEGEN, stmt.lineno, "'continue' not properly in loop")
        elif kind is ast.Nonlocal:
            # the symbol table's analysis: the module's own block first, then the class blocks in pre-order
            self.add(_ANALYSIS, stmt.lineno, f"no binding for nonlocal '{stmt.names[0]}' found" if block  # type: ignore[attr-defined]
                     else "nonlocal declaration not allowed at module level", block=block)
        if kind in _ASYNC_OUTSIDE:
            self.add(_CODEGEN, stmt.lineno, _ASYNC_OUTSIDE[kind])
        if kind is ast.For or kind is ast.AsyncFor or kind is ast.While:
            self.walk(stmt.body, in_loop=True, block=block, leading=leading)  # type: ignore[attr-defined]
            self.walk(stmt.orelse, in_loop=in_loop, block=block, leading=leading)  # type: ignore[attr-defined]
            return
        for field in ("body", "orelse", "finalbody"):
            self.walk(getattr(stmt, field, None) or [], in_loop=in_loop, block=block, leading=leading)
        for part in getattr(stmt, "handlers", None) or getattr(stmt, "cases", None) or []:
            self.walk(part.body, in_loop=in_loop, block=block, leading=leading)

    def parameters(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        if args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg:  # in the symbol table's order
            names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
            names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
        else:
            names = [a.arg for a in args.args]
        if len(names) > 1 and len(set(names)) != len(names):
            seen: set[str] = set()
            duplicate = next(name for name in names if name in seen or seen.add(name))
            self.add(_VISIT, node.lineno, f"duplicate argument '{duplicate}' in function definition")
