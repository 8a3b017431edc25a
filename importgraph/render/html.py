"""The HTML report: one self-contained file with an interactive graph, readable at transformers' scale.

Why it is built this way:

* **Grouped by default.** transformers has ~2,900 modules, ~30k import edges and ~12k lazy names; drawn
  one node per module that is a hairball that takes minutes of physics. The default view draws one node
  per *group*: a lazy module with every submodule it collapses (``transformers.models.bert`` holds
  ``modeling_bert``, ...), a plain first-level subpackage (``transformers.utils``), or a single top-level
  module. Nodes are sized by the lazy names they serve; edges between groups are merged per edge kind.
  ``--focus NAME`` instead draws single modules and lazy names around one node.
* **Positions precomputed, physics off.** A radial tree over the package hierarchy (O(n), pure Python,
  no numpy/scipy), so the browser only draws.
* **pyvis without its traps** (0.3.2): ``cdn_resources="in_line"`` still links Bootstrap from a CDN,
  ``"local"`` loads vis from a CDN *and* writes ``lib/`` into the working directory, ``show()`` assumes a
  notebook, ``set_options()`` replaces every option, and ``add_edge`` is O(nodes) per call. So pyvis'
  ``Network`` holds the nodes, edges and options, and this module renders its own template, inlining the
  vis-network copy pyvis ships; nothing but the report file is written.
* **Escaped everywhere.** Template text is autoescaped; data goes into ``<script type="application/json">``
  with ``<``, ``>``, ``&`` (so ``</script>`` and ``<!--``) and U+2028/9 turned into ``\\uXXXX`` escapes; the
  page's own script only ever inserts text with ``textContent``.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import networkx as nx
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

from ._pyvis import pyvis_network

pyvis, Network = pyvis_network()

from ..analysis import Report
from ..model import Finding
from .json_report import finding_dict, relative

DEFAULT_MAX_NODES = 1500
DEFAULT_DEPTH = 1
ASSETS = Path(__file__).parent / "html_assets"
VIS_DIR = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"

EDGE_CATEGORIES = ("import", "function", "type_checking", "lazy")
"""Module-level import, function-level import, ``TYPE_CHECKING``-only import, lazy resolution."""
_SCOPE_CATEGORY = {"module": "import", "function": "function", "type_checking": "type_checking"}

STYLE = {
    "kind": {
        "lazy": {"background": "#9fd8b5", "border": "#2d6a4f", "shape": "dot", "label": "lazy module (group)"},
        "package": {"background": "#cfd8e3", "border": "#52606d", "shape": "dot", "label": "subpackage (group)"},
        "module": {"background": "#e4e9ef", "border": "#7b8794", "shape": "dot", "label": "module"},
        "lazy_name": {"background": "#ffe08a", "border": "#b08900", "shape": "diamond", "label": "lazy name"},
        "missing": {"background": "#5c1a1a", "border": "#2b0000", "shape": "triangle",
                    "label": "missing module (named, not on disk)"},
        "external": {"background": "#f3f3f3", "border": "#b0b0b0", "shape": "square", "label": "third-party package"},
    },
    "severity": {
        "error": {"background": "#e63946", "border": "#7a0010", "label": "finding: error"},
        "warning": {"background": "#f4a261", "border": "#9c4a00", "label": "finding: warning"},
        "info": {"background": "#6fb1e4", "border": "#1d5a8a", "label": "finding: info"},
    },
    "edge": {
        "import": {"color": "rgba(82,96,109,0.45)", "dashes": False, "label": "module-level import (runs at import)"},
        "function": {"color": "rgba(31,119,180,0.75)", "dashes": [2, 4], "label": "function-level import"},
        "type_checking": {"color": "rgba(148,103,189,0.75)", "dashes": [8, 5], "label": "TYPE_CHECKING-only import"},
        "lazy": {"color": "rgba(42,157,143,0.9)", "dashes": [14, 4, 3, 4], "label": "lazy resolution"},
    },
}
_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


class FocusNotFound(ValueError):
    """``--focus NAME`` matches no module and no lazy name; ``suggestions`` holds close names."""

    def __init__(self, focus: str, suggestions: list[str]):
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"--focus {focus!r} is neither a module nor a lazy name of the package{hint}")
        self.focus = focus
        self.suggestions = suggestions


# --------------------------------------------------------------------------- the view: what gets drawn


@dataclass
class ViewNode:
    key: str
    """A module, group or third-party name, or ``<lazy module>:<name>`` for a lazy-name node."""
    label: str
    kind: str
    """A key of ``STYLE["kind"]``."""
    members: list[str] = field(default_factory=list)
    """Graph nodes collapsed into this one (itself included)."""
    parent: str | None = None
    """Layout parent (package above it in the grouped view, discoverer in the focus view)."""
    x: float = 0.0
    y: float = 0.0


@dataclass
class View:
    mode: str
    """``grouped`` or ``focus``."""
    nodes: dict[str, ViewNode]
    edges: dict[tuple[str, str, str], int]
    """(source key, target key, category) -> how many graph edges it stands for."""
    node_of: dict[str, str]
    """Graph node -> the drawn node holding it (absent when not drawn)."""
    left_out: list[str] = field(default_factory=list)
    """Keys of nodes not drawn because of ``max_nodes``."""
    left_out_members: int = 0
    focus: str | None = None
    depth: int = DEFAULT_DEPTH
    max_nodes: int = DEFAULT_MAX_NODES


def edge_categories(data: dict) -> set[str]:
    """Which of ``EDGE_CATEGORIES`` one graph edge belongs to (an edge may be several)."""
    cats = {_SCOPE_CATEGORY[s["scope"]] for s in data.get("imports", ()) if s.get("scope") in _SCOPE_CATEGORY}
    if "lazy" in data.get("kinds", ()) or "export" in data.get("kinds", ()):
        cats.add("lazy")
    return cats


def group_of(module: str, top: str, lazy: set[str], packages: set[str]) -> str:
    """The grouped-view node of a module: its innermost lazy package below the top level, else its
    first-level subpackage, else the module itself."""
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        prefix = ".".join(parts[:end])
        if prefix in lazy and prefix != top:
            return prefix
    if len(parts) > 2 or (len(parts) == 2 and module in packages):
        first = ".".join(parts[:2])
        if first in packages:
            return first
    return module


def _top(report: Report) -> str:
    return report.graph.graph.get("package") or report.target.name


def _short(key: str, parent: str | None) -> str:
    if parent and key.startswith(parent + "."):
        return key[len(parent) + 1:]
    return key


def grouped_view(report: Report, max_nodes: int = DEFAULT_MAX_NODES) -> View:
    graph, top = report.graph, _top(report)
    lazy = set(report.lazy_modules)
    packages = {n for n, d in graph.nodes(data=True) if d.get("package")}
    groups: dict[str, ViewNode] = {}
    node_of: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        kind = data.get("kind")
        if kind == "lazy_name":
            continue
        if kind in ("external", "missing"):
            key = node
        else:
            key = group_of(node, top, lazy, packages)
        node_of[node] = key
        view_node = groups.get(key)
        if view_node is None:
            view_kind = kind if kind in ("external", "missing") else (
                "lazy" if key in lazy else "package" if key in packages else "module")
            view_node = groups[key] = ViewNode(key, key, view_kind)
        view_node.members.append(node)
    for node, data in graph.nodes(data=True):  # lazy names live in the group of the module serving them
        if data.get("kind") == "lazy_name":
            node_of[node] = node_of.get(node.rpartition(":")[0], "")
    edges: dict[tuple[str, str, str], int] = defaultdict(int)
    for source, target, data in graph.edges(data=True):
        a, b = node_of.get(source), node_of.get(target)
        if not a or not b or a == b or "export" in data["kinds"] and len(data["kinds"]) == 1:
            continue
        for category in edge_categories(data):
            edges[(a, b, category)] += 1
    _set_tree_parents(groups, top)
    kept, left_out = _bound(groups, edges, report.findings, node_of, max_nodes, first=[top])
    view = View("grouped", kept, {}, node_of, left_out, sum(len(groups[k].members) for k in left_out),
                max_nodes=max_nodes)
    _finish(view, edges)
    return view


def _set_tree_parents(nodes: dict[str, ViewNode], top: str) -> None:
    for key, node in nodes.items():
        if node.kind == "external":
            continue
        prefix = key
        node.parent = None
        while "." in prefix:
            prefix = prefix.rpartition(".")[0]
            if prefix in nodes:
                node.parent = prefix
                break
        node.label = _short(key, node.parent)


def _bound(nodes: dict[str, ViewNode], edges: dict, findings: list[Finding], node_of: dict[str, str],
           max_nodes: int, first: Iterable[str]) -> tuple[dict[str, ViewNode], list[str]]:
    """Keep at most ``max_nodes`` nodes: the given ones, then those with findings, then the biggest."""
    if len(nodes) <= max_nodes:
        return nodes, []
    degree: dict[str, int] = defaultdict(int)
    for (a, b, _), count in edges.items():
        degree[a] += count
        degree[b] += count
    flagged = {node_of.get(f.module) for f in findings}
    pinned = [k for k in first if k in nodes]
    rest = sorted((k for k in nodes if k not in pinned),
                  key=lambda k: (k not in flagged, nodes[k].kind == "external", -len(nodes[k].members),
                                 -degree[k], k))
    order = pinned + rest
    keep = set(order[:max_nodes])
    return {k: v for k, v in nodes.items() if k in keep}, sorted(order[max_nodes:])


def _finish(view: View, edges: dict[tuple[str, str, str], int]) -> None:
    """Drop edges to nodes not drawn, re-point node_of at drawn nodes only, lay out."""
    drawn = view.nodes
    view.edges = {e: c for e, c in edges.items() if e[0] in drawn and e[1] in drawn}
    view.node_of = {n: k for n, k in view.node_of.items() if k in drawn}
    for node in drawn.values():
        if node.parent is not None and node.parent not in drawn:
            parent = node.parent
            while parent is not None and parent not in drawn:
                parent = parent.rpartition(".")[0] or None if "." in parent else None
            node.parent = parent
    radial_layout(drawn)


# --------------------------------------------------------------------------- focus view


def resolve_focus(report: Report, focus: str) -> list[str]:
    """Graph nodes ``focus`` names: a module (or missing/third-party node), ``lazy.module:Name``, or a lazy
    name served by one or several lazy modules (``BertModel`` -> every lazy module exporting it)."""
    graph = report.graph
    if focus in graph:
        return [focus]
    seeds = sorted(f"{lazy.name}:{focus}" for lazy in report.lazy_modules.values() if focus in lazy.names)
    if seeds:
        return seeds
    names = {name for lazy in report.lazy_modules.values() for name in lazy.names}
    candidates = sorted(set(graph.nodes) - {n for n in graph if ":" in n} | names)
    raise FocusNotFound(focus, difflib.get_close_matches(focus, candidates, n=5, cutoff=0.7))


def focus_view(report: Report, focus: str, depth: int = DEFAULT_DEPTH,
               max_nodes: int = DEFAULT_MAX_NODES) -> View:
    """Single modules and lazy names around ``focus``: its lazy resolution chain, then import neighbours
    (importers and imported) up to ``depth`` hops."""
    graph = report.graph
    seeds = resolve_focus(report, focus)
    distance: dict[str, int] = {}
    parent: dict[str, str | None] = {}

    def visit(node: str, dist: int, via: str | None) -> None:
        if node not in distance:
            distance[node] = dist
            parent[node] = via

    frontier: list[str] = []
    for seed in seeds:  # the lazy resolution chain: lazy module -> name -> (nested lazy module -> name) -> module
        visit(seed, 0, None)
        node = seed
        for _ in range(12):
            if graph.nodes[node].get("kind") != "lazy_name":
                break
            lazy_module, _, name = node.rpartition(":")
            visit(lazy_module, 0, None)
            parent[node] = lazy_module if parent[node] is None else parent[node]
            target = graph.nodes[node]["module"]
            visit(target, 0, node)
            node = f"{target}:{name}" if f"{target}:{name}" in graph else target
            if node != target:
                visit(node, 0, target)
        # Import neighbours of where the chain ends (and of a module focus), not of the lazy hubs it passes
        # through: `transformers` itself neighbours half the package.
        frontier.append(node)
    for dist in range(1, depth + 1):
        following = []
        for node in frontier:
            for neighbour in _import_neighbours(graph, node):
                if neighbour not in distance:
                    visit(neighbour, dist, node)
                    following.append(neighbour)
        frontier = following
    order = sorted(distance, key=lambda n: (distance[n], graph.nodes[n].get("kind") == "external",
                                            -graph.degree(n), n))
    kept = order[:max_nodes]
    nodes: dict[str, ViewNode] = {}
    for node in kept:
        data = graph.nodes[node]
        kind = data.get("kind", "module")
        if kind == "module":
            kind = "lazy" if data.get("lazy") else "package" if data.get("package") else "module"
        label = data["name"] if kind == "lazy_name" else node
        nodes[node] = ViewNode(node, label, kind, [node], parent=parent.get(node))
    edges: dict[tuple[str, str, str], int] = defaultdict(int)
    for source, target, data in graph.subgraph(kept).edges(data=True):
        for category in edge_categories(data):
            edges[(source, target, category)] += 1
    for node in kept:  # a lazy name resolves to its module
        data = graph.nodes[node]
        if data.get("kind") == "lazy_name" and data["module"] in nodes:
            edges[(node, data["module"], "lazy")] += 1
    node_of = {n: n for n in kept}
    for node in kept:
        for member in graph.successors(node):  # lazy names of a drawn lazy module point at it
            if graph.nodes[member].get("kind") == "lazy_name" and member not in node_of:
                node_of[member] = node
    view = View("focus", nodes, {}, node_of, sorted(order[max_nodes:]), len(order) - len(kept), focus=focus,
                depth=depth, max_nodes=max_nodes)
    _finish(view, edges)
    return view


def _import_neighbours(graph: nx.DiGraph, node: str) -> Iterable[str]:
    for neighbour in list(graph.successors(node)) + list(graph.predecessors(node)):
        if graph.nodes[neighbour].get("kind") != "lazy_name":
            yield neighbour


# --------------------------------------------------------------------------- layout


NODE_SPACING = 34.0
"""Minimum arc length between neighbouring nodes on a ring (vis-network canvas pixels)."""
STAGGER = 3
"""Neighbours on a crowded ring alternate between this many sub-rings, so their labels do not overlap."""


def radial_layout(nodes: dict[str, ViewNode]) -> None:
    """A radial tree: each node on a ring by tree depth, children inside their parent's angular sector.

    A childless node at depth d claims angle proportional to 1/d (the arc it needs shrinks as the ring
    grows), a parent the sum of its children's. Rings are then spaced so the tightest ring keeps
    ``NODE_SPACING`` between neighbours. Third-party nodes go on an outer ring. O(n log n).
    """
    children: dict[str | None, list[str]] = defaultdict(list)
    externals = []
    for key in sorted(nodes):
        node = nodes[key]
        if node.kind == "external":
            externals.append(key)
        else:
            children[node.parent if node.parent in nodes else None].append(key)
    roots = children[None]
    depth: dict[str, int] = {}
    order: list[str] = []
    stack = [(r, 0 if len(roots) == 1 else 1) for r in reversed(roots)]
    while stack:
        key, d = stack.pop()
        depth[key] = d
        order.append(key)
        stack.extend((c, d + 1) for c in reversed(children[key]))
    weight: dict[str, float] = {}
    for key in reversed(order):
        own = 1.0 / max(depth[key], 1)
        weight[key] = max(own, sum(weight[c] for c in children[key]))
    total = sum(weight[r] for r in roots) or 1.0
    ring = max(NODE_SPACING * total / (2 * math.pi * STAGGER), 4 * NODE_SPACING)
    start: dict[str, float] = {}
    cursor = 0.0
    for r in roots:
        start[r] = cursor
        cursor += weight[r] / total * 2 * math.pi
    sibling_index: dict[str, int] = {}
    for siblings in children.values():
        for index, key in enumerate(siblings):
            sibling_index[key] = index
    max_radius = 0.0
    for key in order:
        span = weight[key] / total * 2 * math.pi
        angle = start[key] + span / 2
        d = depth[key]
        radius = d * ring + (sibling_index[key] % STAGGER) * ring / (STAGGER + 1) * (1 if d else 0)
        nodes[key].x, nodes[key].y = radius * math.cos(angle), radius * math.sin(angle)
        max_radius = max(max_radius, radius)
        cursor = start[key]
        for child in children[key]:
            start[child] = cursor
            cursor += weight[child] / total * 2 * math.pi
    if externals:
        outer = max_radius + 2 * ring
        outer = max(outer, NODE_SPACING * len(externals) / (2 * math.pi))
        for index, key in enumerate(externals):
            angle = 2 * math.pi * index / len(externals)
            nodes[key].x, nodes[key].y = outer * math.cos(angle), outer * math.sin(angle)


# --------------------------------------------------------------------------- pyvis network + page data


class _IndexedIds(list):
    """pyvis keeps node ids in a list and tests membership on every add_node/add_edge (O(n) each);
    this list answers ``in`` from a set, so building the network stays linear."""

    def __init__(self) -> None:
        super().__init__()
        self._set: set = set()

    def append(self, item) -> None:  # type: ignore[override]
        super().append(item)
        self._set.add(item)

    def __contains__(self, item) -> bool:
        return item in self._set


def build_network(view: View, severity_of: dict[str, str]) -> Network:
    """The pyvis Network: nodes with fixed positions and colours, edges styled by kind, physics off."""
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    net.node_ids = _IndexedIds()
    ids = {key: index for index, key in enumerate(view.nodes)}
    names_served = defaultdict(int)
    for node, key in view.node_of.items():
        if ":" in node:
            names_served[key] += 1
    for key, node in view.nodes.items():
        style = STYLE["kind"][node.kind]
        severity = severity_of.get(key)
        colors = STYLE["severity"][severity] if severity else style
        size = 9 + 3.2 * math.log2(1 + names_served[key]) + 1.5 * math.log2(len(node.members))
        net.add_node(ids[key], label=node.label, shape=style["shape"], x=round(node.x, 1), y=round(node.y, 1),
                     size=round(size, 1), borderWidth=3 if severity else 1,
                     color={"background": colors["background"], "border": colors["border"]})
    for (source, target, category), count in sorted(view.edges.items()):
        style = STYLE["edge"][category]
        net.add_edge(ids[source], ids[target], cat=category, color=style["color"], dashes=style["dashes"],
                     width=round(0.6 + math.log2(count) * 0.5, 2), title=None)
    net.options = {
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
        "nodes": {"font": {"size": 14, "face": "sans-serif"}},
        "edges": {"smooth": False, "arrows": {"to": {"enabled": True, "scaleFactor": 0.4}},
                  "selectionWidth": 2, "hoverWidth": 0},
        "interaction": {"hover": True, "hideEdgesOnDrag": True, "hideEdgesOnZoom": True, "tooltipDelay": 150,
                        "multiselect": True},
    }
    return net


def _page_data(report: Report, view: View, findings: list[dict]) -> dict:
    """Everything the page script needs besides the drawing: modules and lazy names (for search and
    tooltips), findings, per-node details. Indices instead of repeated strings keep it small."""
    graph = report.graph
    ids = {key: index for index, key in enumerate(view.nodes)}
    module_index: dict[str, int] = {}
    modules = []
    for node, data in graph.nodes(data=True):
        if data.get("kind") == "lazy_name":
            continue
        module_index[node] = len(modules)
        path = data.get("path")
        modules.append([node, relative(report, path) if path else "", ids.get(view.node_of.get(node), -1),
                        data.get("kind", "module")])
    backend_sets: dict[tuple[str, ...], int] = {}
    names = []
    for lazy in report.lazy_modules.values():
        lazy_index = module_index.get(lazy.name, -1)
        # Sorted: a map built by define_import_structure iterates sets, whose order changes with the hash seed.
        for entry in sorted(lazy.names.values(), key=lambda e: e.name):
            backends = tuple(sorted(entry.backends))
            backend_index = backend_sets.setdefault(backends, len(backend_sets))
            node = view.node_of.get(f"{lazy.name}:{entry.name}")
            names.append([entry.name, lazy_index, module_index.get(entry.module, -1), backend_index,
                          ids.get(node, -1), entry.line])
    view_nodes = []
    for key, node in view.nodes.items():
        view_nodes.append({"key": key, "kind": node.kind, "members": [module_index.get(m, -1) for m in node.members
                                                                       if m in module_index]})
    return {
        "modules": modules,
        "names": names,
        "backendSets": [list(b) for b in backend_sets],
        "nodes": view_nodes,
        "findings": findings,
        "style": STYLE,
        "categories": list(EDGE_CATEGORIES),
        "mode": view.mode,
        "focus": view.focus,
    }


def finding_node(finding: Finding, view: View) -> str | None:
    """The drawn node a finding is about: its lazy name's node if drawn, else its module's node (the
    group holding it in the grouped view); None when the view does not draw it."""
    for candidate in (f"{finding.module}:{finding.symbol}", finding.module):
        if candidate in view.node_of:
            return view.node_of[candidate]
    return None


# --------------------------------------------------------------------------- the page


def _script_json(value: object) -> Markup:
    """JSON that is safe inside ``<script>``: no ``<``/``>``/``&`` (so no ``</script>``, no ``<!--``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return Markup(text)


def _inline(path: Path, closing: str) -> Markup:
    """A bundled file's text, to sit between ``<script>``/``<style>`` tags; refuses a file that would
    close its own tag early."""
    text = path.read_text(encoding="utf-8")
    if closing in text.lower():
        raise ValueError(f"{path} contains {closing!r}; cannot inline it")
    return Markup(text)


def render_html(report: Report, *, focus: str | None = None, depth: int = DEFAULT_DEPTH,
                max_nodes: int = DEFAULT_MAX_NODES) -> tuple[str, View]:
    """The report page as text, and the view it draws."""
    if max_nodes < 1:
        raise ValueError("max_nodes must be at least 1")
    view = focus_view(report, focus, depth, max_nodes) if focus else grouped_view(report, max_nodes)
    ids = {key: index for index, key in enumerate(view.nodes)}
    findings = []
    severity_of: dict[str, str] = {}
    for finding in report.findings:
        item = finding_dict(report, finding)
        node = finding_node(finding, view)
        item["node"] = ids[node] if node is not None else -1
        findings.append(item)
        if node is not None and _SEVERITY_RANK[finding.severity.value] >= _SEVERITY_RANK.get(
                severity_of.get(node, "info"), 0):
            severity_of[node] = finding.severity.value
    net = build_network(view, severity_of)
    vis_nodes, vis_edges, _, _, _, options = net.get_network_data()
    env = Environment(loader=FileSystemLoader(str(ASSETS)), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    stats, target = report.stats, report.target
    severities = defaultdict(int)
    for finding in report.findings:
        severities[finding.severity.value] += 1
    return env.get_template("report.html").render(
        package=target.name,
        version=target.version or "",
        stats=stats,
        severities=dict(severities),
        environment=report.environment.describe(),
        requirements=target.requires,
        requirements_from=relative(report, target.requirements_from) if target.requirements_from else None,
        generated=_generated_at().strftime("%Y-%m-%d %H:%M UTC"),
        reproducible=_reproducible(),
        tool_version=report.tool_version,
        view=view,
        left_out_preview=view.left_out[:40],
        style=STYLE,
        categories=EDGE_CATEGORIES,
        rules=sorted({(f.rule, f.name) for f in report.findings}),
        backends=sorted({b for lazy in report.lazy_modules.values() for e in lazy.names.values()
                         for b in e.backends}),
        vis_css=_inline(VIS_DIR / "vis-network.css", "</style"),
        vis_js=_inline(VIS_DIR / "vis-network.min.js", "</script"),
        page_css=_inline(ASSETS / "report.css", "</style"),
        page_js=_inline(ASSETS / "report.js", "</script"),
        vis_nodes=_script_json(vis_nodes),
        vis_edges=_script_json(vis_edges),
        vis_options=_script_json(json.loads(options)),
        page_data=_script_json(_page_data(report, view, findings)),
    ), view


def write_html(report: Report, path: str | os.PathLike, **kwargs) -> View:
    """Write the report to ``path`` (and nothing else anywhere); returns the view it drew."""
    text, view = render_html(report, **kwargs)
    Path(path).write_text(text, encoding="utf-8")
    return view


def default_report_path(report: Report) -> Path:
    """``importgraph-<package>.html`` in the current directory: one file per analysed package."""
    return Path(f"importgraph-{report.target.name}.html")


def _reproducible() -> bool:
    """``$SOURCE_DATE_EPOCH`` is set: the report must not depend on the moment (nor on how long it took)."""
    return os.environ.get("SOURCE_DATE_EPOCH", "").isdigit()


def _generated_at() -> datetime:
    """Now, or ``$SOURCE_DATE_EPOCH`` (the reproducible-builds convention) so that a report can be
    regenerated byte for byte."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc)
