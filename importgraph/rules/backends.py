"""IG007: a lazy name that imports an optional backend its declaration does not name."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from ..fact_reads import conditional_lines
from ..graph import resolve_import, serve
from ..line_refs import at
from ..model import Finding, ImportFact, LazyModule, LazyName, Scope, SourceRef, normalise_backend
from ..backend_names import DISTRIBUTION_IMPORT_NAMES, BackendImports
from .base import Rule, RuleContext, register

@dataclass(frozen=True)
class _Importer:
    """A module importing another at import time (an edge of :func:`runtime_imports`, seen from its target)."""

    module: str
    line: int
    blocked_by: frozenset[str]
    """Import names whose absence keeps the statement from running (its guards, or a lazy placeholder)."""


class BackendMap:
    """Backend name (as the package spells it) -> the import names declaring it makes safe."""

    def __init__(self, ctx: RuleContext):
        # IG007 and IG012 both build one: the probes (a parse of every file defining ``is_x_available``)
        # and the per-backend answers are read once per context and shared.
        shared = ctx._exports_cache.get("backend-map")
        if shared is None:
            shared = ctx._exports_cache["backend-map"] = (BackendImports.from_modules(ctx.modules), {})
        self._names: BackendImports = shared[0]
        self._cache: dict[str, frozenset[str]] = shared[1]
        self._covered_sets: dict[frozenset[str], frozenset[str]] = {}

    def imports(self, backend: str) -> frozenset[str]:
        backend = normalise_backend(backend)
        if backend not in self._cache:
            self._cache[backend] = self._names.covered(backend)
        return self._cache[backend]

    def covered(self, backends: Iterable[str]) -> frozenset[str]:
        out: set[str] = set()
        for backend in backends:
            out |= self.imports(backend)
        return frozenset(out)

    def covers(self, backends: frozenset[str], name: str) -> bool:
        """Whether declaring ``backends`` makes importing ``name`` safe (memoised: IG007 asks for the same
        few sets of backends thousands of times)."""
        found = self._covered_sets.get(backends)
        if found is None:
            found = self._covered_sets[backends] = self.covered(backends)
        return name in found


@register
class UndeclaredBackend(Rule):
    """A lazy name declared without backend X imports X at module level (directly or through the package).

    The lazy module only serves its clear missing-backend placeholder (or dummy object) for names that
    *declare* the backend. A name declared without it is imported for real, and when the target module
    — or a module of the package it imports at module level — does ``import torch`` outside a function,
    ``TYPE_CHECKING``, ``try/except ImportError`` or an ``is_torch_available()`` guard, the user gets
    ``ModuleNotFoundError: No module named 'torch'`` from ``from pkg import Name`` instead of the
    explanatory placeholder. Each backend is checked absent in turn, with the package's own mapping of
    backend names to import names (``is_vision_available`` probes ``PIL``); hard requirements from
    ``Requires-Dist`` are always installed and never reported. The finding's chain gives every hop.

    Only lazy maps that can declare a backend are checked: transformers' and diffusers' structures, and any other
    map with at least one entry declaring one. A plain ``__getattr__`` table (sglang's kernel facade) has no
    placeholder to serve: a name whose module needs an optional package fails with ``ModuleNotFoundError`` by
    design there.

    Fix: declare the backend on the entry (``@requires(backends=("torch",))``, or move the entry under
    the ``is_torch_available()`` guard of the structure), or make the import lazy (inside the function
    that needs it, or under ``if is_torch_available():``).
    """

    code = "IG007"
    name = "undeclared-backend"
    cost = 2  # resolves every import of the package, then one walk per backend

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        backends = BackendMap(ctx)
        always = {DISTRIBUTION_IMPORT_NAMES.get(r, r).lower() for r in ctx.env.always}
        known = set()
        for lazy in ctx.lazy_modules.values():
            for entry in lazy.names.values():
                known.update(entry.backends)
        for facts in ctx.modules.values():
            for imp in facts.imports:
                known.update(imp.guarded_by)
        candidates = sorted({i for b in known for i in backends.imports(b)} - {ctx.target.name})
        candidates = [c for c in candidates if c.lower() not in always]
        importers, sources = runtime_imports(ctx, backends)
        declared_anywhere = self._declared_anywhere(ctx)
        reported: set[tuple[str, str, str]] = set()
        reach = shared_reach(ctx)
        entries = self._served_entries(ctx)
        for missing in candidates:
            if not sources.get(missing):
                continue
            if missing not in reach:
                reach[missing] = reaching(importers, sources[missing], missing)
            next_hop = reach[missing]
            for lazy_name, entry, module, declared in entries:
                if module not in next_hop:
                    continue
                finding = self._check_entry(ctx, backends, lazy_name, entry, module, declared, missing, next_hop,
                                            reported, declared_anywhere)
                if finding is not None:
                    yield finding

    @staticmethod
    def _served_entries(ctx: RuleContext) -> list[tuple[str, LazyName, str, frozenset[str]]]:
        """``(lazy module, entry, the module that serves it, the backends it declares)`` of every structure
        entry, outer lazy modules first: the same for every backend checked, so worked out once."""
        served = []
        for lazy_name in sorted(ctx.lazy_modules, key=lambda n: (n.count("."), n)):
            if not _declares_backends(ctx.lazy_modules[lazy_name]):
                continue
            for entry in ctx.lazy_modules[lazy_name].names.values():
                if entry.origin != "structure":
                    continue
                declared = set(entry.backends)
                module = entry.module
                # a key naming a lazy package (4.x ``"models.albert": [...]``): follow to the serving module
                inner = serve(entry.module, entry.fetched, ctx.lazy_modules)
                if inner is not None and inner != entry.module:
                    nested = ctx.lazy_modules.get(entry.module)
                    if nested is not None and entry.fetched in nested.names:
                        declared |= set(nested.names[entry.fetched].backends)
                    module = inner
                served.append((lazy_name, entry, module, frozenset(declared)))
        return served

    def _check_entry(self, ctx: RuleContext, backends: BackendMap, lazy_name: str, entry: LazyName, module: str,
                     declared: frozenset[str], missing: str, next_hop: dict, reported: set,
                     declared_anywhere: dict[tuple[str, str], set[str]]) -> Finding | None:
        # diffusers declares the backend once, at the top (``diffusers.DDPMPipeline`` under torch), and
        # leaves the nested package's own map unguarded: the package's intent is known, not a defect.
        outer = declared_anywhere.get((lazy_name, entry.name))
        if backends.covers(declared | outer if outer else declared, missing):
            return None
        key = (module, entry.name, missing)
        if key in reported:
            return None
        reported.add(key)
        chain = [SourceRef(entry.path, entry.line)]
        hops = [module]
        current = module
        while True:
            target, line = next_hop[current]
            chain.append(SourceRef(ctx.modules[current].path, line))
            if target is None:
                break
            hops.append(target)
            current = target
        route = " -> ".join(hops)
        return self.finding(
            lazy_name, entry.name, entry.path, entry.line,
            f"{lazy_name}.{entry.name} is declared without a backend that provides {missing!r}, but importing "
            f"it runs `import {missing}` at module level ({route}, line {at(chain[-1].path, chain[-1].line)}); without {missing} "
            f"`from {lazy_name} import {entry.name}` raises ModuleNotFoundError instead of the missing-backend "
            f"placeholder. Declare the backend on the entry or import {missing} lazily in "
            f"{ctx.modules[current].name}.",
            chain=tuple(chain))

    @staticmethod
    def _declared_anywhere(ctx: RuleContext) -> dict[tuple[str, str], set[str]]:
        """(lazy module, name) -> backends that outer lazy modules routing this name *through* it declare
        (``diffusers.DDPMPipeline`` -> key ``pipelines`` -> ``pipelines.ddpm``), transitively."""
        routed: dict[tuple[str, str], set[str]] = {}
        for lazy in ctx.lazy_modules.values():
            for entry in lazy.names.values():
                if entry.module in ctx.lazy_modules and entry.module != lazy.name:
                    routed.setdefault((entry.module, entry.fetched), set()).update(entry.backends)
        changed = True
        while changed:  # propagate down chains of nested lazy packages
            changed = False
            for (module, name), backends in list(routed.items()):
                inner = ctx.lazy_modules[module].names.get(name)
                if inner is not None and inner.module in ctx.lazy_modules and inner.module != module:
                    target = routed.setdefault((inner.module, name), set())
                    if not backends <= target:
                        target.update(backends)
                        changed = True
        return routed


def _declares_backends(lazy: LazyModule) -> bool:
    """The lazy map has a way to say a name needs a backend (and to serve a placeholder without it)."""
    return lazy.style in ("hf-dict", "hf-structure") or any(entry.backends for entry in lazy.names.values())


def runtime_imports(ctx: RuleContext, backends: BackendMap):
    """Import-time edges between the package's modules, as each module's importers, and per top-level external
    name the modules that import it unconditionally at module level (cached on the context: IG012 uses it too)."""
    key = ("ig007-edges",)
    if key in ctx._exports_cache:
        return ctx._exports_cache[key]
    importers: dict[str, list[_Importer]] = {}
    sources: dict[str, dict[str, int]] = {}
    top = ctx.target.name
    for name, facts in ctx.modules.items():
        # a statement binding its names only in one branch of an ``if``/``try`` whose guard we cannot
        # name (``if is_sagemaker_mp_enabled():``) may not run: it is not counted, never guessed
        conditional = conditional_lines(facts)
        parent = name.rpartition(".")[0]
        if parent in ctx.modules:  # importing a.b.c runs a/__init__ and a/b/__init__ first
            importers.setdefault(parent, []).append(_Importer(name, 1, frozenset()))
        for fact in facts.imports:
            if fact.scope is not Scope.MODULE or fact.in_try or fact.guarded_by or fact.line in conditional:
                continue
            external = fact.module.split(".")[0]
            if external != top and external not in ctx.modules:
                sources.setdefault(external, {}).setdefault(name, fact.line)
                continue
            for target, blocked_by in _internal(ctx, backends, fact, name, top):
                importers.setdefault(target, []).append(_Importer(name, fact.line, blocked_by))
    ctx._exports_cache[key] = (importers, sources)
    return importers, sources


def _internal(ctx: RuleContext, backends: BackendMap, fact: ImportFact, name: str,
              top: str) -> Iterable[tuple[str, frozenset[str]]]:
    """The package's modules ``fact`` makes ``name`` import, each with the import names it is blocked by."""
    for target, via in resolve_import(fact, ctx.modules, ctx.lazy_modules, top):
        if target == name or target not in ctx.modules:
            continue
        blocked_by: frozenset[str] = frozenset()
        if via is not None:  # a lazy name: a placeholder is served when its backend is missing
            lazy = ctx.lazy_modules.get(via[0])
            entry = lazy.names.get(via[1]) if lazy else None
            if entry is not None:
                blocked_by = backends.covered(entry.backends)
        yield target, blocked_by


def shared_reach(ctx: RuleContext) -> dict[str, dict]:
    """Import name -> :func:`reaching` over :func:`runtime_imports`, filled lazily by IG007 and IG012 alike."""
    return ctx._exports_cache.setdefault("reaching", {})


def reaching(importers: dict[str, list[_Importer]], sources: dict[str, int], missing: str) -> dict:
    """module -> (next module on a shortest path toward ``import missing``, line); None at the end."""
    next_hop: dict[str, tuple[str | None, int]] = {m: (None, line) for m, line in sources.items()}
    queue = deque(sorted(sources))
    while queue:
        current = queue.popleft()
        for importer in importers.get(current, ()):
            if importer.module not in next_hop and missing not in importer.blocked_by:
                next_hop[importer.module] = (current, importer.line)
                queue.append(importer.module)
    return next_hop
