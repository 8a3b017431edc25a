"""Does a module bind a name? Answered from facts, the way attribute lookup works at runtime.

A module binds a name when it defines or imports it at top level, gets it from a star import, serves
it from its own lazy map, has a submodule of that name, or the name is one every module has (``__doc__``).
A module-level ``__getattr__`` (defined or assigned), a module object replaced in ``sys.modules`` by one we
do not model, names written through ``globals()``/``locals()`` or declared ``global`` in a function, a star
import from a module we cannot read (a compiled extension) or an unparsable file makes the answer
undecidable: callers then stay silent instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Binding, LazyModule, LazyName, ModuleFacts, Scope


MODULE_ATTRIBUTES = frozenset({"__name__", "__doc__", "__package__", "__loader__", "__spec__", "__file__",
                               "__cached__", "__builtins__", "__dict__", "__annotations__", "__class__"})
"""Attributes every module imported from a source file has (packages also have ``__path__``)."""


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


def star_names(facts: ModuleFacts, modules: dict[str, ModuleFacts],
               _seen: frozenset[str] = frozenset()) -> list[str] | None:
    """Names ``from facts import *`` binds: ``__all__``, else every public global (star-imported ones too);
    None when unknown (``__all__`` not evaluated or imported from where we cannot see, a compiled module,
    a file that does not parse, a star import from a module we cannot read)."""
    if facts.name in _seen:
        return []  # star imports in a cycle: nothing new
    seen = _seen | {facts.name}
    if facts.dunder_all_undecided is not None or facts.problem is not None or not facts.path.endswith(".py"):
        return None
    if facts.dunder_all is not None:
        names = list(facts.dunder_all)
        for ref in facts.dunder_all_refs:
            other = modules.get(ref)
            more = star_names(other, modules, seen) if other is not None else None
            if more is None:
                return None
            names.extend(more)
        return names
    dunder_all = facts.bindings.get("__all__")
    if dunder_all is not None:  # bound, but not by a literal: only ``from x import __all__`` is followed
        origin, _, imported = (dunder_all.source or "").partition(":")
        other = modules.get(origin) if dunder_all.kind == "import" and imported == "__all__" else None
        if other is None or (other.dunder_all is None and "__all__" not in other.bindings):
            return None
        return star_names(other, modules, seen)
    names = [n for n in facts.bindings if not n.startswith("_")]
    names.extend(n for n in imported_submodules(facts, modules) if not n.startswith("_"))
    for source, _ in facts.star_imports:
        other = modules.get(source)
        more = star_names(other, modules, seen) if other is not None else None
        if more is None:
            return None
        names.extend(n for n in more if not n.startswith("_"))
    return list(dict.fromkeys(names))


def imported_submodules(facts: ModuleFacts, modules: dict[str, ModuleFacts]) -> list[str]:
    """Names of the submodules a package's init imports for certain (``from .scores import accuracy`` binds
    ``scores`` on the package, as the import system sets every imported submodule on its parent): attributes of the
    package that no statement of its own binds, and so names ``from package import *`` gives when there is no
    ``__all__`` (nltk's ``from nltk.metrics import *`` gives ``nltk.agreement``)."""
    if not facts.is_package:
        return []
    prefix = facts.name + "."
    found: list[str] = []
    for fact in facts.imports:
        if fact.scope is not Scope.MODULE or fact.conditional:
            continue
        if fact.module.startswith(prefix):
            found.append(fact.module[len(prefix):].split(".")[0])
        elif fact.module == facts.name:  # ``from . import sub``
            found.extend(n for n in fact.names if prefix + n in modules)
    return found


def reexport_origin(module: str, name: str, modules: dict[str, ModuleFacts], hops: int = 10) -> tuple[str, str]:
    """Where ``module.name`` comes from through re-exports (``from m import f as g``, at most ``hops`` of them):
    the module and name of the first binding that does not import another module's name."""
    for _ in range(hops):
        facts = modules.get(module)
        binding = facts.bindings.get(name) if facts is not None and facts.problem is None else None
        if binding is None or binding.kind != "import" or not binding.source or ":" not in binding.source:
            break
        module, name = binding.source.split(":", 1)
    return module, name


def module_exists(module: str, modules: dict[str, ModuleFacts], lazy_modules: dict[str, LazyModule]) -> bool:
    """A file, package folder, extension module of the package, or an alias served by a meta-path finder."""
    if module in modules:
        return True
    return any(module in lazy.aliases for lazy in lazy_modules.values())


def shadowed(lazy: LazyModule, facts: ModuleFacts | None, name: str, modules: dict[str, ModuleFacts]) -> bool:
    """A module-level ``__getattr__`` (lazy_loader, relative_import, PEP 562) runs only for names the module does
    not bind: an entry for a name the init binds unconditionally is never looked up (plotly's ``__version__``),
    itself or by a star import (torch.ao.nn.intrinsic's ``from .modules import *`` binds every name of its
    ``__all__``, which its ``__getattr__`` would import as submodules). A ``_LazyModule`` replaces the init's
    namespace, so nothing shadows its entries."""
    if lazy.replaces_module or facts is None or name in lazy.proxies:
        return False  # (a proxy is the binding: it imports its module when first used)
    binding = facts.bindings.get(name)
    if binding is not None:
        return not binding.conditional and not binding.guarded_by
    return _star_bound(facts, name, modules)


def _star_bound(facts: ModuleFacts, name: str, modules: dict[str, ModuleFacts]) -> bool:
    """A star import that surely runs (module level, no guard, ``try`` or condition) binds ``name``."""
    if not facts.star_imports:
        return False
    surely_run = {imp.line for imp in facts.imports if imp.names == ("*",) and imp.scope is Scope.MODULE
                  and not (imp.conditional or imp.guarded_by or imp.in_try or imp.fallback_for or imp.in_with)}
    for source, line in facts.star_imports:
        other = modules.get(source) if line in surely_run else None
        names = star_names(other, modules) if other is not None else None
        if names is not None and name in names:
            return True
    return False


def another_package(module: str, modules: dict[str, ModuleFacts]) -> bool:
    """``module`` is not one of the analysed package's (its top-level package is not among them)."""
    return module not in modules and module.partition(".")[0] not in modules


def resolve_name(module: str, name: str, modules: dict[str, ModuleFacts],
                 lazy_modules: dict[str, LazyModule], _seen: frozenset[str] = frozenset()) -> Resolution:
    facts = modules.get(module)
    if facts is None:
        if another_package(module, modules):  # pydantic's ValidationError, served by pydantic_core
            return Resolution("undecided", reason=f"{module} belongs to another package, which is not analysed")
        return Resolution("undecided", reason=f"{module} has no source we can read")
    if facts.problem is not None:
        return Resolution("undecided", reason=f"{module} does not parse")
    if not facts.path.endswith(".py"):
        return Resolution("undecided", reason=f"{module} is {_unreadable_kind(facts.path)}")
    binding = facts.bindings.get(name)
    if binding is not None:
        return Resolution("bound", binding, module)
    if name in MODULE_ATTRIBUTES or (name == "__path__" and facts.is_package):
        return Resolution("bound", None, module, reason="every module has it")
    lazy = lazy_modules.get(module)
    served = lazy is not None and (name in lazy.names or name in lazy.extra_objects or name in lazy.module_keys)
    if served and (lazy.replaces_module or not _star_bound(facts, name, modules)):
        # (a module-level __getattr__ is not asked for a name a star import binds: torch.ao.nn.intrinsic)
        return Resolution("bound", None, module, reason="served by its lazy map")
    if f"{module}.{name}" in modules:
        return Resolution("bound", None, f"{module}.{name}", reason="a submodule")
    if module in _seen:
        return Resolution("missing")
    for source, _ in reversed(facts.star_imports):  # the last one giving the name binds it last
        other = modules.get(source)
        if other is None:
            if not source.startswith(module.split(".")[0]):
                return Resolution("undecided", reason=f"star import from external module {source}")
            continue
        names = star_names(other, modules)
        if names is None:
            return Resolution("undecided", reason=f"the names {source} exports are unknown (compiled, or its "
                                                  "__all__ not evaluated)")
        if name in names:
            inner = resolve_name(source, name, modules, lazy_modules, _seen | {module})
            return inner if inner.status != "missing" else Resolution("bound", None, source)
    plain = lazy is None or lazy.style == "module_proxy"  # (proxies are plain bindings of the module's own namespace)
    if (plain or lazy.style == "pep562" or lazy.wrapped_at) and "__getattr__" in facts.bindings:
        # a hand-written __getattr__ may serve more than the table we read from it (pydantic falls back to
        # its migration shims, huggingface_hub.utils serves ``httpx`` and submodules by other branches, plotly's
        # graph_objs wraps relative_import's to serve ``FigureWidget``)
        return Resolution("undecided", reason=f"{module} defines a module-level __getattr__")
    if plain and "replaces_module" in facts.lazy_markers:
        return Resolution("undecided", reason=f"{module} replaces itself in sys.modules")
    if name in facts.global_names:
        return Resolution("undecided", reason=f"{module} binds {name} from a function that declares it global")
    if plain and "dynamic_globals" in facts.lazy_markers:
        return Resolution("undecided", reason=f"{module} may bind names through globals() or locals()")
    return Resolution("missing")


_COMPILED = (".so", ".pyd", ".pyc")


def _unreadable_kind(path: str) -> str:
    if path.endswith(".pyc"):
        return "bytecode without source"
    return "a compiled extension module" if path.endswith(_COMPILED) else "a namespace package"


@dataclass(frozen=True)
class Located:
    """Where ``getattr(module, name)`` ends at runtime, answered statically (see :func:`locate`)."""

    module: str
    """The module that defines the object (for a submodule: the submodule itself)."""
    kind: str
    """``module`` (a submodule), ``class``, ``def``, ``assign``, ``object`` (an ``extra_objects`` entry),
    ``compiled`` (the lookup ends in a module without source: it defines the name or raises, we cannot tell)."""
    placeholder: bool = False
    """The runtime serves a generated placeholder or a ``dummy_*`` object: a backend is missing."""
    hops: tuple[str, ...] = ()
    """Every module the lookup went through, first to last."""


_MAX_HOPS = 20


def locate(module: str, name: str, modules: dict[str, ModuleFacts], lazy_modules: dict[str, LazyModule],
           _hops: tuple[str, ...] = (), _asked: frozenset[tuple[str, str]] = frozenset()) -> Located | None:
    """Follow ``getattr(module, name)`` the way the runtime would, without running anything.

    The lookup order is the runtime's: a ``_LazyModule`` replaces the init in ``sys.modules``, so only its
    ``extra_objects``, ``setattr`` attributes and lazy map count, checked in the order the installed lazy
    module checks them (4.x dict style: submodule keys before names; 5.x backend-keyed: missing-backend
    placeholders, then names, then submodule keys, then the ``XImageProcessor`` -> ``XImageProcessorPil``
    fallback without torchvision). For ``lazy_loader`` and PEP 562 modules the init's own globals come
    first and the lazy map serves the rest. Re-exports (``from .x import y``, ``import x as y``) and star
    imports are followed to the defining module. ``None`` means the runtime raises (AttributeError or the
    module does not define the name), or the lookup ends in a file that does not parse; in a compiled module it
    ends with kind ``compiled``.
    """
    hops = (*_hops, module)
    # A cycle is the same name asked of the same module again; a module may come back for another name
    # (websockets.exceptions serves WebSocketProtocolError from legacy.exceptions, which imports it back from
    # websockets.exceptions as ProtocolError).
    if len(hops) > _MAX_HOPS or (module, name) in _asked:
        return None
    asked = _asked | {(module, name)}
    if _hops and another_package(module, modules):  # a lazy map entry served by another package (pydantic_core)
        return Located(module, "external", hops=hops)
    lazy = lazy_modules.get(module)
    if lazy is not None and lazy.replaces_module:
        return _locate_in_lazymodule(lazy, name, modules, lazy_modules, hops, asked)
    if lazy is not None and name in lazy.proxies:  # bound to a proxy of the module it imports on first use
        return Located(lazy.module_keys[name], "module", hops=hops)
    facts = modules.get(module)
    if facts is not None and facts.problem is None:
        binding = facts.bindings.get(name)
        # The statement that binds the name last wins: a star import after the binding rebinds it (nltk's init
        # star-imports ``accuracy`` from nltk.chunk, then from nltk.metrics)
        for source, line in reversed(facts.star_imports):
            if binding is not None and line < binding.line:
                break
            other = modules.get(source)
            names = star_names(other, modules) if other is not None else None
            if names is not None and name in names:
                found = locate(source, name, modules, lazy_modules, hops, asked)
                if found is not None:
                    return found
        # (``from plotly.io import templates`` in plotly.io's own init binds what its __getattr__ serves)
        if binding is not None and binding.source != f"{module}:{name}":
            return _follow_binding(module, binding, modules, lazy_modules, hops, asked)
    if lazy is not None:
        if name in lazy.module_keys:
            return Located(lazy.module_keys[name], "module", hops=hops)
        entry = lazy.names.get(name)
        if entry is not None:
            return _hop(entry.module, entry.fetched, modules, lazy_modules, hops, asked, bool(entry.missing_backends))
    if f"{module}.{name}" in modules:
        return Located(f"{module}.{name}", "module", hops=hops)
    if facts is not None and facts.path.endswith(_COMPILED):
        return Located(module, "compiled", hops=hops)
    return None


def _locate_in_lazymodule(lazy: LazyModule, name: str, modules: dict[str, ModuleFacts],
                          lazy_modules: dict[str, LazyModule], hops: tuple[str, ...],
                          asked: frozenset[tuple[str, str]]) -> Located | None:
    if name in lazy.extra_objects:
        return Located(lazy.name, "object", hops=hops)
    entry = lazy.names.get(name)
    if entry is not None and entry.origin == "attribute":  # setattr on the module object: in its __dict__
        return _hop(entry.module, entry.fetched, modules, lazy_modules, hops, asked, False)
    submodule = f"{lazy.name}.{name}"
    if lazy.style == "hf-dict" and submodule in lazy.submodules:
        return Located(submodule, "module", hops=hops)
    if lazy.style == "hf-structure" and entry is not None and entry.missing_backends:
        if "torchvision" in entry.missing_backends and name.endswith("ImageProcessor"):
            pil = lazy.names.get(f"{name}Pil")
            if pil is not None and not pil.missing_backends:
                found = locate(pil.module, pil.name, modules, lazy_modules, hops, asked)
                if found is not None:
                    return found
        return Located(entry.module, "class", placeholder=True, hops=hops)
    if lazy.style == "hf-structure" and entry is None and submodule in lazy.missing_modules:
        return Located(submodule, "class", placeholder=True, hops=hops)
    if entry is not None and group_missing(lazy, entry, modules, lazy_modules):
        return None
    if entry is not None:
        return _hop(entry.module, entry.fetched, modules, lazy_modules, hops, asked, False)
    if name in lazy.module_keys:  # celery's ``direct``
        return Located(lazy.module_keys[name], "module", hops=hops)
    if submodule in lazy.submodules and lazy.style != "recreate_module":  # celery's serves names, not modules
        return Located(submodule, "module", hops=hops)
    return None


def group_missing(lazy: LazyModule, entry: LazyName, modules: dict[str, ModuleFacts],
                  lazy_modules: dict[str, LazyModule]) -> list[str]:
    """The names listed with ``entry`` for its module that the module lacks, when the lazy module fetches them all
    on the first access to any of them (celery's): each makes every one of them raise AttributeError."""
    if lazy.style != "recreate_module":
        return []
    return [other.name for other in lazy.names.values() if other.module == entry.module
            and resolve_name(other.module, other.name, modules, lazy_modules).status == "missing"]


def _hop(module: str, name: str, modules: dict[str, ModuleFacts], lazy_modules: dict[str, LazyModule],
         hops: tuple[str, ...], asked: frozenset[tuple[str, str]], placeholder: bool) -> Located | None:
    found = locate(module, name, modules, lazy_modules, hops, asked)
    if found is None or not placeholder:
        return found
    return Located(found.module, found.kind, True, found.hops)


def _unalias(facts: ModuleFacts, binding: Binding) -> Binding:
    """The binding an alias (``Run = RunTree``) stands for, through a few aliases; the alias itself when the name
    it copies is not bound at module level (a builtin, a star import)."""
    for _ in range(_MAX_HOPS):
        if binding.kind != "assign" or not binding.source:
            return binding
        target = facts.bindings.get(binding.source)
        if target is None or target is binding:
            return binding
        binding = target
    return binding


def _follow_binding(module: str, binding: Binding, modules: dict[str, ModuleFacts],
                    lazy_modules: dict[str, LazyModule], hops: tuple[str, ...],
                    asked: frozenset[tuple[str, str]]) -> Located | None:
    binding = _unalias(modules[module], binding)
    if binding.kind == "import" and not binding.source:  # ``import a.b`` binds the top-level ``a``
        return Located(binding.name, "module", hops=hops)
    if binding.kind == "assign" and binding.source and "." in binding.source:  # ``X = alias.Attr``
        base, _, attr = binding.source.partition(".")
        holder = locate(module, base, modules, lazy_modules, hops, asked)
        found = locate(holder.module, attr, modules, lazy_modules, hops, asked) \
            if holder is not None and holder.kind == "module" and holder.module in modules else None
        if found is not None:
            return found
    if binding.kind != "import" or not binding.source:
        placeholder = any(part.startswith("dummy_") for part in module.split("."))
        return Located(module, binding.kind, placeholder, hops)
    source, _, attr = binding.source.partition(":")
    if not attr:  # ``import a.b as c`` binds the module a.b
        return Located(source, "module", hops=hops)
    if source not in modules:  # an external module: it defines the name as far as we can tell
        return Located(source, "external", hops=hops)
    found = locate(source, attr, modules, lazy_modules, hops, asked)
    if found is None and f"{source}.{attr}" in modules:
        return Located(f"{source}.{attr}", "module", hops=hops)
    return found
