"""IG013: dummy objects (4.x-style ``utils.dummy_*`` fallbacks) out of step with the real names."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..lazy import build_lazy_modules, known_backends
from ..model import Environment, Finding, LazyModule, ModuleFacts, Severity, normalise_backend
from ..resolve import resolve_name
from .base import Rule, RuleContext, register

_LAZY_KINDS = {"lazymodule", "lazy_loader", "getattr"}


def _is_dummy_module(name: str) -> bool:
    return name.rpartition(".")[2].startswith("dummy_")


@register
class DummyDrift(Rule):
    """A backend-guarded lazy name has no dummy object, or a dummy object has no real counterpart.

    4.x-style inits (transformers before ``define_import_structure``, diffusers) serve, when a backend
    is missing, the classes of ``utils/dummy_<backend>_objects.py`` instead: placeholders that raise a
    clear "requires torch" error when used. A guarded name without a dummy for that backend
    combination simply vanishes without the backend: ``from pkg import Name`` raises ImportError and
    ``pkg.Name`` AttributeError instead of the explanation. A dummy whose real class was removed or
    renamed is importable without the backend and disappears (ImportError) once the backend is
    installed. A dummy the init imports in its missing-backend branch but the dummy file lacks makes the
    init itself raise ImportError without the backend. Each backend is checked absent in turn by
    re-evaluating the init in that environment.
    Only ``dummy_*`` modules a lazy init imports are dummy files: elsewhere the name is ordinary code.

    Fix: regenerate the dummy files (transformers/diffusers: ``python utils/check_dummies.py
    --fix_and_overwrite``), or add/remove the dummy class by hand.
    """

    code = "IG013"
    name = "dummy-drift"
    severity = Severity.WARNING
    cost = 3  # evaluates every dummy-using init again, once per backend (diffusers: ~280 evaluations)

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for part in self.parts(ctx):
            yield from self.check_part(ctx, part)

    def parts(self, ctx: RuleContext) -> list[object]:
        """The dummy files' own checks, then one part per dummy-using init and backend modelled missing: each of
        those evaluates the init once more, the costly part of the rule (diffusers: ~280 of them)."""
        plan = self._plan(ctx)
        if plan is None:
            return []
        return ["dummy files", *((lazy.name, backend) for lazy in plan.inits
                                 for backend in sorted({normalise_backend(b) for e in lazy.names.values()
                                                        for b in e.backends} - ctx.env.always))]

    def check_part(self, ctx: RuleContext, part: object) -> Iterable[Finding]:
        plan = self._plan(ctx)
        if plan is None:
            return
        if part == "dummy files":
            yield from self._orphan_dummies(ctx, plan.dummy_modules)
            yield from self._imported_dummies_missing(ctx, plan.dummy_modules)
        else:
            name, backend = part
            yield from self._missing_dummies(ctx, plan.prepare(ctx, name), backend)

    @staticmethod
    def _plan(ctx: RuleContext) -> _Plan | None:
        """What every part needs, worked out once per process (kept on the context)."""
        if "ig013" not in ctx._exports_cache:
            ctx._exports_cache["ig013"] = _Plan.of(ctx)
        return ctx._exports_cache["ig013"]

    @staticmethod
    def _imported(facts: ModuleFacts | None) -> set[str]:
        """Modules ``facts`` imports (``from .utils import dummy_pt_objects`` counts the submodule too)."""
        if facts is None:
            return set()
        return {module for imp in facts.imports
                for module in (imp.module, *(f"{imp.module}.{name}" for name in imp.names))}

    @classmethod
    def _uses_dummies(cls, facts: ModuleFacts | None) -> bool:
        return any(_is_dummy_module(module) for module in cls._imported(facts))

    def _missing_dummies(self, ctx: RuleContext, init: _Init, backend: str) -> Iterable[Finding]:
        lazy = init.lazy
        env = Environment(unavailable=frozenset({backend}), always=ctx.env.always)
        without = build_lazy_modules(init.facts, env, ctx.target.search_path, init.trees, backends=init.backends,
                                     only=lazy.name).modules.get(lazy.name)
        if without is None:
            ctx.count_undecided(self.code)
            return
        if not any(e.origin == "attribute" or _is_dummy_module(e.module) for e in without.names.values()):
            return  # this init has no dummy fallback for the backend at all (4.x model sub-packages: the names
            # simply vanish, the top-level init serves the dummies): a design, not drift
        served = set(without.names) | set(without.extra_objects)
        for name, needed in init.needs.items():
            if backend not in needed or name in served:
                continue
            entry = lazy.names[name]
            yield self.finding(
                lazy.name, name, entry.path, entry.line,
                f"{lazy.name}.{name} needs {', '.join(entry.backends)}, but without {backend} the init "
                f"serves no dummy object for it: `from {lazy.name} import {name}` raises ImportError "
                "instead of the missing-backend message. Add a dummy class to the matching "
                "utils/dummy_*_objects.py (utils/check_dummies.py --fix_and_overwrite).")

    def _imported_dummies_missing(self, ctx: RuleContext, dummy_modules: dict[str, ModuleFacts]) -> Iterable[Finding]:
        """``from .utils.dummy_x_objects import A, B`` in a lazy init's missing-backend branch, where the dummy
        file does not define ``B``: the init itself raises ImportError whenever the backend is missing
        (diffusers 0.42.1 ``pipelines/deprecated/vq_diffusion``)."""
        for lazy_name in sorted(ctx.lazy_modules):
            facts = ctx.modules.get(lazy_name)
            if facts is None:
                continue
            reported: set[str] = set()  # once per name (the TYPE_CHECKING half often repeats the import)
            for imp in facts.imports:
                if imp.module not in dummy_modules or not imp.fallback_for:
                    continue
                for name in imp.names:
                    if name == "*" or name in reported or \
                            resolve_name(imp.module, name, ctx.modules, ctx.lazy_modules).status != "missing":
                        continue
                    reported.add(name)
                    backends = ", ".join(imp.fallback_for)
                    yield self.finding(
                        lazy_name, name, facts.path, imp.line,
                        f"without {backends}, {lazy_name} imports the dummy {name!r} from {imp.module}, which does "
                        f"not define it: `import {lazy_name}` raises ImportError exactly when {backends} is missing, "
                        "instead of serving the missing-backend placeholder. Add the dummy class "
                        "(utils/check_dummies.py --fix_and_overwrite) or drop the name from the import.")

    def _orphan_dummies(self, ctx: RuleContext, dummy_modules: dict[str, ModuleFacts]) -> Iterable[Finding]:
        real = {name for lazy in ctx.lazy_modules.values() for name, entry in lazy.names.items()
                if not _is_dummy_module(entry.module)}
        for lazy in ctx.lazy_modules.values():
            real.update(lazy.extra_objects)
        for module, facts in sorted(dummy_modules.items()):
            for name, binding in sorted(facts.bindings.items()):
                if binding.kind not in ("class", "def") or name.startswith("_") or name in real:
                    continue
                yield self.finding(
                    module, name, facts.path, binding.line,
                    f"{module} defines the dummy {name!r}, but no lazy map serves a real {name}: it is "
                    "importable only while the backend is missing and vanishes (ImportError) once it is "
                    "installed. Remove the dummy or restore the real object "
                    "(utils/check_dummies.py --fix_and_overwrite).")


@dataclass
class _Init:
    """One dummy-using init, ready to be evaluated again with a backend missing."""

    lazy: LazyModule
    facts: dict[str, ModuleFacts]
    """The modules that build no lazy module, and this init."""
    backends: frozenset[str]
    """:func:`known_backends` of ``facts``."""
    trees: dict[str, tuple[None, ast.Module]] | None
    """The init's tree as the lazy stage parsed it (its read is recorded there already)."""
    needs: dict[str, set[str]]
    """Judged structure names -> the backends each declares (normalised)."""


@dataclass
class _Plan:
    """What every part of IG013 needs, worked out once per process (the parts may run in two)."""

    dummy_modules: dict[str, ModuleFacts]
    inert: dict[str, ModuleFacts]
    inert_backends: frozenset[str]
    """What the lazy stage works out from every module's imports: once here, not once per init and backend."""
    inits: list[LazyModule]
    prepared: dict[str, _Init] = field(default_factory=dict)

    @classmethod
    def of(cls, ctx: RuleContext) -> _Plan | None:
        # Only the dummy files a lazy init falls back to: ``dummy_*`` modules of packages without that
        # design (aws_xray_sdk's ``dummy_entities``: no-op segments) are ordinary code.
        fallbacks = {target for lazy in ctx.lazy_modules for target in DummyDrift._imported(ctx.modules.get(lazy))}
        dummy_modules = {name: facts for name, facts in ctx.modules.items()
                         if _is_dummy_module(name) and name in fallbacks}
        if not dummy_modules:
            return None
        inert = {n: f for n, f in ctx.modules.items() if not _LAZY_KINDS.intersection(f.lazy_markers)}
        inits = [lazy for lazy in sorted(ctx.lazy_modules.values(), key=lambda m: m.name)
                 if lazy.style == "hf-dict" and DummyDrift._uses_dummies(ctx.modules.get(lazy.name))]
        return cls(dummy_modules, inert, known_backends(inert.values()), inits)

    def prepare(self, ctx: RuleContext, name: str) -> _Init:
        """The init ``name``, ready to be evaluated again (once per process)."""
        prepared = self.prepared.get(name)
        if prepared is None:
            lazy = ctx.lazy_modules[name]
            # Dummy files are generated for the package's top-level exports (check_dummies.py reads the root
            # init); sub-packages borrow them. A sub-package helper that is not a top-level export has no dummy
            # by design, so only names the root also exports are judged there.
            root = ctx.lazy_modules.get(ctx.target.name)
            judged = set(lazy.names) if lazy.name == ctx.target.name or root is None else set(root.names)
            tree = ctx.init_trees.get(lazy.path)
            prepared = self.prepared[name] = _Init(
                lazy, {**self.inert, name: ctx.modules[name]},
                self.inert_backends | known_backends([ctx.modules[name]]),
                {lazy.path: (None, tree)} if tree is not None else None,
                {n: {normalise_backend(b) for b in entry.backends} for n, entry in sorted(lazy.names.items())
                 if n in judged and entry.origin == "structure"})
        return prepared
