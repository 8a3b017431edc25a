"""IG010: public submodules of a lazy package that its lazy map does not register."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, LazyModule, ModuleFacts, Scope, Severity
from .base import Rule, RuleContext, register

_SERVES_SUBMODULES = {"hf-dict", "hf-structure", "lazy_loader", "lazy_loader-stub", "relative_import"}
"""Styles whose lazy module answers ``pkg.sub`` from a list of keys. A PEP 562 table maps names only."""

_PRIVATE_BY_CONVENTION = ("convert_", "modular_")
"""transformers' ``define_import_structure`` skips these files by design (conversion scripts and
modular sources that generate the real modeling files), and its dict-style inits never listed them:
they are deliberately not part of the lazy surface, not forgotten."""

_NOT_MODULES_OF_THE_API = {"conftest"}
"""pytest's ``conftest.py``, shipped inside some packages (scikit-image, mne): loaded by pytest, never meant
as ``pkg.conftest``."""


@register
class UnregisteredSubmodule(Rule):
    """A public submodule of a lazy package is not registered by any lazy key.

    The lazy module answers ``pkg.sub`` only for registered submodules. For an unregistered one,
    ``import pkg; pkg.sub`` raises AttributeError until something happens to ``import pkg.sub`` (then
    the import system sets the attribute), so code works or fails depending on import order, and
    ``dir(pkg)`` does not list it.

    Fix: register the submodule (transformers-style: a key with an empty name list; ``lazy_loader.attach``:
    an entry of ``submodules``; plotly's ``relative_import``: an entry of ``rel_modules``; an ``attach_stub`` package: ``from . import sub`` in its ``__init__.pyi``),
    rename it with a leading underscore if it is private, or remove the file. Files starting with
    ``convert_``/``modular_`` in transformers-style packages are skipped: the runtime excludes them by design;
    so is pytest's ``conftest.py``.
    """

    code = "IG010"
    name = "unregistered-submodule"
    severity = Severity.INFO

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        children: dict[str, list[str]] = {}
        for module in ctx.modules:
            parent, _, leaf = module.rpartition(".")
            if parent:
                children.setdefault(parent, []).append(leaf)
        for lazy in ctx.lazy_modules.values():
            if lazy.style not in _SERVES_SUBMODULES or lazy.undecided and not lazy.names or any(
                    u.path == lazy.path and u.line == lazy.line for u in lazy.undecided):
                continue  # a structure (or a submodule list) the evaluator could not read says nothing of its keys
            registered = self._registered(lazy)
            if not lazy.replaces_module:  # the init's module object stays: what it imports is bound on it
                registered.update(_imported_by(ctx.modules.get(lazy.name)))
            hf_style = lazy.style.startswith("hf-")
            for leaf in sorted(children.get(lazy.name, ())):
                module = f"{lazy.name}.{leaf}"
                if leaf.startswith("_") or leaf in _NOT_MODULES_OF_THE_API or module in registered:
                    continue
                if hf_style and leaf.startswith(_PRIVATE_BY_CONVENTION):
                    continue
                facts = ctx.modules[module]
                yield self.finding(
                    lazy.name, module, facts.path, 1,
                    f"{module} is a public submodule of lazy package {lazy.name} (built at line {lazy.line} of "
                    f"its __init__) that no lazy key registers: `{lazy.name}.{leaf}` raises AttributeError "
                    f"until something imports {module}. {_how_to_register(lazy, leaf)} or make it private "
                    "with a leading underscore.")

    @staticmethod
    def _registered(lazy: LazyModule) -> set[str]:
        registered = set(lazy.submodules) | set(lazy.aliases)
        registered.update(entry.module for entry in lazy.names.values())
        registered.update(getattr(lazy, "missing_modules", {}) or {})
        registered.update(f"{lazy.name}.{name}" for name in lazy.extra_objects)
        return registered


def _imported_by(facts: ModuleFacts | None) -> set[str]:
    """Modules an init imports unconditionally while it runs (``from . import sub``, ``from .sub import x``,
    ``import pkg.sub``): the import system binds each on its package."""
    imported: set[str] = set()
    for imp in facts.imports if facts is not None else ():
        if imp.scope is not Scope.MODULE or imp.guarded_by or imp.in_try or imp.fallback_for:
            continue
        parts = imp.module.split(".")
        imported.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        imported.update(f"{imp.module}.{name}" for name in imp.names)
    return imported


def _how_to_register(lazy: LazyModule, leaf: str) -> str:
    if lazy.style == "lazy_loader-stub":
        return f"Add `from . import {leaf}` to its __init__.pyi (read by lazy_loader.attach_stub)"
    if lazy.style == "lazy_loader":
        return f"Add \"{leaf}\" to the submodules passed to lazy_loader.attach"
    if lazy.style == "relative_import":
        return f"Add \".{leaf}\" to the rel_modules passed to relative_import"
    return f"Register it as a key (\"{leaf}\" with an empty list is enough)"
