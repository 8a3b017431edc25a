"""``setup(install_requires=..., name=..., python_requires=...)`` read from a ``setup.py`` tree, never run.

A checkout without a ``pyproject.toml`` ``[project]`` table declares its distribution in the call to ``setup()``
(transformers, diffusers, accelerate, peft, numba, jax ...). :mod:`importgraph.distribution` asks this reader
for the keyword values it needs; whatever is not a literal it can follow is left out, never guessed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path


class SetupReader:
    """Reads ``setup(install_requires=...)`` from a ``setup.py`` tree without running it.

    Understood: string literals, formatted ones (:meth:`_formatted`), lists/tuples (and ``*`` unpacking) of
    them, names assigned at module level (in order, with ``+=``, ``.append`` and ``.extend`` applied),
    ``list()``/``tuple()``/``sorted()`` of those, ``+``, ``setup(**metadata)``, and ``table["name"]``: the Hugging
    Face projects' ``deps["numpy"]`` look up a table built from requirement strings by the requirement's own
    name, so the key is the name (a literal table gives its entry). Any other element is skipped.
    """

    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.values: dict[str, list[ast.expr]] = {}
        for node in self._module_level(tree.body):
            self._bind(node)
        call = self.setup_call()
        self.arguments: dict[str, ast.expr] = self.keywords(call) if call is not None else {}
        """``setup()``'s keyword arguments (empty: no call to ``setup``)."""

    @classmethod
    def read(cls, path: Path) -> SetupReader | None:
        """The reader of the ``setup.py`` at ``path``; None when it cannot be read or parsed."""
        # Imported here: importing the scan package imports discover, which imports this module.
        from .scan.read import parse_source

        try:
            return cls(parse_source(path.read_bytes(), str(path)))
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            return None

    def setup_call(self) -> ast.Call | None:
        calls = [node for node in ast.walk(self.tree) if isinstance(node, ast.Call)
                 and ((isinstance(node.func, ast.Name) and node.func.id == "setup")
                      or (isinstance(node.func, ast.Attribute) and node.func.attr == "setup"))]
        return calls[-1] if calls else None

    def literal(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Name) and len(self.values.get(node.id, ())) == 1:
            node = self.values[node.id][0]
        return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None

    def strings(self, node: ast.expr, depth: int = 0) -> list[str]:
        if depth > 20:
            return []
        if isinstance(node, ast.Constant):
            return [node.value] if isinstance(node.value, str) else []
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [s for element in node.elts for s in self.strings(element, depth + 1)]
        if isinstance(node, ast.Starred):
            return self.strings(node.value, depth + 1)
        if isinstance(node, ast.Name):
            return [s for part in self.values.get(node.id, ()) for s in self.strings(part, depth + 1)]
        if isinstance(node, (ast.JoinedStr, ast.Call, ast.BinOp)) and not is_concatenation(node):
            return self._formatted(node)
        if isinstance(node, ast.BinOp):
            return self.strings(node.left, depth + 1) + self.strings(node.right, depth + 1)
        if isinstance(node, ast.Call):
            return self.strings(node.args[0], depth + 1)
        if (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str)):
            table = self.values.get(node.value.id, ()) if isinstance(node.value, ast.Name) else ()
            if len(table) == 1 and isinstance(table[0], ast.Dict):  # a literal table: its entry
                entry = next((v for k, v in zip(table[0].keys, table[0].values)
                              if isinstance(k, ast.Constant) and k.value == node.slice.value), None)
                return self.strings(entry, depth + 1) if entry is not None else []
            return [node.slice.value]
        return []

    def keywords(self, call: ast.Call) -> dict[str, ast.expr]:
        """``setup()``'s keywords, with those of ``**metadata`` where ``metadata = dict(...)`` or ``{...}`` (numba)."""
        found: dict[str, ast.expr] = {}
        for keyword in call.keywords:
            if keyword.arg is not None:
                found[keyword.arg] = keyword.value
                continue
            value = keyword.value
            if isinstance(value, ast.Name) and len(self.values.get(value.id, ())) == 1:
                value = self.values[value.id][0]
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "dict":
                found.update((k.arg, k.value) for k in value.keywords if k.arg is not None)
            elif isinstance(value, ast.Dict):
                found.update((k.value, v) for k, v in zip(value.keys, value.values)
                             if isinstance(k, ast.Constant) and isinstance(k.value, str))
        return found

    def _formatted(self, node: ast.expr) -> list[str]:
        """A requirement built by formatting: ``f"{HF_XET_VERSION}; ..."`` (huggingface_hub), ``f"jaxlib >={v}"``
        (jax), ``"llvmlite >={},<{}".format(...)`` (numba). The text as far as it is known, when that much
        already holds the whole name (a part that is not known could extend it: ``f"torch{suffix}"``)."""
        known, complete = "", True
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                text = value.value if isinstance(value, ast.Constant) else (
                    self.literal(value.value) if isinstance(value, ast.FormattedValue) and value.conversion == -1
                    and value.format_spec is None else None)
                if not isinstance(text, str):
                    complete = False
                    break
                known += text
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
              and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)):
            known, _, rest = node.func.value.value.partition("{")
            complete = not rest
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant)
              and isinstance(node.left.value, str)):
            known, _, rest = node.left.value.partition("%")
            complete = not rest
        else:
            return []
        return [known] if complete or re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*[^A-Za-z0-9._\s-]", known) else []

    def _module_level(self, body: list[ast.stmt]) -> Iterable[ast.stmt]:
        """Statements that run at module level (into ``if``/``try``/``with``, not into functions or classes)."""
        for node in body:
            yield node
            if isinstance(node, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
                for field in ("body", "orelse", "finalbody"):
                    yield from self._module_level(getattr(node, field, []))
                for handler in getattr(node, "handlers", []):
                    yield from self._module_level(handler.body)

    def _bind(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            self.values[node.targets[0].id] = [node.value]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            self.values[node.target.id] = [node.value]
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) and isinstance(node.op, ast.Add):
            self.values.setdefault(node.target.id, []).append(node.value)
        elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
              and isinstance(node.value.func, ast.Attribute) and isinstance(node.value.func.value, ast.Name)
              and node.value.func.attr in ("append", "extend") and len(node.value.args) == 1):
            name, arg = node.value.func.value.id, node.value.args[0]
            self.values.setdefault(name, []).append(ast.List([arg]) if node.value.func.attr == "append" else arg)


def is_concatenation(node: ast.expr) -> bool:
    """``a + b`` of lists, and ``list(x)``/``tuple(x)``/``sorted(x)``: containers, not formatted strings."""
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, ast.Add)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("list", "tuple", "sorted") and len(node.args) == 1)
