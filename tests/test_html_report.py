"""The HTML report, read as a file: what it draws, what it embeds, that it is offline and escaped.

The browser side (console errors, network, clicks, search) is in test_html_browser.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

import importgraph
from importgraph.render.html import FocusNotFound, render_html
from importgraph.render.json_report import finding_dict
from tests.conftest import fixture_package

DEMO = fixture_package("demo_defects")
HOSTILE = fixture_package("hostile_strings")
HOSTILE_STRINGS = [
    "</script><script>window.__pwned = 1</script>",
    "<!--<img src=x onerror=window.__pwned=2>",
    "Quote'Double\"Amp&amp;Lt&lt;",
    "日本語の名前",
    "hostile_strings.gh<script>window.__pwned=3</script>ost",
]
NON_RESOURCE_URLS = {
    "http://almende.com", "http://opensource.org/licenses/MIT", "http://www.apache.org/licenses/LICENSE-2.0",
    "http://www.w3.org/2000/svg", "https://github.com/uuidjs/uuid#getrandomvalues-not-supported",
    "https://github.com/visjs", "https://github.com/zloirock/core-js",
    "https://github.com/zloirock/core-js/blob/v3.21.1/LICENSE", "https://visjs.github.io/vis-network/",
}


class _Page(HTMLParser):
    """Collects the elements the browser would create, and the text of the JSON data blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.json: dict[str, str] = {}
        self._json_id: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "script" and attrs.get("type") == "application/json":
            self._json_id = attrs["id"]

    def handle_endtag(self, tag):
        self._json_id = None

    def handle_data(self, data):
        if self._json_id:
            self.json[self._json_id] = self.json.get(self._json_id, "") + data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(scope="module")
def demo_report():
    return importgraph.analyze(str(DEMO))


@pytest.fixture(scope="module")
def demo_html(demo_report):
    return render_html(demo_report)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "importgraph", "analyze", *args, "-q"], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_analyze_writes_only_the_report_and_prints_its_path(tmp_path):
    proc = run_cli(str(DEMO), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["importgraph-demo_defects.html"]
    assert f"HTML report: {tmp_path / 'importgraph-demo_defects.html'}" in proc.stderr
    assert "Found 10 findings" in proc.stdout


def test_html_option_chooses_the_path_and_no_html_skips_it(tmp_path):
    target = tmp_path / "out" / "r.html"
    target.parent.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    assert run_cli(str(DEMO), "--html", str(target), cwd=work).returncode == 0
    assert target.is_file() and not list(work.iterdir())
    proc = run_cli(str(DEMO), "--no-html", cwd=work)
    assert proc.returncode == 0 and not list(work.iterdir()) and "HTML report" not in proc.stderr


def test_the_header_says_where_hard_requirements_came_from(demo_html, tmp_path):
    assert "hard requirements: none found" in demo_html[0]  # a fixture package: no metadata, no project file
    info = tmp_path / "site" / "demo-1.0.dist-info"
    shutil.copytree(DEMO, tmp_path / "site" / DEMO.name)
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: numpy\n")
    (info / "top_level.txt").write_text(f"{DEMO.name}\n")
    html, _ = render_html(importgraph.analyze(str(tmp_path / "site" / DEMO.name)))
    assert 'title="numpy">hard requirements: 1 (from <code>demo-1.0.dist-info</code>)' in html


def test_no_external_resource_is_referenced(demo_html):
    html, _ = demo_html
    page = parse(html)
    for tag, attrs in page.tags:
        for name in ("src", "href", "data", "srcset", "poster"):
            assert name not in attrs, (tag, attrs)
        assert tag not in ("link", "iframe", "img", "object", "embed", "base"), (tag, attrs)
    assert not re.search(r"url\(\s*(?!['\"]?data:)", html), "a CSS url() that is not a data: URI"
    assert "@import" not in html
    # the only absolute URLs are in vis-network's licence comments and the SVG namespace, never fetched
    urls = set(re.findall(r"https?://[^\s\"'()<>]*", html))
    assert urls <= NON_RESOURCE_URLS, urls - NON_RESOURCE_URLS
    # what vis-network itself needs (its CSS and JS) is inline
    assert "vis-network" in html and page.tags.count(("script", {})) == 2


def test_findings_embedded_are_the_json_findings(demo_report, demo_html):
    html, _ = demo_html
    data = json.loads(parse(html).json["ig-data"])
    embedded = [{k: v for k, v in f.items() if k != "node"} for f in data["findings"]]
    assert embedded == [finding_dict(demo_report, f) for f in demo_report.findings]
    assert len(embedded) == 10


def test_grouped_view_collapses_submodules_into_their_lazy_module(demo_html):
    _, view = demo_html
    tiny = view.nodes["demo_defects.models.tiny"]
    assert tiny.kind == "lazy"
    assert set(tiny.members) == {"demo_defects.models.tiny", "demo_defects.models.tiny.configuration_tiny",
                                 "demo_defects.models.tiny.modeling_tiny"}
    # top-level modules stay visible on their own; the missing key is its own node
    for module in ("demo_defects", "demo_defects.modeling_demo", "demo_defects.configuration_demo",
                   "demo_defects.tokenization_demo", "demo_defects.utils"):
        assert view.nodes[module].members == [module]
    assert view.nodes["demo_defects.processing_demo"].kind == "missing"


def test_edge_kinds_are_told_apart(demo_html):
    _, view = demo_html
    edges = set(view.edges)
    assert ("demo_defects.modeling_demo", "demo_defects.configuration_demo", "import") in edges
    assert ("demo_defects.modeling_demo", "demo_defects.tokenization_demo", "function") in edges
    assert ("demo_defects.tokenization_demo", "demo_defects.configuration_demo", "type_checking") in edges
    assert ("demo_defects.tokenization_demo", "demo_defects.configuration_demo", "import") not in edges
    assert ("demo_defects", "demo_defects.processing_demo", "lazy") in edges
    assert ("demo_defects.models.tiny", "demo_defects.modeling_demo", "import") in edges


def test_nodes_with_findings_are_coloured_by_severity(demo_html):
    html, view = demo_html
    vis_nodes = json.loads(parse(html).json["ig-nodes"])
    keys = list(view.nodes)
    colour = {keys[n["id"]]: n["color"]["background"] for n in vis_nodes}
    assert colour["demo_defects"] == "#e63946"  # IG002 errors
    assert colour["demo_defects.models.tiny"] == "#e63946"
    assert colour["demo_defects.configuration_demo"] == "#e4e9ef"  # no finding: the module colour


def test_positions_are_precomputed_and_physics_is_off(demo_html):
    html, view = demo_html
    page = parse(html)
    options = json.loads(page.json["ig-options"])
    assert options["physics"] == {"enabled": False}
    positions = [(n["x"], n["y"]) for n in json.loads(page.json["ig-nodes"])]
    assert len(positions) == len(view.nodes) and len(set(positions)) == len(positions)


def test_hostile_strings_stay_text(tmp_path):
    report = importgraph.analyze(str(HOSTILE))
    html, view = render_html(report)
    page = parse(html)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert len(scripts) == 6  # 4 JSON blocks, vis-network, the page script: nothing injected
    assert not any(tag == "img" for tag, _ in page.tags)
    for text in HOSTILE_STRINGS:
        if "<" in text or "&" in text:
            assert text not in html
    assert "日本語の名前" in html  # non-ASCII is kept as it is (the page is UTF-8)
    data = json.loads(page.json["ig-data"])  # ... and the data round-trips exactly
    symbols = {f["symbol"] for f in data["findings"]}
    for text in HOSTILE_STRINGS[:4]:
        assert text in symbols
    assert "hostile_strings.gh<script>window.__pwned=3</script>ost" in view.nodes
    assert any(m[0] == "hostile_strings.données" for m in data["modules"])


def test_focus_on_a_lazy_name_draws_its_resolution_chain(demo_report):
    _, view = render_html(demo_report, focus="DemoTokenizer", depth=1)
    assert view.mode == "focus"
    assert {"demo_defects:DemoTokenizer", "demo_defects", "demo_defects.modeling_demo"} <= set(view.nodes)
    assert ("demo_defects", "demo_defects:DemoTokenizer", "lazy") in view.edges
    assert ("demo_defects:DemoTokenizer", "demo_defects.modeling_demo", "lazy") in view.edges
    # import neighbours of the serving module, one node per module
    assert "demo_defects.configuration_demo" in view.nodes
    assert "demo_defects.models.tiny.modeling_tiny" in view.nodes


def test_focus_on_a_module_and_an_unknown_name(demo_report):
    _, view = render_html(demo_report, focus="demo_defects.models.tiny", depth=1)
    assert {"demo_defects.models.tiny", "demo_defects.models.tiny.modeling_tiny"} <= set(view.nodes)
    with pytest.raises(FocusNotFound) as info:
        render_html(demo_report, focus="DemoTokenizr")
    assert "DemoTokenizer" in info.value.suggestions


def test_focus_unknown_name_exits_2(tmp_path):
    proc = run_cli(str(DEMO), "--focus", "DemoTokenizr", cwd=tmp_path)
    assert proc.returncode == 2 and "DemoTokenizer" in proc.stderr
    assert not list(tmp_path.iterdir())


def test_max_nodes_bounds_the_drawing_and_says_what_was_left_out(demo_report):
    html, view = render_html(demo_report, max_nodes=4)
    assert len(view.nodes) == 4
    assert "demo_defects" in view.nodes  # the top level is always kept, then nodes with findings
    assert "demo_defects.models.tiny" in view.nodes
    assert len(view.left_out) == 14 - 4
    assert all(a in view.nodes and b in view.nodes for a, b, _ in view.edges)
    assert "Left out by" in html and "--max-nodes 4" in html
    for key in view.left_out:
        assert f"<code>{key}</code>" in html


def test_source_date_epoch_makes_the_report_reproducible(demo_report, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    (first, _), (second, _) = render_html(demo_report), render_html(demo_report)
    assert first == second
    assert "2023-11-14 22:13 UTC" in first


def test_reproducible_report_is_the_same_bytes_in_every_process(tmp_path):
    """Two processes (other hash seeds: define_import_structure builds its maps from sets) write the same
    bytes under ``SOURCE_DATE_EPOCH``, which also leaves the run time out."""
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"report-{seed}.html"
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1700000000"}
        done = subprocess.run([sys.executable, "-m", "importgraph", "analyze", str(fixture_package("hf5_structure")),
                               "--no-cache", "-q", "--html", str(out)], env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b"analysed in" not in outputs[0]


def test_pyvis_is_imported_without_loading_ipython():
    """pyvis imports IPython for notebook display (~0.45 s); the report never needs it, and a later real
    ``import IPython`` must still get the real package."""
    code = ("import sys, importgraph.render.html as html\n"
            "assert 'IPython' not in sys.modules and 'IPython.display' not in sys.modules\n"
            "assert html.Network.__module__ == 'pyvis.network'\n"
            "try:\n    import IPython.display\nexcept ImportError:\n    print('no IPython installed')\n"
            "else:\n    assert IPython.display.IFrame.__module__.startswith('IPython.')\n    print('real IPython')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
