"""The values the init evaluator computes with.

Plain Python values (str, list, dict, set, frozenset, bool, ...) stand for themselves. Strings that come
from the analysed source are :class:`Tagged` so that every lazy name remembers the file, line and
availability guard it was declared under. Everything the evaluator cannot know is an :class:`Unknown`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


class Tagged(str):
    """A string literal of the analysed code, with where it was written and under which guard."""

    path: str
    line: int
    guard: frozenset[str]

    def __new__(cls, value: str, path: str, line: int, guard: frozenset[str] = frozenset()) -> Tagged:
        obj = super().__new__(cls, value)
        obj.path, obj.line, obj.guard = path, line, guard
        return obj

    def __reduce__(self):  # keep tags through copy/pickle (the cache ships facts between processes)
        return (Tagged, (str(self), self.path, self.line, self.guard))


@dataclass(frozen=True)
class Unknown:
    """A value the evaluator does not know. Never guessed at: whatever depends on it is undecided."""

    reason: str
    line: int = 0

    def __bool__(self) -> bool:  # pragma: no cover - a programming error if reached
        raise TypeError("Unknown has no truth value")


@dataclass(frozen=True)
class ModuleRef:
    """An imported module (``import sys``, ``from .utils import dummy_pt_objects``)."""

    name: str


@dataclass(frozen=True)
class ModuleProxy:
    """An object that imports ``module`` on first attribute access (mlflow's ``LazyLoader``: :mod:`.proxies`)."""

    module: str
    line: int


@dataclass(frozen=True)
class ImportedName:
    """``from module import name``: a function or object of another module, known by name only."""

    module: str
    name: str


@dataclass(frozen=True)
class PathValue:
    """A filesystem path built from ``__file__`` (``Path(__file__).parent / "models"``)."""

    path: str


@dataclass(frozen=True)
class ObjectRef:
    """``getattr(module, name)`` for a module we have facts for (dummy objects)."""

    module: str
    name: str
    line: int = 0


@dataclass(frozen=True)
class ExceptionValue:
    name: str


@dataclass(frozen=True)
class Builtin:
    name: str


@dataclass(frozen=True)
class SysModules:
    """``sys.modules``: assigning a lazy module into it installs it."""


@dataclass(frozen=True)
class Globals:
    """``globals()``."""


@dataclass(eq=False)
class Function:
    """A function defined in the evaluated module (kept for PEP 562 ``__getattr__`` analysis)."""

    node: ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(eq=False)
class Lambda:
    node: ast.Lambda
    scope: object


@dataclass(eq=False)
class LazyBuild:
    """A ``_LazyModule(...)`` (or ``lazy.attach(...)``) call captured while evaluating an init."""

    kind: str
    """``lazymodule``, ``attach``, ``attach_stub``, ``relative_import`` (plotly's) or ``recreate_module`` (celery's)."""
    line: int
    args: list[object]
    kwargs: dict[str, object]
    installed: bool = False
    """Assigned into ``sys.modules[__name__]`` (or unpacked into ``__getattr__``)."""
    attributes: dict[str, object] = field(default_factory=dict)
    """Names set on it afterwards with ``setattr(sys.modules[__name__], name, value)``."""
    attribute_lines: dict[str, int] = field(default_factory=dict)


def is_unknown(value: object) -> bool:
    return isinstance(value, Unknown)
