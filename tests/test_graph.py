"""The joined graph: node and edge kinds on a real fixture, and ``importgraph graph`` in each format."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys

import networkx as nx
import pytest

import importgraph
from importgraph.graph import digraph
from importgraph.render.graph_formats import to_dot, to_graphml, to_node_link_json
from tests.conftest import fixture_package

HF4 = fixture_package("hf4_dict")


@pytest.fixture(scope="module")
def report() -> importgraph.Report:
    return importgraph.analyze(str(HF4))


def edges_of_kind(graph: nx.DiGraph, kind: str) -> list[tuple[str, str, dict]]:
    return [(s, t, d) for s, t, d in graph.edges(data=True) if kind in d["kinds"]]


def test_every_edge_kind_is_present(report):
    graph = report.graph
    for kind in ("import", "lazy_access", "lazy", "export"):
        assert edges_of_kind(graph, kind), kind
    # import: the statement, its line and context
    statements = graph.edges["hf4_dict.models.albert.modeling_albert", "hf4_dict.modeling_utils"]["imports"]
    assert statements and statements[0]["scope"] == "module" and statements[0]["line"] > 0
    # lazy: lazy module -> serving module, labelled with the names it serves
    lazy = graph.edges["hf4_dict", "hf4_dict.configuration_utils"]
    assert "lazy" in lazy["kinds"] and "PretrainedConfig" in lazy["names"]
    # export: lazy module -> lazy-name node
    assert graph.has_edge("hf4_dict", "hf4_dict:PretrainedConfig")
    node = graph.nodes["hf4_dict:PretrainedConfig"]
    assert node["kind"] == "lazy_name" and node["module"] == "hf4_dict.configuration_utils"
    # lazy_access: `from .models.albert import AlbertConfig` in the init reaches the serving module
    access = edges_of_kind(graph, "lazy_access")
    assert all(any("via" in s for s in d["imports"]) for _, _, d in access)


def test_module_nodes(report):
    graph = report.graph
    top = graph.nodes["hf4_dict"]
    assert top["kind"] == "module" and top["package"] and top["lazy"] and top["style"] == "hf-dict"
    assert graph.nodes["hf4_dict.pipelines"]["lazy"] is False
    assert graph.nodes["os"]["kind"] == "external"
    assert set(report.modules) <= set(graph.nodes)


def test_every_lazy_name_has_a_node_and_edge(report):
    graph = report.graph
    for lazy in report.lazy_modules.values():
        for name, entry in lazy.names.items():
            assert graph.has_edge(lazy.name, f"{lazy.name}:{name}")
            assert name in graph.edges[lazy.name, entry.module]["names"]


def test_the_graph_is_the_one_networkx_builds(report):
    """The graph is assembled in networkx's adjacency layout directly (``graph._Builder``): networkx's own API,
    fed the same nodes and edges in the same order, must give the same graph, and every view of it must work
    (successors, predecessors, copies)."""
    graph = report.graph
    reference = nx.DiGraph(**graph.graph)
    reference.add_nodes_from(graph.nodes(data=True))
    reference.add_edges_from(graph.edges(data=True))
    assert list(reference.nodes(data=True)) == list(graph.nodes(data=True))
    assert list(reference.edges(data=True)) == list(graph.edges(data=True))
    for node in graph:
        assert set(graph.predecessors(node)) == set(reference.predecessors(node))
        assert all(graph.pred[node][source] is graph.succ[source][node] for source in graph.pred[node])
    assert list(graph.in_edges(data=True)) and sorted(graph.in_edges) == sorted(reference.in_edges)
    assert nx.utils.graphs_equal(graph.copy(), reference)


def test_digraph_is_add_edges_from():
    """``digraph(edges)`` (the cycle rules' graph) is ``DiGraph.add_edges_from``: same node, successor and
    predecessor order, the edge data dicts themselves."""
    edges = [("c", "a", {"n": 1}), ("a", "b", {"n": 2}), ("d", "a", {"n": 3}), ("b", "c", {"n": 4}),
             ("a", "d", {"n": 5}), ("e", "e", {"n": 6})]
    mine, theirs = digraph(edges), nx.DiGraph()
    theirs.add_edges_from(edges)
    assert list(mine.nodes) == list(theirs.nodes) == ["c", "a", "b", "d", "e"]
    assert [(n, list(mine.succ[n])) for n in mine] == [(n, list(theirs.succ[n])) for n in theirs]
    assert [(n, list(mine.pred[n])) for n in mine] == [(n, list(theirs.pred[n])) for n in theirs]
    assert list(mine.edges(data=True)) == list(theirs.edges(data=True))
    assert mine.edges["a", "b"] is edges[1][2]


def test_graphml_reads_back(report):
    text = to_graphml(report.graph)
    back = nx.read_graphml(io.BytesIO(text.encode()))
    assert set(back.nodes) == set(report.graph.nodes)
    assert set(back.edges) == set(report.graph.edges)
    assert back.edges["hf4_dict", "hf4_dict.configuration_utils"]["kind"] in ("import", "lazy_access", "lazy")


def test_dot_has_every_node_and_edge(report):
    text = to_dot(report.graph)
    assert text.startswith("digraph importgraph {") and text.rstrip().endswith("}")
    declared = set(re.findall(r'^  "((?:[^"\\]|\\.)*)" \[', text, re.M))
    assert declared == set(report.graph.nodes)
    arrows = re.findall(r'^  "((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)"', text, re.M)
    assert set(arrows) == set(report.graph.edges)


def test_node_link_json_round_trip(report):
    data = json.loads(to_node_link_json(report.graph))
    back = nx.node_link_graph(data, edges="edges")
    assert set(back.nodes) == set(report.graph.nodes) and set(back.edges) == set(report.graph.edges)


@pytest.mark.parametrize("fmt", ["json", "graphml", "dot"])
def test_graph_command(fmt, tmp_path, report):
    out = tmp_path / f"graph.{fmt}"
    proc = subprocess.run([sys.executable, "-m", "importgraph", "graph", str(HF4), "--format", fmt, "-o", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    if fmt == "json":
        graph = nx.node_link_graph(json.loads(text), edges="edges")
    elif fmt == "graphml":
        graph = nx.read_graphml(out)
    else:
        graph = nx.DiGraph(re.findall(r'^  "((?:[^"\\]|\\.)*)" -> "((?:[^"\\]|\\.)*)"', text, re.M))
        graph.add_nodes_from(re.findall(r'^  "((?:[^"\\]|\\.)*)" \[', text, re.M))
    assert set(graph.nodes) == set(report.graph.nodes)
    assert set(graph.edges) == set(report.graph.edges)
    # the same input gives the same bytes
    again = subprocess.run([sys.executable, "-m", "importgraph", "graph", str(HF4), "--format", fmt],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert again.stdout == text


@pytest.mark.parametrize("fmt", ["json", "dot", "graphml"])
def test_graph_output_does_not_depend_on_the_hash_seed(fmt, tmp_path):
    """define_import_structure builds its maps from sets (iteration order follows the hash seed); the graph
    is built in name order, so two processes write the same bytes."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"graph-{seed}.{fmt}"
        done = subprocess.run([sys.executable, "-m", "importgraph", "graph", str(fixture_package("hf5_structure")),
                               "--no-cache", "-q", "-f", fmt, "-o", str(out)],
                              env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("name", ["pep562_submodules", "plotly_relative", "module_proxy"])
def test_every_module_key_is_a_lazy_edge(name):
    """A key a lazy module serves as a module (scipy's submodule list, plotly's ``relative_import``, a module proxy)
    imports that module on first use: a ``lazy`` edge labelled with the key, like a lazy name's."""
    report = importgraph.analyze(str(fixture_package(name)))
    keyed = [(lazy.name, key, target) for lazy in report.lazy_modules.values()
             for key, target in lazy.module_keys.items()]
    assert keyed
    for lazy_module, key, target in keyed:
        edge = report.graph.edges[lazy_module, target]
        assert "lazy" in edge["kinds"] and key in edge["names"]
    assert report.stats.lazy_edges == len({(s, t) for s, t, d in report.graph.edges(data=True) if "lazy" in d["kinds"]})
