"""The rules that check a lazy map against the files it points to."""

from __future__ import annotations

import os
import platform
from collections.abc import Iterable

from ..distribution import runs_here
from ..graph import serve
from ..inputs import is_file
from ..line_refs import at
from ..model import UNLISTABLE, Finding, LazyModule, LazyName, Severity
from ..resolve import resolve_name, shadowed, star_names
from .base import Rule, RuleContext, register


@register
class LazyMissingModule(Rule):
    """A lazy key, dummy fallback or TYPE_CHECKING import names a submodule that does not exist.

    At runtime the lazy module calls ``importlib.import_module`` on the key the first time one of its
    names is touched, and the user gets ``ModuleNotFoundError`` (transformers wraps it in a
    ``RuntimeError``) for a name the package advertises. In the ``TYPE_CHECKING`` half the import
    breaks type checkers and IDEs instead; there a stub file (``.pyi``) of the package is enough (torch's
    ``from torch._C._VariableFunctions import *``, whose module exists only as ``_C/_VariableFunctions.pyi``).
    A module proxy bound at import time (mlflow's ``pyfunc = LazyLoader("mlflow.pyfunc", globals(), ...)``) names
    its module the same way: its first use raises ModuleNotFoundError (tensorflow-probability's numpy and jax
    substrates proxy an ``experimental.fastgp`` they do not ship). A ``__getattr__`` that catches the ImportError of
    its import and serves something else (imagecodecs' stubs for codecs not built) does not fail: undecided.

    An entry pointing into another top-level package (langchain_classic's shims into langchain_community) is
    looked up on the analysed ``sys.path`` without importing it: a module the installed release of that
    package does not have is reported the same way.

    Fix: rename the key to the module that really defines the names, or restore the module (for another
    package: point the entry at the module of the release you support, or require a release that has it).
    Keys served by a legacy alias table (``_LEGACY_MODULE_ALIASES``) and compiled extension modules exist
    and are not reported; modules of a package that is not installed at all, and the submodules a lazy
    module registers in another package (jax attaching ``jaxlib``'s), are counted undecided.
    """

    code = "IG001"
    name = "lazy-missing-module"

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for lazy in ctx.lazy_modules.values():
            reported: set[str] = set()
            facts = ctx.modules.get(lazy.name)
            for entry in lazy.names.values():
                if entry.module in reported or ctx.module_exists(entry.module):
                    continue
                if shadowed(lazy, facts, entry.name, ctx.modules):
                    continue  # the module binds the name itself: its __getattr__ is never asked for it
                reported.add(entry.module)
                if lazy.import_fallback is not None:  # imagecodecs: a stub for a codec that was not built
                    ctx.count_undecided(self.code)
                    continue
                if not _in_package(ctx, entry.module):
                    yield from self._other_package(ctx, lazy, entry)
                    continue
                key = relative_key(lazy.name, entry.module)
                yield self.finding(
                    lazy.name, key, entry.path, entry.line,
                    f"lazy key {key!r} of {lazy.name} names module {entry.module}, which does not exist; "
                    f"touching {lazy.name}.{entry.name} raises ModuleNotFoundError. "
                    + (_under_plain_module(ctx, lazy, facts, entry.module) or
                       "Point the key at the module that defines its names, or add the module."))
            served_names = {entry.module for entry in lazy.names.values()}  # checked above (a PEP 562 table's)
            keys = {module: key for key, module in lazy.module_keys.items()}
            for module in lazy.submodules:
                if module in reported or ctx.module_exists(module) or module in served_names:
                    continue
                if shadowed(lazy, facts, keys.get(module, module.rpartition(".")[2]), ctx.modules):
                    continue  # astropy's __all__ lists `log` too, which its init binds: never asked for
                reported.add(module)
                proxy = next((name for name in lazy.proxies if lazy.module_keys[name] == module), None)
                if proxy is not None:  # mlflow's ``pyfunc = LazyLoader("mlflow.pyfunc", globals(), "mlflow.pyfunc")``
                    yield from self._missing_proxy(ctx, lazy, proxy, module)
                    continue
                if not _in_package(ctx, module):
                    ctx.count_undecided(self.code)
                    continue
                yield self.finding(
                    lazy.name, relative_key(lazy.name, module), lazy.path, lazy.line,
                    f"{lazy.name} registers submodule {module}, which does not exist; accessing it "
                    "raises ModuleNotFoundError. Remove the key or add the module.")
            for imp in lazy.type_checking:
                if not _in_package(ctx, imp.module):
                    continue
                # one finding per missing module: a key already reported is not reported again for its import
                if ctx.module_exists(imp.module) or imp.module in reported or _has_stub(ctx, imp.module):
                    continue
                reported.add(imp.module)
                yield self.finding(
                    lazy.name, relative_key(lazy.name, imp.module), lazy.path, imp.line,
                    f"the TYPE_CHECKING half of {lazy.name} imports from {imp.module}, which does not exist; "
                    "type checkers and IDEs cannot resolve it. Fix the module path.")

    def _missing_proxy(self, ctx: RuleContext, lazy: LazyModule, proxy: str, module: str) -> Iterable[Finding]:
        """A module proxy of a module that does not exist: in this package, or in another one installed on the
        analysed ``sys.path`` (undecided when that package is not installed at all)."""
        if _in_package(ctx, module):
            where = "which does not exist"
        else:
            exists = ctx.installed_module(module)
            if exists is None:
                ctx.count_undecided(self.code)
            if exists is not False:
                return
            where = f"which the installed {module.split('.')[0]} does not have (looked up on the analysed sys.path)"
        yield self.finding(
            lazy.name, relative_key(lazy.name, module), lazy.path, lazy.proxies[proxy],
            f"{lazy.name}.{proxy} is a proxy of module {module}, {where}; the first use of {lazy.name}.{proxy} "
            "raises ModuleNotFoundError. Point the proxy at an existing module.")

    def _other_package(self, ctx: RuleContext, lazy: LazyModule, entry) -> Iterable[Finding]:
        """A target in another top-level package: judged on the analysed ``sys.path`` when that package is there
        (langchain_classic's shims into langchain_community), undecided when it is not installed."""
        exists = ctx.installed_module(entry.module)
        if exists is None:
            ctx.count_undecided(self.code)
        elif not exists:
            top = entry.module.split(".")[0]
            yield self.finding(
                lazy.name, entry.name, entry.path, entry.line,
                f"{lazy.name} serves {entry.name!r} from {entry.module}, which the installed {top} does not have "
                f"(looked up on the analysed sys.path); touching {lazy.name}.{entry.name} raises "
                f"ModuleNotFoundError. Point the entry at the module of this {top} release that defines the name, "
                f"or require a {top} release that has the module.")


def _as_attribute(entry: LazyName) -> str:
    return f" (as {entry.attribute!r})" if entry.attribute else ""


def _group_fails(lazy: LazyModule, entry: LazyName) -> str:
    """celery's lazy module fetches every name listed for a module at once, on the first access to any of them."""
    group = sorted(n for n, e in lazy.names.items() if e.module == entry.module and n != entry.name)
    if lazy.style != "recreate_module" or not group:
        return ""
    return (f", and so do {', '.join(group[:3])}{' ...' if len(group) > 3 else ''}: its lazy module fetches every "
            f"name it lists for {entry.module} on the first access to any of them")


def _under_plain_module(ctx: RuleContext, lazy: LazyModule, facts, module: str) -> str:
    """The fix when a plain module (not a package) resolves its keys under itself, as semantic-kernel 1.45's
    ``connectors/memory.py`` does with ``import_module(".chroma", package=__name__)``: a module has no submodules,
    and the sibling the key meant exists."""
    if facts is None or facts.is_package or not module.startswith(lazy.name + "."):
        return ""
    sibling = f"{lazy.name.rpartition('.')[0]}.{module[len(lazy.name) + 1:]}"
    if not ctx.module_exists(sibling):
        return ""
    return (f"{lazy.name} is a module, not a package, so a key relative to it has nothing to name; {sibling} "
            "exists: resolve the key against the package (`package=__package__`, not `__name__`).")


def _has_stub(ctx: RuleContext, module: str) -> bool:
    """The package ships a stub for ``module`` (``a/b.pyi`` or ``a/b/__init__.pyi``): type checkers read it."""
    parts = module.split(".")[1:]
    if ctx.target.kind == "module" or not parts:
        return False
    for root in ctx.target.roots:
        base = os.path.join(root, *parts)
        if is_file(base + ".pyi") or is_file(os.path.join(base, "__init__.pyi")):
            return True
    return False


def _in_package(ctx: RuleContext, module: str) -> bool:
    return module.split(".")[0] == ctx.target.name


def relative_key(lazy_module: str, module: str) -> str:
    """IG001's symbol: the module as the lazy map's key spells it (relative to the lazy module when inside
    it), whether the finding comes from a map entry, a registered submodule or a TYPE_CHECKING import."""
    return module[len(lazy_module) + 1:] if module.startswith(lazy_module + ".") else module


@register
class LazyMissingName(Rule):
    """A lazy name (or a name imported in the TYPE_CHECKING half) is not bound in its target module.

    The lazy module imports the target module and then does ``getattr(module, name)``: if the module
    neither defines, imports, star-imports nor lazily serves the name, the user gets an
    ``AttributeError``/``ImportError`` at ``from pkg import Name``, although ``dir(pkg)`` lists it.
    A name mapped to the submodule of the same name (``{"types": "pkg.types"}``) fails only on first access:
    importing the submodule sets the attribute. Also reported: the module binds the name only under a backend guard (``if is_torch_available():``)
    that the lazy entry does not declare, so the name is missing exactly when that backend is.

    Fix: correct the name or the key, define or re-export the name in the target module, or declare the
    backend on the lazy entry. Targets with a module-level ``__getattr__`` are not judged (counted as
    undecided).
    """

    code = "IG002"
    name = "lazy-missing-name"

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for lazy in ctx.lazy_modules.values():
            for entry in lazy.names.values():
                if entry.origin != "structure" or not ctx.module_exists(entry.module):
                    continue
                resolution = resolve_name(entry.module, entry.fetched, ctx.modules, ctx.lazy_modules)
                if resolution.status == "undecided":
                    ctx.count_undecided(self.code)
                    continue
                if resolution.status == "missing" and entry.attribute is None \
                        and entry.module == f"{lazy.name}.{entry.name}":
                    yield self.finding(
                        lazy.name, entry.name, entry.path, entry.line,
                        f"{lazy.name} maps {entry.name!r} to its own submodule {entry.module} and fetches "
                        f"{entry.name!r} from inside it, which does not bind it: the first `{lazy.name}."
                        f"{entry.name}` raises AttributeError, after which the import has set the attribute "
                        f"and it works (so does `from {lazy.name} import {entry.name}`): the outcome depends "
                        "on what ran before. Serve it as a submodule (a submodule key or list) instead of a "
                        "name, or bind the name in that module.")
                    continue
                if resolution.status == "missing":
                    yield self.finding(
                        lazy.name, entry.name, entry.path, entry.line,
                        f"{lazy.name} maps {entry.name!r} to {entry.module}{_as_attribute(entry)}, which does not "
                        f"bind {'it' if entry.attribute is None else repr(entry.attribute)}; "
                        f"`from {lazy.name} import {entry.name}` raises ImportError{_group_fails(lazy, entry)}. "
                        "Fix the name or the key, or define/re-export the name there.")
                    continue
                binding = resolution.binding
                if binding is not None and binding.guarded_by:
                    unguarded = set(binding.guarded_by) - set(entry.backends)
                    if unguarded:
                        yield self.finding(
                            lazy.name, entry.name, entry.path, entry.line,
                            f"{resolution.module} binds {entry.fetched!r} only when "
                            f"{', '.join(sorted(unguarded))} is available (line {at(ctx.modules[resolution.module].path, binding.line)}), but the lazy "
                            f"entry does not declare that backend; without it the name raises ImportError "
                            "instead of a placeholder. Declare the backend on the entry.")
            yield from self._type_checking(ctx, lazy)

    def _type_checking(self, ctx: RuleContext, lazy) -> Iterable[Finding]:
        # anyio's lazy map is read from the TYPE_CHECKING half itself: one statement, reported once (as the entry)
        entries = {(entry.path, entry.line, name) for name, entry in lazy.names.items()}
        for imp in lazy.type_checking:
            if imp.name in ("*", "") or not ctx.module_exists(imp.module) or (lazy.path, imp.line, imp.name) in entries:
                continue
            if imp.module.split(".")[0] != ctx.target.name:
                continue
            resolution = resolve_name(imp.module, imp.name, ctx.modules, ctx.lazy_modules)
            if resolution.status == "missing" and self._checker_sees(ctx, imp.module, imp.name):
                continue
            if resolution.status == "missing":
                yield self.finding(
                    lazy.name, imp.name, lazy.path, imp.line,
                    f"the TYPE_CHECKING half of {lazy.name} imports {imp.name!r} from {imp.module}, which does "
                    "not bind it; type checkers report an error and IDEs cannot resolve the name. Fix the "
                    "import.")
            elif resolution.status == "undecided":
                ctx.count_undecided(self.code)

    @staticmethod
    def _checker_sees(ctx: RuleContext, module: str, name: str) -> bool:
        """A type checker also reads the target's own ``TYPE_CHECKING`` half (diffusers' nested inits)."""
        target = ctx.lazy_modules.get(module)
        if target is None or not target.type_checking:
            return False
        names = TypeCheckingMismatch.type_checking_names(ctx, target)
        return names is None or name in names


@register
class LazyDuplicateName(Rule):
    """One public name is mapped to two different submodules of the same lazy module.

    The runtime keeps the last mapping it sees (``_class_to_module[name] = key`` in dict order); for
    ``define_import_structure`` that order is the order ``os.scandir`` lists the files, which differs
    between file systems, so the same wheel can serve a different object on another machine.
    When one of the two modules only re-exports the other's object, both serve the same object and the
    finding is informational.

    Fix: export the name from one module only (drop it from the other ``__all__`` or key).
    """

    code = "IG003"
    name = "lazy-duplicate-name"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for lazy in ctx.lazy_modules.values():
            for dup in lazy.duplicates:
                origins = {self._origin(ctx, m, dup.name) for m in dup.modules}
                same_object = len(origins) == 1 and None not in origins
                order = ("the directory-listing order of define_import_structure (file-system dependent)"
                         if lazy.style == "hf-structure" else "the order of the structure's entries")
                others = ", ".join(m for m in dup.modules if m != dup.winner)
                ref = dup.refs[-1]
                if same_object:
                    message = (f"{dup.name!r} is exported by {', '.join(dup.modules)}, which all serve the same "
                               f"object (re-exported from {origins.pop()}); the runtime uses {dup.winner}. "
                               "Export it from one module only to keep the map unambiguous.")
                    yield self.finding(lazy.name, dup.name, ref.path, ref.line, message, severity=Severity.INFO)
                else:
                    message = (f"{dup.name!r} is mapped to {', '.join(dup.modules)} in {lazy.name}; the runtime "
                               f"serves {dup.winner} (last wins, decided by {order}) and {others} is never "
                               "reachable this way. Export the name from one module only.")
                    yield self.finding(lazy.name, dup.name, ref.path, ref.line, message)

    @staticmethod
    def _origin(ctx: RuleContext, module: str, name: str) -> str | None:
        """The module that really defines ``name`` as seen from ``module`` (following re-exports)."""
        seen = set()
        while module not in seen:
            seen.add(module)
            facts = ctx.modules.get(module)
            binding = facts.bindings.get(name) if facts else None
            if binding is None:
                return None
            if binding.kind != "import" or not binding.source:
                return module
            source, _, attr = binding.source.partition(":")
            module, name = source, attr or name
        return None


@register
class TypeCheckingMismatch(Rule):
    """The ``TYPE_CHECKING`` half of an init and its lazy half disagree.

    Type checkers, IDEs and ``help()`` read the ``TYPE_CHECKING`` imports; users get the lazy half. A
    name in only one half is invisible to one of them (a type error on working code, or code that
    type-checks and fails at runtime); a name whose two halves name different modules or backends
    resolves differently for the checker and the runtime. This is what transformers'
    ``utils/check_inits.py`` checks with regexes, done on the AST and in the modelled environment.

    Fix: add the missing import or structure entry, or make both halves name the same module.
    Dummy-object fallbacks (``utils.dummy_*``) are not compared.
    """

    code = "IG004"
    name = "type-checking-mismatch"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        for lazy in ctx.lazy_modules.values():
            if lazy.style != "hf-dict" or not lazy.type_checking:
                continue
            checked = self.type_checking_names(ctx, lazy)
            if checked is None:
                ctx.count_undecided(self.code)
                continue
            runtime = {n: e for n, e in lazy.names.items() if e.origin == "structure" and ".dummy_" not in e.module}
            for name, entry in sorted(runtime.items()):
                if name not in checked:
                    yield self.finding(
                        lazy.name, name, entry.path, entry.line,
                        f"{name!r} is in the lazy structure of {lazy.name} (from {entry.module}) but not in its "
                        "TYPE_CHECKING half: type checkers and IDEs do not see it. Add "
                        f"`from {self._relative(lazy.name, entry.module)} import {name}` there.")
                elif checked[name][0] != entry.module and not self._same_target(ctx, checked[name][0], entry.module, name):
                    yield self.finding(
                        lazy.name, name, entry.path, entry.line,
                        f"{name!r} comes from {entry.module} in the lazy half of {lazy.name} but from "
                        f"{checked[name][0]} in its TYPE_CHECKING half (line {checked[name][1]}); checker and "
                        "runtime see different objects. Make both halves name the same module.")
            for name, (module, line) in sorted(checked.items()):
                if name not in runtime and name not in lazy.names and ".dummy_" not in module:
                    yield self.finding(
                        lazy.name, name, lazy.path, line,
                        f"{name!r} is imported in the TYPE_CHECKING half of {lazy.name} (from {module}) but is not "
                        "in its lazy structure: it type-checks, and `from ... import` fails at runtime. Add it to "
                        "the structure.")

    @staticmethod
    def _relative(package: str, module: str) -> str:
        return "." + module[len(package) + 1:] if module.startswith(package + ".") else module

    def _same_target(self, ctx: RuleContext, a: str, b: str, name: str) -> bool:
        """Whether ``from a import name`` and ``from b import name`` give the same object: both followed
        through re-exports and lazy maps to the module that defines it (``from .models.bert import X``
        and key ``models.bert.modeling_bert`` do). Undecidable on either side: counted, never reported."""
        first, second = defining_module(ctx, a, name), defining_module(ctx, b, name)
        if UNDECIDED in (first, second):
            ctx.count_undecided(self.code)
            return True
        return first == second != MISSING  # a side that does not bind the name is another object

    @staticmethod
    def type_checking_names(ctx: RuleContext, lazy) -> dict[str, tuple[str, int]] | None:
        """Names the ``TYPE_CHECKING`` half imports -> (module, line); None when a star import is undecidable."""
        names: dict[str, tuple[str, int]] = {}
        for imp in lazy.type_checking:
            if imp.name == "*":
                facts = ctx.modules.get(imp.module)
                star = star_names(facts, ctx.modules) if facts else None
                if star is None:
                    return None
                for name in star:
                    names.setdefault(name, (imp.module, imp.line))
            elif imp.name:
                if f"{imp.module}.{imp.name}" in ctx.modules:
                    continue  # ``from . import submodule``
                names[imp.name] = (imp.module, imp.line)
        return names


@register
class UnparsableFile(Rule):
    """A file of the package does not parse, does not compile, or cannot be read.

    Importing it raises ``SyntaxError`` (or the package fails to import when ``define_import_structure``
    reads it), and every lazy name it should serve is broken. Some code parses but is rejected by the
    compiler: ``return`` or ``break`` outside a function or loop, ``def f(a, a)``, ``nonlocal`` at module
    level, ``import *`` inside a function, a ``from __future__`` import below other code; those are found in
    the statements the scan reads (module level, class bodies, the imports inside functions). The rest of
    the analysis goes on without the file, so findings that depend on it are missing until it is fixed.

    Files are parsed by the Python importgraph runs on. When the package declares that it needs a newer one
    (``Requires-Python: >=3.12``) a ``SyntaxError`` most likely means newer syntax (``type X = ...``, PEP 695),
    not a broken file: those are warnings that say so. A package that declares a Python importgraph runs on
    and still does not parse there is broken on that Python: an error.

    Fix: correct the syntax or encoding (PEP 263 cookie, UTF-8), or remove the file from the package; for
    newer syntax, run importgraph with a Python the package supports (or correct ``requires-python``).
    """

    code = "IG009"
    name = "unparsable-file"

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        seen = set()
        newer_python = not runs_here(ctx.target.requires_python)
        for facts in ctx.modules.values():
            if facts.problem is not None:
                seen.add(facts.path)
                severity = None
                if facts.problem.reason.startswith(UNLISTABLE):  # the package imports; nothing under it does
                    tail = (f"Python cannot list it either, so every module under {facts.name} is missing at runtime "
                            "(ModuleNotFoundError). Fix the folder's permissions")
                elif "too large to analyse" in facts.problem.reason:  # importable, just not read (scan/read.py)
                    tail = f"its names are unknown to the analysis, so findings about {facts.name} may be missing"
                elif newer_python and facts.problem.reason.startswith("SyntaxError"):
                    severity = Severity.WARNING
                    tail = (f"Python {platform.python_version()}, which importgraph runs on, rejects it, and "
                            f"{ctx.target.distribution or ctx.target.name} requires Python "
                            f"{ctx.target.requires_python}: most likely newer syntax, not a broken file. Run "
                            f"importgraph with a Python it supports; until then findings about {facts.name} "
                            "may be missing")
                else:
                    tail = f"importing {facts.name} fails. Fix the file"
                yield self.finding(facts.name, facts.name, facts.path, facts.problem.line,
                                   f"{facts.problem.reason}; {tail}.", severity=severity)
        for problem in ctx.problems:
            if problem.path not in seen:
                yield self.finding(ctx.target.name, problem.path, problem.path, problem.line,
                                   f"{problem.reason}. Fix the file.")


UNDECIDED = ("?", "undecided")
MISSING = ("?", "missing")


def defining_module(ctx: RuleContext, module: str, name: str) -> tuple[str, str]:
    """``(module, name)`` that finally defines ``module.name``, following ``from m import x [as y]``
    re-exports, star imports and lazy maps; :data:`MISSING` when a hop does not bind it, :data:`UNDECIDED`
    when a hop cannot be read (compiled, unparsable, module ``__getattr__``) or the chain loops."""
    for _ in range(16):  # re-export chains are short; a longer one is a loop
        found = resolve_name(module, name, ctx.modules, ctx.lazy_modules)
        if found.status == "missing":
            return MISSING
        if not found.bound or found.module is None:
            return UNDECIDED
        binding = found.binding
        if binding is None:  # served by a lazy map, or a submodule
            served = serve(found.module, name, ctx.lazy_modules)
            if served is None or served == found.module:
                return found.module, name
            module = served
            continue
        if binding.kind == "import" and binding.source and ":" in binding.source:
            module, _, name = binding.source.partition(":")
            continue
        return found.module, name
    return UNDECIDED
