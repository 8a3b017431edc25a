"""IG006 lazy-import-cycle and IG015 import-cycle: cycles among the imports executed at import time.

The graph: :func:`importgraph.graph.runtime_import_graph` (module-level import statements, plus
``lazy_access`` edges: a module-level ``from pkg import Name`` where ``pkg`` is lazy makes the runtime
import the module serving ``Name`` right then, and *parent-package* edges: importing ``a.b.c`` first
executes ``a.b/__init__.py``). Without the parent edges the one real lazy cycle of transformers 5.23.0
(``integrations.aqlm`` -> ``quantizers`` package -> ``quantizers.auto`` -> ``quantizer_aqlm`` -> lazy
``integrations.replace_with_aqlm_linear`` -> ``integrations.aqlm``) is invisible.

Function-level and ``TYPE_CHECKING`` imports never count. Cycles are found per strongly connected
component, and for each lazy hop inside one the *shortest* cycle through it (one BFS); simple cycles
are never enumerated.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..graph import ancestors, digraph, runtime_import_graph
from ..import_time import ImportTime
from ..line_refs import at
from ..model import Finding, Scope, Severity, SourceRef
from .base import Rule, RuleContext, register

_MODULE_SCOPE = Scope.MODULE.value

if TYPE_CHECKING:
    import networkx as nx  # imported by the functions that run: importing the rules must not cost ~0.3 s


@dataclass(frozen=True)
class Hop:
    """One edge of a cycle: ``source`` executes ``line`` of its file, which runs ``target``."""

    source: str
    target: str
    line: int
    via: str | None
    """``pkg:Name`` for a lazy access; None for a plain import."""
    parent: bool = False
    """The edge exists because importing a submodule of ``target`` first executes ``target``'s init."""

    def describe(self) -> str:
        if self.via:
            return f"{self.source} touches lazy {self.via.replace(':', '.')} (served by {self.target})"
        if self.parent:
            return f"{self.source} imports a submodule of {self.target}, so {self.target}/__init__ runs"
        return f"{self.source} imports {self.target}"


def import_time_graph(ctx: RuleContext, executing: bool = False) -> nx.DiGraph:
    """The runtime import graph (with parent-package edges), each edge's data as
    :func:`~importgraph.graph.runtime_import_graph` gives it: read an edge as a :class:`Hop` with :func:`hop`.

    ``executing``: without the plain imports of an ancestor package of the importer (``import litellm`` in
    ``litellm.utils``): the ancestor's init is running or done whenever the importer runs, so such a statement
    executes nothing and no cycle runs through it. (Reading a name from a partially run ancestor can still fail,
    which IG015's plain cycles keep; a lazy access to it is kept too.)"""
    key = ("import_time_graph", executing)
    cached = ctx._exports_cache.get(key)
    if cached is not None:
        return cached
    graph = digraph((source, target, data) for source, targets in runtime_import_graph(ctx.graph).items()
                    for target, data in targets.items()
                    if not (executing and source.startswith(target + ".") and not is_lazy_hop(data)))
    ctx._exports_cache[key] = graph
    return graph


def hop(graph: nx.DiGraph, source: str, target: str) -> Hop:
    """The edge ``source -> target`` of :func:`import_time_graph` as a :class:`Hop` (made for the few edges a
    cycle goes through, not for the ~20k of the graph)."""
    data = graph._succ[source][target]
    statements = _module_level(data)
    lazy = [s for s in statements if s.get("via")]
    first = min(lazy or statements, key=lambda s: s["line"])  # a lazy statement names the lazy hop
    return Hop(source, target, first["line"], first.get("via"), parent=bool(data.get("parent")))


def is_lazy_hop(data: dict) -> bool:
    """Whether an edge of :func:`import_time_graph` (its data) runs through a lazy name (``hop(...).via``)."""
    return any(s.get("via") for s in _module_level(data))


def _module_level(data: dict) -> list[dict]:
    return [s for s in data["imports"] if s["scope"] == _MODULE_SCOPE]


def shortest_path(graph: nx.DiGraph, start: str, goal: str, allowed: set[str]) -> list[str] | None:
    """BFS inside one component; ties broken by module name so the answer is deterministic."""
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while previous[path[-1]] is not None:
                path.append(previous[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for nxt in sorted(graph.successors(node)):
            if nxt in allowed and nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


def _components(graph: nx.DiGraph) -> list[set[str]]:
    import networkx as nx

    return sorted((c for c in nx.strongly_connected_components(graph) if len(c) > 1), key=lambda c: min(c))


def _chain(ctx: RuleContext, hops: list[Hop]) -> tuple[SourceRef, ...]:
    return tuple(SourceRef(ctx.modules[h.source].path, h.line) for h in hops)


def _render(ctx: RuleContext, hops: list[Hop]) -> str:
    return "; ".join(f"{h.describe()} (line {at(ctx.modules[h.source].path, h.line)})" for h in hops)


@register
class LazyImportCycle(Rule):
    """An import-time cycle goes through a lazy resolution, so one entry point fails to import.

    ``pkg/a.py`` does ``from pkg import B`` at module level; ``B`` is served lazily by ``pkg/b.py``; ``pkg/b.py``
    (directly or through other modules) imports ``pkg.a``. Whoever imports ``pkg.b`` first gets
    ``ImportError``/``AttributeError`` from a partially initialised module (transformers reports it as
    ``ModuleNotFoundError: Could not import module 'B'``), although every module is fine on its own and
    the package imports cleanly in another order. The chain lists every hop with file:line.

    Severity error when the cycle fails for some entry point: the lazily served name is bound in its
    module *after* the statement through which that module re-enters the cycle. When the name is bound
    before it (the cycle currently works, by statement order only) the finding is a warning; so it is when a
    parent package's init, which runs before the serving module, imports the module touching the name first
    (for certain or under a condition: mlflow's init imports ``mlflow.tracking.client``, which touches
    ``mlflow.entities.EvaluationDataset``): no entry point reaches the serving module first today.

    An import of the importer's own ancestor package (``import litellm`` in ``litellm.utils``) executes nothing:
    that init is running or done whenever the importer runs. No cycle runs through such a statement.

    Fix: import the name from its defining submodule (``from pkg.b import B``) or move the import into
    the function that needs it, to break the cycle.
    """

    code = "IG006"
    reads_graph = True
    name = "lazy-import-cycle"

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        graph = import_time_graph(ctx, executing=True)
        import_time = ImportTime(ctx.target.name, ctx.modules, ctx.lazy_modules, ctx.init_trees)  # parses on demand
        for component in _components(graph):
            seen: set[frozenset[str]] = set()
            succ = graph._succ
            lazy_hops = sorted((hop(graph, s, t) for s in component for t, data in succ[s].items()
                                if t in component and is_lazy_hop(data)), key=lambda h: (h.source, h.line, h.target))
            for lazy_hop in lazy_hops:
                back = shortest_path(graph, lazy_hop.target, lazy_hop.source, component)
                if back is None:
                    continue
                nodes = [lazy_hop.source, *back]
                if frozenset(nodes) in seen:
                    continue
                seen.add(frozenset(nodes))
                hops = [hop(graph, a, b) for a, b in zip(nodes, nodes[1:])]
                yield self._finding(ctx, graph, import_time, hops)

    def _finding(self, ctx: RuleContext, graph: nx.DiGraph, import_time: ImportTime, hops: list[Hop]) -> Finding:
        lazy_hop = hops[0]
        lazy_module, _, name = (lazy_hop.via or ":").partition(":")
        server = lazy_hop.target
        reentry = hops[1]  # the statement of the serving module that leads back into the cycle
        binding = ctx.modules[server].bindings.get(name) if server in ctx.modules else None
        fails = binding is None or binding.line > reentry.line
        bound_at, reentry_at = (at(ctx.modules[server].path, binding.line) if binding is not None else "",
                                at(ctx.modules[reentry.source].path, reentry.line))
        where = (f"{name!r} is bound at line {bound_at} of {server}, after its line {reentry_at}"
                 if binding is not None else f"{server} binds {name!r} only indirectly")
        first = _imported_first(graph, import_time, lazy_hop.source, server) if fails else None
        if first is not None:
            # mlflow: its init imports mlflow.tracking.client (under `if not IS_TRACING_SDK_ONLY:`), which touches
            # mlflow.entities.EvaluationDataset, before anything imports mlflow.entities.evaluation_dataset
            parent, certain = first
            effect = (f"It works as long as {parent}'s __init__, which runs before {server}, imports "
                      f"{lazy_hop.source} first ({'it does' if certain else 'it does under a condition'}): the "
                      f"lookup then runs {server} from its start. An entry point reaching {server} first fails: "
                      f"{where}, and the lazy lookup finds a partially initialised module.")
            fails = False
        elif fails:
            effect = (f"`import {server}` (or touching {lazy_module}.{name} first) fails: {where}, so the "
                      f"lazy lookup finds a partially initialised module.")
        else:
            effect = (f"it works only because {name!r} is bound at line {bound_at} of {server}, before "
                      f"line {reentry_at}; moving either statement breaks the import.")
        return self.finding(
            lazy_hop.source, f"{lazy_module}.{name}", ctx.modules[lazy_hop.source].path, lazy_hop.line,
            f"import cycle through a lazy name: {_render(ctx, hops)}. {effect} Import {name} from {server} "
            "directly or move one import into a function.",
            severity=Severity.ERROR if fails else Severity.WARNING, chain=_chain(ctx, hops))


def _imported_first(graph: nx.DiGraph, import_time: ImportTime, source: str, server: str) -> tuple[str, bool] | None:
    """``(parent, certain)``: the parent package of ``server`` whose init imports ``source`` (itself or through
    what it imports, without going through ``server``), if any, and whether it does so for certain or only under a
    condition. Every import of ``server`` runs that init first: ``source`` starts the cycle then, not ``server``."""
    allowed = set(graph) - {server}
    for parent in reversed(list(ancestors(server))):  # the top-level package's init runs first
        if parent == source or (parent in graph and shortest_path(graph, parent, source, allowed) is not None):
            return parent, parent == source or source in import_time.imported_by(parent)
    return None


@register
class ImportCycle(Rule):
    """A plain import-time cycle (no lazy hop) among the package's modules.

    Python tolerates many such cycles, but each makes one import order fail once a module-level name
    is read from a partially initialised module. Informational: reported once per strongly connected
    component, with its shortest cycle through the alphabetically first module (file:line per hop).

    Fix: move one import into the function that needs it, or extract the shared code into a module
    both import.
    """

    code = "IG015"
    reads_graph = True
    name = "import-cycle"
    severity = Severity.INFO
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        import networkx as nx

        graph = import_time_graph(ctx)
        plain = nx.DiGraph([(s, t, d) for s, t, d in graph.edges(data=True) if not is_lazy_hop(d)])
        for component in _components(plain):
            start = min(component)
            cycles = [p for p in (shortest_path(plain, nxt, start, component)
                                  for nxt in sorted(plain.successors(start)) if nxt in component) if p]
            if not cycles:
                continue
            nodes = [start, *min(cycles, key=len)]
            hops = [hop(plain, a, b) for a, b in zip(nodes, nodes[1:])]
            yield self.finding(
                start, start, ctx.modules[start].path, hops[0].line,
                f"import cycle among {len(component)} modules; shortest through {start}: {_render(ctx, hops)}. "
                "Move one import into a function or extract the shared code.", chain=_chain(ctx, hops))
