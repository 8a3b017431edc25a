"""Does a module bind a name? Answered from facts, the way attribute lookup works at runtime.

A module binds a name when it defines or imports it at top level, gets it from a star import, serves
it from its own lazy map, or has a submodule of that name. A module-level ``__getattr__`` or an
unparsable file makes the answer undecidable: callers then stay silent instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Binding, LazyModule, ModuleFacts


@dataclass(frozen=True)
class Resolution:
    status: str
    """``bound``, ``missing`` or ``undecided``."""
    binding: Binding | None = None
    module: str | None = None
    """The module where the name was finally found (after star imports)."""
    reason: str = ""

    @property
    def bound(self) -> bool:
        return self.status == "bound"


def star_names(facts: ModuleFacts, modules: dict[str, ModuleFacts]) -> list[str] | None:
    """Names ``from facts import *`` binds: ``__all__`` or every public top-level name."""
    if facts.dunder_all_undecided is not None:
        return None
    if facts.dunder_all is not None:
        names = list(facts.dunder_all)
        for ref in facts.dunder_all_refs:
            other = modules.get(ref)
            more = star_names(other, modules) if other is not None else None
            if more is None:
                return None
            names.extend(more)
        return names
    return [n for n in facts.bindings if not n.startswith("_")]


def resolve_name(module: str, name: str, modules: dict[str, ModuleFacts],
                 lazy_modules: dict[str, LazyModule], _seen: frozenset[str] = frozenset()) -> Resolution:
    facts = modules.get(module)
    if facts is None:
        return Resolution("undecided", reason=f"{module} has no source we can read")
    if facts.problem is not None:
        return Resolution("undecided", reason=f"{module} does not parse")
    if not facts.path.endswith(".py"):
        return Resolution("undecided", reason=f"{module} is compiled or a namespace package")
    binding = facts.bindings.get(name)
    if binding is not None:
        return Resolution("bound", binding, module)
    lazy = lazy_modules.get(module)
    if lazy is not None and (name in lazy.names or name in lazy.extra_objects):
        return Resolution("bound", None, module, reason="served by its lazy map")
    if f"{module}.{name}" in modules:
        return Resolution("bound", None, f"{module}.{name}", reason="a submodule")
    if module in _seen:
        return Resolution("missing")
    for source in facts.star_imports:
        other = modules.get(source)
        if other is None:
            if not source.startswith(module.split(".")[0]):
                return Resolution("undecided", reason=f"star import from external module {source}")
            continue
        names = star_names(other, modules)
        if names is None:
            return Resolution("undecided", reason=f"__all__ of {source} not evaluated")
        if name in names:
            inner = resolve_name(source, name, modules, lazy_modules, _seen | {module})
            return inner if inner.status != "missing" else Resolution("bound", None, source)
    if "getattr" in facts.lazy_markers and lazy is None:
        return Resolution("undecided", reason=f"{module} defines a module-level __getattr__")
    return Resolution("missing")
