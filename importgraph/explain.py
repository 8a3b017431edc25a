"""What ``from TARGET import NAME`` does, hop by hop, and what it costs: answered from a Report, statically.

Three questions, three parts:

* :func:`explain` builds the resolution chain: the ``sys.path`` entry that holds the package, the
  statement that installs each lazy module on the way, the lazy entry that maps the name (key,
  declaring line, backends), nested lazy hops (transformers 4.x keys such as ``models.albert`` are
  packages with their own lazy map), and the statement that finally binds the name, following
  re-exports to the definition.
* :func:`import_closure` is the import cost: every module that runs, following module-level imports
  (not function-level, not ``TYPE_CHECKING``), lazy accesses (``from lazy_pkg import Name`` imports the
  serving module), parent packages (importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``
  first), and the package's own functions that the imported module and its packages call for certain at import
  time, whose function-level imports then run (mne 1.9's init calls ``set_log_level()``, mne.report calls
  ``_get_extension_reader_map()``: :mod:`importgraph.import_time`). Calls made deeper in the closure are not
  followed (that would parse hundreds of files: seconds for ``from pandas import DataFrame``), nor are the
  third-party packages those functions import counted. Guards are evaluated for the modelled environment (an
  import under ``is_torch_available()`` does not run without torch; a name whose backend is missing is a
  placeholder, nothing is imported);
  an ``import x`` inside ``try/except ImportError`` of a package that is not installed fails softly.
  Third-party packages are counted by top-level name and not followed (we never read their code).
  What the user gets takes the import into account: a module that the lookup surely runs (no ``if``/``try``/
  loop on the way) importing a package absent from the modelled environment, or raising NameError there
  (IG012), makes the outcome that error, whatever the chain says.
* :func:`import_path` is the shortest import chain between two modules, with every hop's kind.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections import deque
from dataclasses import dataclass, field

from .analysis import Report
from .graph import ancestors
from .import_time import ImportTime
from .installed import BackendDetector, BackendStatus, InstalledPackages
from .model import Finding, ImportFact, LazyModule, LazyName, Scope, normalise_backend
from .resolve import group_missing, module_exists, resolve_name, shadowed
from .rules.core import relative_key
from .scan.read import decode_text, read_source

STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


class UnknownName(LookupError):
    """The name is neither served by a lazy map, bound by its module, nor a module of the package."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"{name!r} is not a name or module the package provides{hint}")


# --------------------------------------------------------------------------- edges


@dataclass(frozen=True)
class Edge:
    """One way a module makes another one run."""

    source: str
    target: str
    kind: str
    """``module`` (module-level import), ``function`` (import inside a function body), ``lazy`` (a
    ``from lazy_pkg import Name`` that makes the lazy module import the serving module) or ``parent``
    (importing a submodule runs its package's ``__init__`` first)."""
    line: int | None
    """The statement in ``source`` (None for ``parent``)."""
    scope: str = "module"
    """For ``lazy`` edges: whether the access happens at module level or in a function."""
    via: str | None = None
    """For ``lazy`` edges: ``lazy_module:Name`` that was touched."""
    guarded_by: tuple[str, ...] = ()
    in_try: bool = False
    conditional: bool = False
    """The statement sits under an ``if``/``try``/loop (it may not run, whatever the modelled environment) or in a
    ``with`` body (its error may be swallowed): no failure is predicted from it."""


def lazy_chain(module: str, name: str, lazy_modules: dict[str, LazyModule]) -> list[tuple[LazyModule, LazyName]]:
    """The lazy hops that serve ``module.name``: one per lazy module (4.x package keys add a second)."""
    chain: list[tuple[LazyModule, LazyName]] = []
    while len(chain) < 10:
        lazy = lazy_modules.get(module)
        entry = lazy.names.get(name) if lazy is not None else None
        if entry is None:
            break
        chain.append((lazy, entry))
        if entry.module == module:
            break
        module, name = entry.module, entry.fetched
    return chain


class ImportEdges:
    """The successors of a module in the executed-import sense, computed on demand from a Report."""

    def __init__(self, report: Report):
        self.report = report
        self.modules = report.modules
        self.top = report.target.name

    def runs_in_environment(self, module: str, fact: ImportFact) -> bool:
        """Module-level, guards hold, and not a fallback branch for a backend that is in fact available."""
        if fact.scope is not Scope.MODULE or not self.guards_hold(fact):
            return False
        has = self.report.environment.has
        return not fact.fallback_for or not all(has(b) for b in fact.fallback_for)

    def own(self, module: str) -> bool:
        return module == self.top or module.startswith(self.top + ".")

    def parent(self, module: str) -> str | None:
        parent = module.rpartition(".")[0]
        return parent if parent and parent in self.modules else None

    def edges(self, module: str, *, runtime: bool) -> list[Edge]:
        """Own-module edges out of ``module``; ``runtime`` keeps only what runs in the modelled environment."""
        out: list[Edge] = []
        parent = self.parent(module)
        if parent is not None:
            out.append(Edge(module, parent, "parent", None))
        facts = self.modules.get(module)
        if facts is None:
            return out
        for fact in facts.imports:
            if fact.scope is Scope.TYPE_CHECKING or not self.own(fact.module):
                continue
            if runtime and not self.runs_in_environment(module, fact):
                continue
            out.extend(self._statement_edges(module, fact, runtime))
        return out

    def guards_hold(self, fact: ImportFact) -> bool:
        return all(self.report.environment.has(b) for b in fact.guarded_by)

    def _statement_edges(self, module: str, fact: ImportFact, runtime: bool) -> list[Edge]:
        kind = "module" if fact.scope is Scope.MODULE else "function"
        common = dict(guarded_by=fact.guarded_by, in_try=fact.in_try, conditional=fact.conditional or fact.in_with)
        base = self._deepest(fact.module)
        out = [] if base is None or base == module else [Edge(module, base, kind, fact.line, **common)]
        for name in fact.names:
            if name == "*":
                continue
            sub = f"{fact.module}.{name}"
            if sub in self.modules:
                out.append(Edge(module, sub, kind, fact.line, **common))
                continue
            chain = lazy_chain(fact.module, name, self.report.lazy_modules)
            if not chain:
                continue
            if runtime and any(entry.missing_backends for _, entry in chain):
                continue  # a placeholder object: the serving module is never imported
            served = chain[-1][1].module
            if served in self.modules and served != module:
                out.append(Edge(module, served, "lazy", fact.line, scope=kind, via=f"{fact.module}:{name}",
                                **common))
        return out

    def _deepest(self, module: str) -> str | None:
        while module not in self.modules and "." in module:
            module = module.rpartition(".")[0]
        return module if module in self.modules else None

    def external(self, module: str) -> list[ImportFact]:
        """Module-level imports of third-party/stdlib packages that run in the modelled environment."""
        facts = self.modules.get(module)
        if facts is None:
            return []
        return [f for f in facts.imports if f.module and not self.own(f.module)
                and self.runs_in_environment(module, f)]


# --------------------------------------------------------------------------- import cost


@dataclass(frozen=True)
class ImportCost:
    """What runs: the package's own modules and the top-level external packages they import."""

    own: tuple[str, ...]
    third_party: tuple[str, ...]
    stdlib: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        return {"own": len(self.own), "third_party": len(self.third_party), "stdlib": len(self.stdlib)}


def import_closure(report: Report, start: list[str], installed: InstalledPackages | None = None,
                   import_time: ImportTime | None = None) -> ImportCost:
    """Every module that runs when the modules in ``start`` are imported (see the module docstring).
    ``import_time``: the one to reuse (it keeps the files it parsed to follow calls)."""
    edges = ImportEdges(report)
    import_time = import_time or ImportTime(report.target.name, report.modules, report.lazy_modules)
    # Calls are followed from the modules the statement runs itself: the few files parsed for them (a whole
    # closure is hundreds of files, seconds of parsing: ``from pandas import DataFrame``).
    callers = {caller for module in start for caller in (module, *ancestors(module))}
    seen: set[str] = set()
    queue = deque(m for m in start if m in report.modules)
    external: set[str] = set()
    while queue:
        module = queue.popleft()
        if module in seen:
            continue
        seen.add(module)
        for edge in edges.edges(module, runtime=True):
            if edge.target not in seen:
                queue.append(edge.target)
        if module in callers:
            queue.extend(target for target in import_time.call_effects(module) if target not in seen)
        for fact in edges.external(module):
            top = fact.module.split(".")[0]
            if fact.in_try and top not in STDLIB and installed is not None and not installed.find(top)[0]:
                continue  # try: import x / except ImportError: the import fails softly
            external.add(top)
    return ImportCost(tuple(sorted(seen)), tuple(sorted(e for e in external if e not in STDLIB)),
                      tuple(sorted(e for e in external if e in STDLIB)))


def name_start_modules(report: Report, owner: str, name: str | None) -> list[str]:
    """The modules ``from owner import name`` makes run directly: owner (and parents) plus the serving module."""
    start = [owner]
    if name is None:
        return start
    if f"{owner}.{name}" in report.modules and name not in _lazy_names(report, owner):
        return start + [f"{owner}.{name}"]
    chain = lazy_chain(owner, name, report.lazy_modules)
    if chain and not any(entry.missing_backends for _, entry in chain):
        start += [entry.module for _, entry in chain]
    return start


def _lazy_names(report: Report, module: str) -> dict[str, LazyName]:
    lazy = report.lazy_modules.get(module)
    return lazy.names if lazy is not None else {}


# --------------------------------------------------------------------------- path


def import_path(report: Report, source: str, target: str) -> list[Edge] | None:
    """The shortest chain of imports (module-level, function-level, lazy, parent) from source to target.

    Every statement counts whatever the environment (a chain behind a cycle matters even when a guard
    hides it today); ``TYPE_CHECKING`` imports never run and are left out. None when there is no chain.
    """
    source, target = qualify(report, source), qualify(report, target)
    for module in (source, target):
        if module not in report.modules:
            raise UnknownName(module, close_names(report, module))
    edges = ImportEdges(report)
    previous: dict[str, Edge | None] = {source: None}
    queue = deque([source])
    while queue:
        module = queue.popleft()
        if module == target:
            break
        for edge in edges.edges(module, runtime=False):
            if edge.target not in previous:
                previous[edge.target] = edge
                queue.append(edge.target)
    if target not in previous:
        return None
    chain: list[Edge] = []
    node = target
    while (edge := previous[node]) is not None:
        chain.append(edge)
        node = edge.source
    return chain[::-1]


def qualify(report: Report, module: str) -> str:
    top = report.target.name
    if module == top or module.startswith(top + "."):
        return module
    return f"{top}.{module.lstrip('.')}"


# --------------------------------------------------------------------------- explain


@dataclass(frozen=True)
class Hop:
    kind: str
    """``sys.path``, ``package``, ``lazy-module``, ``lazy-entry``, ``definition``, ``re-export``,
    ``submodule``, ``extra-object``, ``shadowed`` (the init binds the name itself: its lazy entry is not used),
    ``missing``, ``undecided`` (the source cannot tell: a compiled module...)."""
    summary: str
    path: str | None = None
    """Relative to the ``sys.path`` entry."""
    line: int | None = None
    reached: bool = True
    """False for hops the runtime never takes in the modelled environment (the name is a placeholder)."""


@dataclass
class Explanation:
    package: str
    version: str | None
    name: str
    qualified: str
    kind: str
    """``name`` or ``module``."""
    base: str
    python: str | None
    environment: dict[str, object]
    hops: list[Hop] = field(default_factory=list)
    backends: list[BackendStatus] = field(default_factory=list)
    outcome: str = "object"
    """``object`` (the real thing), ``placeholder``, ``dummy``, ``import-error``, ``module``, ``undecided`` (the
    last module of the chain cannot be read: compiled, or a module-level ``__getattr__``)."""
    outcome_text: str = ""
    if_missing: str | None = None
    """What the user would get if a needed backend were missing."""
    findings: list[Finding] = field(default_factory=list)
    cost_package: ImportCost | None = None
    cost_name: ImportCost | None = None

    @property
    def added_own(self) -> tuple[str, ...]:
        before = set(self.cost_package.own) if self.cost_package else set()
        return tuple(m for m in (self.cost_name.own if self.cost_name else ()) if m not in before)

    @property
    def added_third_party(self) -> tuple[str, ...]:
        before = set(self.cost_package.third_party) if self.cost_package else set()
        return tuple(m for m in (self.cost_name.third_party if self.cost_name else ()) if m not in before)


def explain(report: Report, name: str, detector: BackendDetector | None = None) -> Explanation:
    """The resolution chain, backends and import cost of ``from TARGET import NAME`` (NAME may be dotted)."""
    top = report.target.name
    rel = _relative(report)
    dotted = name[len(top) + 1:] if name.startswith(top + ".") else name
    parts = [p for p in dotted.split(".") if p] if dotted != top else []
    owner = top
    while len(parts) > 1 and f"{owner}.{parts[0]}" in report.modules:
        owner = f"{owner}.{parts.pop(0)}"
    if len(parts) > 1:
        raise UnknownName(name, close_names(report, name))
    attr = parts[0] if parts else None
    is_module = attr is None or (f"{owner}.{attr}" in report.modules and attr not in _lazy_names(report, owner))
    qualified = owner if attr is None else f"{owner}.{attr}"
    result = Explanation(top, report.target.version, name, qualified, "module" if is_module else "name",
                         report.target.sys_path_entry, report.target.python, report.environment.describe())
    if report.target.search_path == (report.target.sys_path_entry,):  # a path was given: it is the search path
        where = "the folder given, as its sys.path entry"
    else:
        where = f"the sys.path of {report.target.python}" if report.target.python else "this interpreter's sys.path"
    init = report.modules[top].path if top in report.modules else report.target.roots[0]
    result.hops.append(Hop("sys.path", f"`import {top}` finds {rel(init)} under {report.target.sys_path_entry} "
                                       f"({where})", rel(init), None))
    packages = _packages_on_the_way(top, qualified if is_module else owner)
    for package in packages:
        _package_hops(report, package, result.hops, rel, first=package == top)
    if is_module:
        if qualified not in packages:
            facts = report.modules[qualified]
            result.hops.append(Hop("submodule", f"runs {qualified}", rel(facts.path), None))
        result.outcome, result.outcome_text = "module", f"the module {qualified}"
        _costs(report, result, [qualified], detector)
        return result
    assert attr is not None
    lazy = report.lazy_modules.get(owner)
    chain = lazy_chain(owner, attr, report.lazy_modules)
    served_key = lazy is not None and attr in lazy.module_keys
    if (chain or served_key) and shadowed(lazy, report.modules.get(owner), attr, report.modules):
        # the init binds the name itself: its __getattr__, and so the lazy map, is never asked (plotly's
        # __version__; astropy's __all__, read as its submodule list, holds ``log`` which the init assigns)
        entry_text, where = ((f"entry {attr} -> {chain[0][1].module}", (rel(chain[0][1].path), chain[0][1].line))
                             if chain else (f"key {attr} -> the module {lazy.module_keys[attr]}",
                                            (rel(lazy.path), lazy.line)))
        result.hops.append(Hop("shadowed", f"{owner} binds {attr} itself, so its __getattr__ is never asked for it: "
                                           f"the lazy {entry_text} is not used", *where))
        chain, served_key = [], False
    if not chain and lazy is not None and attr in lazy.extra_objects:
        result.hops.append(Hop("extra-object", f"{attr} is bound directly on the lazy module {owner} "
                                               "(extra_objects / setattr): nothing is imported", rel(lazy.path),
                               lazy.line))
        result.outcome_text = f"the object bound on {owner} itself"
        _costs(report, result, [owner], detector)
        return result
    if served_key:  # served as a module found elsewhere
        served = lazy.module_keys[attr]
        facts = report.modules.get(served)
        result.hops.append(Hop("submodule", f"{owner}'s lazy map serves {attr!r} as the module {served}, "
                                            f"which it imports", rel(facts.path) if facts else None, None))
        result.outcome, result.outcome_text = "module", f"the module {served}"
        _costs(report, result, [owner, served], detector)
        return result
    missing: tuple[str, ...] = ()
    final, fetched = owner, attr
    for index, (lazy_module, entry) in enumerate(chain):
        if index:
            _package_hops(report, lazy_module.name, result.hops, rel, first=False, reached=not missing)
        result.hops.append(_entry_hop(lazy_module, entry, rel, reached=not missing))
        missing = missing or entry.missing_backends
        final, fetched = entry.module, entry.fetched
    if not chain:
        resolution = resolve_name(owner, attr, report.modules, report.lazy_modules)
        if resolution.status == "missing":  # undecided (a __getattr__ we cannot read: textual.widgets) is said so
            raise UnknownName(name, close_names(report, name))
    bound_in = _binding_hops(report, final, fetched, result.hops, rel, reached=not missing)
    for lazy_module, entry in chain:
        lacking = [n for n in group_missing(lazy_module, entry, report.modules, report.lazy_modules) if n != attr]
        if lacking:
            result.hops.append(Hop("missing", f"but {lazy_module.name}'s lazy module fetches every name it lists for "
                                              f"{entry.module} on the first access to any of them, and {entry.module} "
                                              f"does not bind {', '.join(lacking)}: AttributeError",
                                   rel(entry.path), entry.line))
    stand_in = bound_in is None or ".dummy_" in bound_in  # not an object a dummy module re-exports (DummyObject)
    needed = sorted({b for _, entry in chain for b in entry.backends or (_dummy_backends(entry) if stand_in else ())})
    if detector is not None:
        result.backends = [detector.status(b) for b in needed]
    _outcome(report, result, chain, attr, needed, stand_in)
    chain_modules = {owner, final} | {lm.name for lm, _ in chain} | {e.module for _, e in chain}
    result.findings = [f for f in report.findings
                       if (f.symbol == attr and f.module in chain_modules) or f.symbol == qualified]
    _costs(report, result, name_start_modules(report, owner, attr), detector)
    return result


_DUMMY_FILE = re.compile(r"\.dummy_(\w+?)_objects$")
_DUMMY_SPELLING = {"pt": "torch"}


def _dummy_backends(entry: LazyName) -> tuple[str, ...]:
    """Backends a transformers dummy file stands in for: ``dummy_sentencepiece_and_tokenizers_objects``."""
    match = _DUMMY_FILE.search(entry.module)
    if match is None:
        return ()
    return tuple(_DUMMY_SPELLING.get(b, b) for b in match.group(1).split("_and_"))


def _packages_on_the_way(top: str, module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _package_hops(report: Report, package: str, hops: list[Hop], rel, first: bool, reached: bool = True) -> None:
    facts = report.modules.get(package)
    lazy = report.lazy_modules.get(package)
    if not first and facts is not None:
        text = (f"runs {package}'s __init__ (a parent package runs before its submodules)" if facts.is_package
                else f"runs the module {package}")
        hops.append(Hop("package" if facts.is_package else "submodule", text, rel(facts.path), None, reached))
    if lazy is not None:
        hops.append(Hop("lazy-module", f"{rel(lazy.path)}:{lazy.line} installs the {lazy.style} lazy module "
                                       f"{package}: names are looked up in its map on first access",
                        rel(lazy.path), lazy.line, reached))


def _entry_hop(lazy: LazyModule, entry: LazyName, rel, reached: bool) -> Hop:
    key = entry.module[len(lazy.name) + 1:] if entry.module.startswith(lazy.name + ".") else entry.module
    if lazy.style == "hf-structure":
        # the key of define_import_structure's dict, written as Python shows it (sorted: a set's order is not)
        backends = ", ".join(repr(backend) for backend in sorted(entry.backends))
        where = f"backend set frozenset({{{backends}}})" if backends else "backend set frozenset()"
    elif entry.backends:
        where = "under the guard " + " and ".join(f"is_{b}_available()" for b in entry.backends)
    else:
        where = "unguarded"
    text = f"lazy entry {entry.name} -> {key!r} ({where})"
    if entry.attribute:
        text += f"; served under another name: the runtime fetches {entry.attribute} from {entry.module}"
    if entry.origin == "dummy":
        text += "; a dummy-object fallback: the backend is missing, so the name is rerouted here"
    if entry.missing_backends:
        text += f"; {', '.join(entry.missing_backends)} missing: the runtime serves a placeholder"
    return Hop("lazy-entry", text, rel(entry.path), entry.line, reached)


def _binding_hops(report: Report, module: str, name: str, hops: list[Hop], rel, reached: bool) -> str | None:
    """Append the hops from ``module.name`` to the statement that binds it; return the binding module (None when
    the chain ends missing, undecided or in another package)."""
    seen: set[tuple[str, str]] = set()
    while (module, name) not in seen:
        seen.add((module, name))
        if module.split(".")[0] == report.target.name and not module_exists(module, report.modules,
                                                                             report.lazy_modules):
            hops.append(Hop("missing", f"{module} does not exist (no file or folder of the package provides it): "
                                       "importing it raises ModuleNotFoundError", None, None, reached))
            return None
        resolution = resolve_name(module, name, report.modules, report.lazy_modules)
        facts = report.modules.get(resolution.module or module)
        path = rel(facts.path) if facts is not None else None
        if resolution.status == "undecided":  # a compiled module, a module-level __getattr__, ...: not a defect
            hops.append(Hop("undecided", f"whether {module} binds {name} cannot be read from source: "
                                         f"{resolution.reason}", path, None, reached))
            return None
        if not resolution.bound:
            why = resolution.reason or f"{module} does not bind {name}"
            hops.append(Hop("missing", f"{module} does not bind {name} ({resolution.status}: {why})",
                            path, None, reached))
            return None
        binding = resolution.binding
        if binding is None:
            hops.append(Hop("definition", f"{resolution.module} serves {name} ({resolution.reason})", path, None,
                            reached))
            return resolution.module
        if binding.kind == "import" and binding.source and ":" in binding.source:
            source, _, attr = binding.source.partition(":")
            hops.append(Hop("re-export", f"{resolution.module} re-exports it: from {source} import {attr}"
                                         + (f" as {name}" if attr != name else ""), path, binding.line, reached))
            if source.split(".")[0] != report.target.name:
                return None
            if f"{source}.{attr}" in report.modules:
                hops.append(Hop("submodule", f"{source}.{attr} is a module",
                                rel(report.modules[f"{source}.{attr}"].path), None, reached))
                return f"{source}.{attr}"
            module, name = source, attr
            continue
        hops.append(Hop("definition", f"{resolution.module} binds {name} ({binding.kind})", path, binding.line,
                        reached))
        return resolution.module
    return None


def _dummy_text(report: Report, module: str, attr: str) -> str:
    """What a dummy module gives: a class (``DummyObject`` metaclass) or a function calling ``requires_backends``, which
    raise ImportError when used, or now and then a plain value (transformers' ``ROPE_INIT_FUNCTIONS = None``)."""
    facts = report.modules.get(module)
    binding = facts.bindings.get(attr) if facts is not None else None
    if binding is None or binding.kind != "assign":
        return f"the dummy object from {module}: importing it succeeds, using it raises ImportError naming the missing " \
               "backends"
    try:
        statement = decode_text(read_source(facts.path)).splitlines()[binding.line - 1].strip()
    except (OSError, UnicodeDecodeError, IndexError):
        statement = f"{attr} = ..."
    return (f"the value {module} assigns at line {binding.line} (`{statement}`): importing it succeeds, and nothing "
            "raises ImportError naming the missing backends; code using it fails however that value does")


def _outcome(report: Report, result: Explanation, chain, attr: str, needed: list[str], stand_in: bool) -> None:
    """``stand_in``: the name is bound in a dummy module, if the chain goes through one (not just re-exported)."""
    missing = sorted({b for _, entry in chain for b in entry.missing_backends})
    style = chain[0][0].style if chain else None
    final = chain[-1][1] if chain else None
    broken = any(h.kind == "missing" for h in result.hops)
    undecided = any(h.kind == "undecided" for h in result.hops)
    if missing:
        result.outcome = "placeholder"
        result.outcome_text = (f"a placeholder object: `from {report.target.name} import ...` succeeds, and using "
                               f"{attr} raises ImportError asking for {', '.join(missing)}")
    elif final is not None and (final.origin == "dummy" or ".dummy_" in final.module) and stand_in:
        result.outcome = "dummy"
        result.outcome_text = _dummy_text(report, final.module, attr)
    elif broken:
        result.outcome = "import-error"
        # IG001 names the entry's key (its module, relative to the lazy module), at the entry
        keys = {(entry.path, entry.line, relative_key(lazy.name, entry.module)) for lazy, entry in chain}
        codes = sorted({f.rule for f in report.findings if f.symbol == attr or (f.path, f.line, f.symbol) in keys})
        result.outcome_text = ("ImportError/AttributeError at import time" +
                               (f" (reported as {', '.join(codes)})" if codes else ""))
    elif undecided:
        result.outcome = "undecided"
        result.outcome_text = ("not decided statically: the real object if the last module of the chain defines "
                               "it, else AttributeError (see the last hop)")
    else:
        result.outcome_text = (f"the real object, imported from {final.module}" if final is not None else
                               f"the real object, as {result.qualified.rpartition('.')[0]} binds it")
    if needed and style == "hf-structure":
        result.if_missing = "a placeholder object (_object_missing_backend); using it raises ImportError"
    elif needed and style is not None:
        dummies = [m for m, f in report.modules.items() if ".dummy_" in m and attr in f.bindings]
        result.if_missing = (f"the dummy object from {dummies[0]} (if the init reroutes the name there)"
                             if dummies else "ImportError: the name is not declared without the backend")


def _costs(report: Report, result: Explanation, start: list[str], detector: BackendDetector | None) -> None:
    installed = detector.packages if detector is not None else None
    import_time = ImportTime(report.target.name, report.modules, report.lazy_modules)
    result.cost_package = import_closure(report, [report.target.name], installed, import_time)
    result.cost_name = import_closure(report, start, installed, import_time)
    if installed is not None and result.outcome in ("object", "module", "undecided"):
        edges = ImportEdges(report)
        certain = surely_imported(edges, start, import_time)
        _fails_on_a_missing_package(edges, result, certain, installed) or _fails_on_an_unbound_name(
            report, result, certain)


def surely_imported(edges: ImportEdges, start: list[str], import_time: ImportTime) -> list[str]:
    """The modules that importing ``start`` runs for certain in the modelled environment (``start`` first, then in
    the order they are reached): :func:`import_closure` without the statements under an ``if``/``try``/loop, which
    may not run (``_SHOULD_DISABLE_PEFT_INPUT_AUTOCAST = is_peft_available()`` then ``if`` on it)."""
    callers = {caller for module in start for caller in (module, *ancestors(module))}
    seen: dict[str, None] = {}
    queue = deque(m for m in start if m in edges.modules)
    while queue:
        module = queue.popleft()
        if module in seen:
            continue
        seen[module] = None
        queue.extend(edge.target for edge in edges.edges(module, runtime=True)
                     if not edge.conditional and not edge.in_try and edge.target not in seen)
        if module in callers:
            queue.extend(target for target in import_time.call_effects(module) if target not in seen)
    return list(seen)


def _fails_on_a_missing_package(edges: ImportEdges, result: Explanation, certain: list[str],
                                installed: InstalledPackages) -> bool:
    """Whatever the chain says, the import fails when a module it surely runs imports, at module level and under
    no ``if``/``try``/loop, a package absent from the modelled environment: modelled missing (``--without``), or
    neither installed nor modelled present (diffusers' ``DDIMPipeline`` is declared without a backend, and its
    module imports torch): the outcome becomes that error, with the statement."""
    report, env = edges.report, edges.report.environment
    missing = {top for top in result.cost_name.third_party  # absent in the modelled environment
               if normalise_backend(top) in env.unavailable or not (env.has(top) or installed.find(top)[0])}
    if not missing:
        return False
    for module in certain:
        for fact in edges.external(module):
            top = fact.module.split(".")[0]
            if top in missing and not (fact.in_try or fact.conditional or fact.in_with):
                absent = "is not installed" if not installed.find(top)[0] else "is modelled missing"
                _import_error(report, result, f"ModuleNotFoundError at import time: {top} {absent}, and {module} "
                                              "imports it at module level", module, fact.line)
                return True
    return False


def _fails_on_an_unbound_name(report: Report, result: Explanation, certain: list[str]) -> bool:
    """A module it surely runs uses, while it executes, a name bound only under a guard that does not hold in the
    modelled environment: the NameError rule IG012 reports (transformers.integrations.higgs uses ``torch`` in
    annotations, bound only with torch installed)."""
    env = report.environment
    modules = set(certain)
    for finding in report.findings:
        if finding.rule != "IG012" or finding.module not in modules:
            continue
        facts = report.modules[finding.module]
        use = next((u for u in facts.name_uses if u.name == finding.symbol and u.line == finding.line), None)
        if use is None or not all(env.has(b) for b in use.inside):
            continue
        if use.guard == "TYPE_CHECKING":
            unbound = True
        elif use.guard in ("ImportError", "python version"):
            unbound = False  # depends on what is installed under another name, or on the Python: not predicted
        else:
            unbound = not all(env.has(b) for b in use.guard.split(", "))
        if unbound:
            _import_error(report, result, f"NameError at import time: {finding.module} uses {use.name} at line "
                                          f"{use.line}, bound only under the {use.guard} guard at line "
                                          f"{use.guard_line}", finding.module, use.line, finding.rule)
            return True
    return False


def _import_error(report: Report, result: Explanation, what: str, module: str, line: int, *rules: str) -> None:
    codes = sorted({f.rule for f in result.findings} | set(rules))
    result.outcome = "import-error"
    result.outcome_text = (f"{what} ({_relative(report)(report.modules[module].path)}:{line})"
                           + (f" (reported as {', '.join(codes)})" if codes else ""))


def _relative(report: Report):
    base = report.target.sys_path_entry

    def rel(path: str) -> str:
        try:
            return os.path.relpath(path, base)
        except ValueError:
            return path
    return rel


def close_names(report: Report, name: str, limit: int = 5) -> list[str]:
    """What the lazy maps (and the module tree) know that looks like ``name``."""
    top = report.target.name
    wanted = name[len(top) + 1:] if name.startswith(top + ".") else name
    pool: dict[str, str] = {}
    for lazy in report.lazy_modules.values():
        prefix = "" if lazy.name == top else lazy.name[len(top) + 1:] + "."
        for entry in lazy.names:
            pool.setdefault(entry, prefix + entry)
            pool.setdefault(prefix + entry, prefix + entry)
    for module in report.modules:
        if module.startswith(top + "."):
            pool.setdefault(module[len(top) + 1:], module[len(top) + 1:])
    matches = difflib.get_close_matches(wanted, list(pool), n=limit, cutoff=0.6)
    return list(dict.fromkeys(pool[m] for m in matches))
