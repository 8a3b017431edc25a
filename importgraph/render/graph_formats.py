"""Write the graph as node-link JSON, GraphML or Graphviz DOT (no Graphviz needed to write it)."""

from __future__ import annotations

import io
import json

import networkx as nx


def _scalar(value: object) -> object:
    """GraphML allows scalars only: lists become comma-joined strings, nested data JSON."""
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return json.dumps(value, sort_keys=True)


def _flat(graph: nx.DiGraph) -> nx.DiGraph:
    flat = nx.DiGraph()
    for node, data in sorted(graph.nodes(data=True)):
        flat.add_node(node, **{k: _scalar(v) for k, v in data.items() if v is not None})
    for source, target, data in sorted(graph.edges(data=True)):
        flat.add_edge(source, target, **{k: _scalar(v) for k, v in data.items() if v is not None})
    return flat


def to_node_link_json(graph: nx.DiGraph) -> str:
    nodes = [{"id": n, **d} for n, d in sorted(graph.nodes(data=True))]
    edges = [{"source": s, "target": t, **d} for s, t, d in sorted(graph.edges(data=True))]
    # networkx's node-link format: without "multigraph": false, nx.node_link_graph reads it as a multigraph
    return json.dumps({"directed": True, "multigraph": False, "graph": dict(graph.graph), "nodes": nodes,
                       "edges": edges},
                      indent=1, sort_keys=True) + "\n"


def to_graphml(graph: nx.DiGraph) -> str:
    buffer = io.BytesIO()
    nx.write_graphml(_flat(graph), buffer)
    return buffer.getvalue().decode("utf-8")


def _quote(text: object) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_EDGE_STYLE = {"import": "solid", "lazy_access": "bold", "lazy": "dashed", "export": "dotted"}


def to_dot(graph: nx.DiGraph) -> str:
    lines = ["digraph importgraph {", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for node, data in sorted(graph.nodes(data=True)):
        attrs = {"label": data.get("name", node)}
        if data.get("kind") == "lazy_name":
            attrs["shape"] = "ellipse"
        elif data.get("kind") in ("external", "missing"):
            attrs["style"] = "dashed"
        elif data.get("lazy"):
            attrs["style"] = "bold"
        lines.append(f"  {_quote(node)} [" + ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items()) + "];")
    for source, target, data in sorted(graph.edges(data=True)):
        style = _EDGE_STYLE.get(data.get("kind", "import"), "solid")
        lines.append(f"  {_quote(source)} -> {_quote(target)} [style={style}, label={_quote(data.get('kind'))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


FORMATS = {"json": to_node_link_json, "graphml": to_graphml, "dot": to_dot}
