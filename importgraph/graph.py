"""Stage 4: one ``networkx.DiGraph`` joining real import edges with the lazy maps.

Nodes
    ``module`` nodes are dotted module names (``kind="module"``, or ``"external"`` for a top-level
    third-party package); ``lazy_name`` nodes are ``"<lazy module>:<name>"``.
Edges (a ``kinds`` list says which relations hold between the two nodes; ``kind`` is the first)
    ``import``        a module imports another (``imports``: every statement, with line and scope);
    ``lazy_access``   a module touches a lazy name while it runs (``from pkg import Name``), so the
                      lazy module imports the serving module at that moment;
    ``lazy``          a lazy module -> the module it imports to serve names (``names``) or a key it serves
                      as a module (scipy's submodule list, plotly's ``relative_import``, module proxies);
    ``export``        a lazy module -> one of its lazy-name nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .model import ImportFact, LazyModule, ModuleFacts, Scope

if TYPE_CHECKING:
    import networkx as nx

EDGE_ORDER = ("import", "lazy_access", "lazy", "export")
_EDGE_RANK = {kind: rank for rank, kind in enumerate(EDGE_ORDER)}
_MODULE_SCOPE = Scope.MODULE.value

Adjacency = dict[str, dict[str, dict]]
"""``source -> target -> edge data``, in insertion order (networkx's own layout of successors)."""


def build_graph(modules: dict[str, ModuleFacts], lazy_modules: dict[str, LazyModule], top: str) -> nx.DiGraph:
    builder = _Builder()
    for name, facts in modules.items():
        builder.node(name, kind="module", path=facts.path, package=facts.is_package, lazy=name in lazy_modules,
                     problem=facts.problem is not None)
    for name, facts in modules.items():
        for fact in facts.imports:
            for target, via in resolve_import(fact, modules, lazy_modules, top):
                if target == name:
                    continue
                if target not in builder.nodes:
                    builder.node(target, kind="external")
                builder.edge(name, target, "import" if via is None else "lazy_access", statement=_statement(fact),
                             via=via)
    for lazy in lazy_modules.values():
        if lazy.name not in builder.nodes:
            builder.node(lazy.name, kind="module", path=lazy.path, package=True, lazy=True, problem=False)
        builder.node(lazy.name, lazy=True, style=lazy.style)
        # By name: define_import_structure builds maps from sets, whose order changes with the hash seed;
        # the graph (and every format written from it) must not.
        for entry in sorted(lazy.names.values(), key=_by_name):
            node = f"{lazy.name}:{entry.name}"
            builder.node(node, kind="lazy_name", name=entry.name, module=entry.module,
                         backends=list(entry.backends), path=entry.path, line=entry.line)
            builder.edge(lazy.name, node, "export")
            if entry.module not in builder.nodes:
                builder.node(entry.module, kind="missing" if entry.module.startswith(top + ".") else "external")
            builder.edge(lazy.name, entry.module, "lazy", name=entry.name)
        # Keys served as modules: a PEP 562 module's submodule list (scipy), plotly's ``relative_import``, mlflow's
        # ``pyfunc = LazyLoader(...)`` proxies: each imports its module on first use.
        for key, target in sorted(lazy.module_keys.items()):
            key, target = str(key), str(target)  # plain str: a key the evaluator read is a Tagged str subclass
            if target not in builder.nodes:
                builder.node(target, kind="missing" if target.startswith(top + ".") else "external")
            builder.edge(lazy.name, target, "lazy", name=key)
    return builder.graph(package=top)


class _Builder:
    """Nodes and edges collected in networkx's own adjacency layout (node -> attributes, node -> successor ->
    edge data, node -> predecessor -> the same edge data), then handed to one ``DiGraph``: the graph
    ``add_node``/``add_edge`` calls would build, in the same order, for a third of the time (transformers has
    ~47k edges; networkx's per-call bookkeeping was most of this stage)."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict] = {}
        self.succ: dict[str, dict[str, dict]] = {}
        self.pred: dict[str, dict[str, dict]] = {}

    def node(self, key: str, /, **attributes: object) -> None:
        """Add the node ``key`` or update its attributes (``DiGraph.add_node``)."""
        existing = self.nodes.get(key)
        if existing is None:
            self.nodes[key] = attributes
            self.succ[key] = {}
            self.pred[key] = {}
        else:
            existing.update(attributes)

    def edge(self, source: str, target: str, kind: str, statement: dict | None = None,
             via: tuple[str, str] | None = None, name: str | None = None) -> None:
        """Add the relation ``kind`` (and the import ``statement`` or served ``name``) to the edge; both nodes
        exist already."""
        data = self.succ[source].get(target)
        if data is None:
            data = self.succ[source][target] = self.pred[target][source] = {
                "kinds": [kind], "imports": [], "names": [], "runtime": False, "kind": kind}
        else:
            kinds = data["kinds"]
            if kind not in kinds:
                kinds.append(kind)
                kinds.sort(key=_EDGE_RANK.__getitem__)
                data["kind"] = kinds[0]
        if statement is not None:
            if via is not None:
                statement["via"] = f"{via[0]}:{via[1]}"
            data["imports"].append(statement)
            if statement["scope"] == _MODULE_SCOPE:
                data["runtime"] = True
        if name is not None:
            data["names"].append(name)

    def graph(self, **attributes: object) -> nx.DiGraph:
        return from_adjacency(self.nodes, self.succ, self.pred, attributes)


def digraph(edges: Iterable[tuple[str, str, dict]]) -> nx.DiGraph:
    """The ``DiGraph`` that ``add_edges_from(edges)`` builds (same node, successor and predecessor order), each
    edge's data dict taken as it is, without networkx's per-edge bookkeeping (a later duplicate edge replaces
    the data instead of updating it)."""
    successors: Adjacency = {}
    predecessors: Adjacency = {}
    for source, target, data in edges:
        if source not in successors:
            successors[source], predecessors[source] = {}, {}
        if target not in successors:
            successors[target], predecessors[target] = {}, {}
        successors[source][target] = predecessors[target][source] = data
    return from_adjacency({node: {} for node in successors}, successors, predecessors, {})


def from_adjacency(nodes: dict[str, dict], successors: Adjacency, predecessors: Adjacency,
                   attributes: dict) -> nx.DiGraph:
    """A ``DiGraph`` over these dicts as they are (networkx's own layout; no copy)."""
    import networkx as nx  # here, not at the top: a reused result's check never builds a graph

    graph = nx.DiGraph(**attributes)
    graph._node, graph._adj, graph._succ, graph._pred = nodes, successors, successors, predecessors
    return graph


def _by_name(entry) -> str:
    return entry.name


def resolve_import(fact: ImportFact, modules: dict[str, ModuleFacts], lazy_modules: dict[str, LazyModule],
                   top: str) -> Iterable[tuple[str, tuple[str, str] | None]]:
    """Modules an import statement makes the runtime execute: ``(module, (lazy module, name) or None)``.

    ``from pkg import sub`` reaches the submodule; ``from pkg import Name`` where ``pkg`` is lazy
    reaches the module that serves ``Name`` (following nested lazy packages).
    """
    base = fact.module
    if not base:
        return
    if not (base == top or base.startswith(top + ".")):
        yield base.split(".")[0], None
        return
    yield _deepest_existing(base, modules), None
    for name in fact.names:
        if name == "*":
            continue
        if f"{base}.{name}" in modules:
            yield f"{base}.{name}", None
            continue
        served = serve(base, name, lazy_modules)
        if served is not None and served != base:  # (a name the lazy module serves from itself: a plain import)
            yield served, (base, name)


def serve(module: str, name: str, lazy_modules: dict[str, LazyModule], depth: int = 0) -> str | None:
    """The module that finally defines ``module.name`` when it is served lazily (None if not lazy)."""
    lazy = lazy_modules.get(module)
    if lazy is None or depth > 10:
        return None
    if name in lazy.module_keys:
        return lazy.module_keys[name]
    entry = lazy.names.get(name)
    if entry is None:
        return None
    deeper = serve(entry.module, entry.fetched, lazy_modules, depth + 1)
    return deeper or entry.module


def _deepest_existing(module: str, modules: dict[str, ModuleFacts]) -> str:
    while module not in modules and "." in module:
        module = module.rpartition(".")[0]
    return module


def _statement(fact: ImportFact) -> dict:
    return {"line": fact.line, "scope": fact.scope.value, "guarded_by": list(fact.guarded_by),
            "in_try": fact.in_try, "names": list(fact.names)}


def runtime_import_graph(graph: nx.DiGraph) -> Adjacency:
    """The edges executed at import time, between the package's modules (``source -> target -> data``).

    Module-level imports and lazy accesses, plus *parent-package* edges (``parent=True``): importing
    ``a.b.c`` from a module outside ``a.b`` first executes ``a/__init__`` and ``a/b/__init__``, so the
    importer gets an edge to each such ancestor (first statement that causes it). Ancestors of the importer
    itself are already running or done and get no edge. Nodes in the order ``add_edges_from`` would add them,
    each one's targets in the graph's order, then its parent edges.
    """
    # Plain dicts over the adjacency (``graph._succ``/``_node``), not a DiGraph: the cycle rules make their own
    # graph from these edges, and building one here too cost more than the walk (transformers has ~47k edges).
    nodes = graph._node
    view: Adjacency = {}
    for source, targets in graph._succ.items():
        for target, data in targets.items():
            if data.get("runtime") and nodes[target].get("kind") == "module":
                view.setdefault(source, {})[target] = data
                view.setdefault(target, {})  # a node where networkx would add it (edge order follows node order)
    module_scope = Scope.MODULE.value
    for source, out in view.items():
        mine = set(ancestors(source))
        for target, data in list(out.items()):
            first = None
            for ancestor in ancestors(target):
                if ancestor in mine or ancestor == source or ancestor not in nodes:
                    continue
                if nodes[ancestor].get("kind") != "module" or ancestor in out:
                    continue
                if first is None:
                    first = min((s for s in data["imports"] if s["scope"] == module_scope), key=lambda s: s["line"])
                out[ancestor] = {"kinds": ["parent"], "kind": "parent", "parent": True, "runtime": True,
                                 "imports": [{**first, "via": None}], "names": []}
    return view


def ancestors(module: str):
    """``a.b`` and ``a`` for ``a.b.c``, innermost first."""
    while "." in module:
        module = module.rpartition(".")[0]
        yield module
