"""IG010: public submodules of a lazy package that its lazy map does not register."""

from __future__ import annotations

from collections.abc import Iterable

from ..model import Finding, LazyModule, Severity
from .base import Rule, RuleContext, register
from ..import_time import ImportTime
from ..line_refs import at

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
    ``dir(pkg)`` does not list it. A submodule that ``import pkg`` imports for certain (an unconditional import
    statement, or a function the package calls at import time: mne 1.9's ``set_log_level()``) is bound on a package
    that keeps its module object, and is not reported (:mod:`importgraph.import_time`).

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
        import_time: ImportTime | None = None
        for lazy in ctx.lazy_modules.values():
            if lazy.style not in _SERVES_SUBMODULES or lazy.undecided and not lazy.names or any(
                    u.path == lazy.path and u.line == lazy.line for u in lazy.undecided):
                continue  # a structure (or a submodule list) the evaluator could not read says nothing of its keys
            registered = self._registered(lazy)
            hf_style = lazy.style.startswith("hf-")
            unregistered = [f"{lazy.name}.{leaf}" for leaf in sorted(children.get(lazy.name, ()))
                            if not (leaf.startswith("_") or leaf in _NOT_MODULES_OF_THE_API
                                    or f"{lazy.name}.{leaf}" in registered
                                    or hf_style and leaf.startswith(_PRIVATE_BY_CONVENTION))]
            if unregistered and not lazy.replaces_module:
                # The init's module object stays: every submodule importing it imports is bound on it.
                import_time = import_time or ImportTime(ctx.target.name, ctx.modules, ctx.lazy_modules,
                                                        ctx.init_trees)
                imported = import_time.imported_by(lazy.name)
                unregistered = [module for module in unregistered if module not in imported]
            for module in unregistered:
                leaf = module.rpartition(".")[2]
                facts = ctx.modules[module]
                yield self.finding(
                    lazy.name, module, facts.path, None,
                    f"{module} is a public submodule of lazy package {lazy.name} (built at line "
                    f"{at(lazy.path, lazy.line)} of its __init__) that no lazy key registers: `{lazy.name}.{leaf}` raises AttributeError "
                    f"until something imports {module}. {_how_to_register(lazy, leaf)} or make it private "
                    "with a leading underscore.")

    @staticmethod
    def _registered(lazy: LazyModule) -> set[str]:
        registered = set(lazy.submodules) | set(lazy.aliases)
        registered.update(entry.module for entry in lazy.names.values())
        registered.update(getattr(lazy, "missing_modules", {}) or {})
        registered.update(f"{lazy.name}.{name}" for name in lazy.extra_objects)
        return registered


def _how_to_register(lazy: LazyModule, leaf: str) -> str:
    if lazy.style == "lazy_loader-stub":
        return f"Add `from . import {leaf}` to its __init__.pyi (read by lazy_loader.attach_stub)"
    if lazy.style == "lazy_loader":
        # The call may be lazy_loader.attach or the init's own copy of it (huggingface_hub's ``_attach``).
        return f"Add \"{leaf}\" to the submodules passed to the attach call there"
    if lazy.style == "relative_import":
        return f"Add \".{leaf}\" to the rel_modules passed to relative_import"
    return f"Register it as a key (\"{leaf}\" with an empty list is enough)"
