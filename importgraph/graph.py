"""Stage 4: one ``networkx.DiGraph`` joining real import edges with the lazy maps.

Nodes
    ``module`` nodes are dotted module names (``kind="module"``, or ``"external"`` for a top-level
    third-party package); ``lazy_name`` nodes are ``"<lazy module>:<name>"``.
Edges (a ``kinds`` list says which relations hold between the two nodes; ``kind`` is the first)
    ``import``        a module imports another (``imports``: every statement, with line and scope);
    ``lazy_access``   a module touches a lazy name while it runs (``from pkg import Name``), so the
                      lazy module imports the serving module at that moment;
    ``lazy``          a lazy module -> the module it imports to serve names (``names``);
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


def build_graph(modules: dict[str, ModuleFacts], lazy_modules: dict[str, LazyModule], top: str) -> nx.DiGraph:
    import networkx as nx  # here, not at the top: a reused result's check never builds a graph

    graph = nx.DiGraph(package=top)
    for name, facts in modules.items():
        graph.add_node(name, kind="module", path=facts.path, package=facts.is_package,
                       lazy=name in lazy_modules, problem=facts.problem is not None)
    for name, facts in modules.items():
        for fact in facts.imports:
            for target, via in resolve_import(fact, modules, lazy_modules, top):
                if target == name:
                    continue
                if target not in graph:
                    graph.add_node(target, kind="external")
                _add(graph, name, target, "import" if via is None else "lazy_access",
                     statement=_statement(fact), via=via)
    for lazy in lazy_modules.values():
        if lazy.name not in graph:
            graph.add_node(lazy.name, kind="module", path=lazy.path, package=True, lazy=True, problem=False)
        graph.nodes[lazy.name]["lazy"] = True
        graph.nodes[lazy.name]["style"] = lazy.style
        # By name: define_import_structure builds maps from sets, whose order changes with the hash seed;
        # the graph (and every format written from it) must not.
        for entry in sorted(lazy.names.values(), key=_by_name):
            node = f"{lazy.name}:{entry.name}"
            graph.add_node(node, kind="lazy_name", name=entry.name, module=entry.module,
                           backends=list(entry.backends), path=entry.path, line=entry.line)
            _add(graph, lazy.name, node, "export")
            if entry.module not in graph:
                graph.add_node(entry.module, kind="missing" if entry.module.startswith(top + ".") else "external")
            _add(graph, lazy.name, entry.module, "lazy", name=entry.name)
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
        if served is not None:
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
    deeper = serve(entry.module, name, lazy_modules, depth + 1)
    return deeper or entry.module


def _deepest_existing(module: str, modules: dict[str, ModuleFacts]) -> str:
    while module not in modules and "." in module:
        module = module.rpartition(".")[0]
    return module


def _statement(fact: ImportFact) -> dict:
    return {"line": fact.line, "scope": fact.scope.value, "guarded_by": list(fact.guarded_by),
            "in_try": fact.in_try, "names": list(fact.names)}


def _add(graph: nx.DiGraph, source: str, target: str, kind: str, statement: dict | None = None,
         via: tuple[str, str] | None = None, name: str | None = None) -> None:
    data = graph._succ.get(source, {}).get(target)  # the adjacency dict: EdgeView lookups cost 3x more
    if data is None:
        graph.add_edge(source, target, kinds=[kind], imports=[], names=[], runtime=False, kind=kind)
        data = graph._succ[source][target]
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


def runtime_import_graph(graph: nx.DiGraph) -> nx.DiGraph:
    """The edges executed at import time, between the package's modules.

    Module-level imports and lazy accesses, plus *parent-package* edges (``parent=True``): importing
    ``a.b.c`` from a module outside ``a.b`` first executes ``a/__init__`` and ``a/b/__init__``, so the
    importer gets an edge to each such ancestor (first statement that causes it). Ancestors of the importer
    itself are already running or done and get no edge.
    """
    # Plain dict walks over the adjacency (``graph._succ``/``_node``) and one ``add_edges_from``: the same
    # graph, in the same node and edge order, as per-edge ``graph.nodes[...]``/``add_edge`` calls, for a third
    # of the time (transformers has ~60k edges).
    import networkx as nx

    nodes = graph._node
    view = nx.DiGraph()
    view.add_edges_from((source, target, data) for source, targets in graph._succ.items()
                        for target, data in targets.items()
                        if data.get("runtime") and nodes[target].get("kind") == "module")
    module_scope = Scope.MODULE.value
    own_ancestors: dict[str, set[str]] = {}
    for source, target, data in list(view.edges(data=True)):
        mine = own_ancestors.get(source)
        if mine is None:
            mine = own_ancestors[source] = set(ancestors(source))
        out = view._succ[source]
        first = None
        for ancestor in ancestors(target):
            if ancestor in mine or ancestor == source or ancestor not in nodes:
                continue
            if nodes[ancestor].get("kind") != "module" or ancestor in out:
                continue
            if first is None:
                first = min((s for s in data["imports"] if s["scope"] == module_scope), key=lambda s: s["line"])
            view.add_edge(source, ancestor, kinds=["parent"], kind="parent", parent=True, runtime=True,
                          imports=[{**first, "via": None}], names=[])
    return view


def ancestors(module: str):
    """``a.b`` and ``a`` for ``a.b.c``, innermost first."""
    while "." in module:
        module = module.rpartition(".")[0]
        yield module
