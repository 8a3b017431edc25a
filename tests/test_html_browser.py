"""The HTML report in a real browser (Debian's chromium driven by Playwright; no browser download).

Opens the report of the demo fixture, of the hostile-strings fixture and of the pinned transformers 5.23
wheel: no console errors, no network request, the findings table equals the JSON report's findings,
clicking a finding selects its node, search finds a lazy name, and a screenshot is saved.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import importgraph
from importgraph.render.html import write_html
from importgraph.render.json_report import to_json
from tests.conftest import fixture_package

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no `chromium` binary on PATH (scripts/install-test-deps.sh "
                                                "installs Debian's); Playwright must not download one"),
]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Opened:
    """A report open in a page, with everything the page logged or requested."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1500, "height": 1000})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.igReport && window.igReport.ready", timeout=60_000)

    def selected(self) -> list[str]:
        return self.page.evaluate("igReport.selectedNodeKeys()")

    def table(self) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            "#ig-findings-table tbody tr",
            "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))")

    def search(self, query: str) -> list[str]:
        self.page.fill("#ig-search", query)
        self.page.press("#ig-search", "Enter")
        return self.page.eval_on_selector_all("#ig-results li", "items => items.map(i => i.textContent)")

    def close(self) -> None:
        self.page.close()


def write_reports(report, directory: Path) -> tuple[Path, list[dict]]:
    """The HTML report, and the findings of the JSON report of the same analysis."""
    html = directory / "report.html"
    write_html(report, html)
    return html, json.loads(to_json(report))["findings"]


def expected_rows(findings: list[dict]) -> list[list[str]]:
    return [[f["severity"], f"{f['rule']} {f['name']}", f"{f['module']} : {f['symbol']}", f["message"],
             f"{f['path']}:{f['line']}"] for f in findings]


def assert_clean(opened: Opened) -> None:
    assert opened.errors == []
    assert opened.requests and all(url.startswith(("file://", "data:")) for url in opened.requests), \
        opened.requests


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    report = importgraph.analyze(str(fixture_package("demo_defects")))
    return write_reports(report, tmp_path_factory.mktemp("demo"))


def test_demo_report(browser, demo, tmp_path):
    path, findings = demo
    opened = Opened(browser, path)
    assert_clean(opened)
    assert opened.table() == expected_rows(findings)
    for index, finding in enumerate(findings):  # every finding of the demo is about a lazy module
        opened.page.click(f'#ig-findings-table tr[data-finding="{index}"]')
        assert opened.selected() == [finding["module"]]
    results = opened.search("TinyPreTrainedModel")
    assert results and results[0].startswith("TinyPreTrainedModel")
    assert "demo_defects.models.tiny.modeling_tiny" in results[0]
    assert opened.selected() == ["demo_defects.models.tiny"]
    assert "TinyPreTrainedModel" in opened.page.text_content("#ig-details")
    opened.page.screenshot(path=str(tmp_path / "demo.png"))
    assert (tmp_path / "demo.png").stat().st_size > 10_000
    assert_clean(opened)
    opened.close()


def test_filters(browser, demo):
    path, _ = demo
    opened = Opened(browser, path)
    hidden = ("cat => igReport.edges.get({filter: e => e.cat === cat && [e.from, e.to].every("
              "n => igReport.data.nodes[n].kind !== 'external')}).map(e => !!e.hidden)")
    assert opened.page.evaluate(hidden, "lazy") and not any(opened.page.evaluate(hidden, "lazy"))
    opened.page.uncheck('#ig-edge-filter input[data-category="lazy"]')
    assert all(opened.page.evaluate(hidden, "lazy")) and not any(opened.page.evaluate(hidden, "import"))
    externals = "igReport.nodes.get({filter: n => igReport.data.nodes[n.id].kind === 'external'}).map(n => !!n.hidden)"
    assert all(opened.page.evaluate(externals))  # third-party packages are off by default in the grouped view
    opened.page.check("#ig-externals")
    assert not any(opened.page.evaluate(externals))
    opened.page.uncheck('#ig-rule-filter input[data-rule="IG004"]')
    rules = opened.page.eval_on_selector_all("#ig-findings-table tbody tr:not([hidden]) td:nth-child(2)",
                                             "cells => cells.map(c => c.textContent)")
    assert rules and not any(r.startswith("IG004") for r in rules)
    opened.page.select_option("#ig-backend", "torch")
    assert_clean(opened)
    opened.close()


def test_hostile_strings_are_shown_as_text(browser, tmp_path):
    report = importgraph.analyze(str(fixture_package("hostile_strings")))
    path, findings = write_reports(report, tmp_path)
    opened = Opened(browser, path)
    assert_clean(opened)
    assert opened.page.evaluate("window.__pwned") is None
    assert opened.table() == expected_rows(findings)
    assert "</script><script>window.__pwned = 1</script>" in opened.page.text_content("#ig-findings-table")
    results = opened.search("日本語")
    assert results and results[0].startswith("日本語の名前")
    assert opened.page.evaluate("window.__pwned") is None
    opened.close()


@pytest.fixture(scope="module")
def transformers_report(transformers5, tmp_path_factory):
    python, _ = transformers5
    report = importgraph.analyze("transformers", python=str(python))
    return write_reports(report, tmp_path_factory.mktemp("transformers"))


@pytest.mark.runtime
def test_transformers_report(browser, transformers_report, tmp_path):
    path, findings = transformers_report
    opened = Opened(browser, path)
    assert_clean(opened)
    assert opened.table() == expected_rows(findings)
    assert findings
    step = max(1, len(findings) // 40)  # click up to ~40 rows spread over the table
    for index in range(0, len(findings), step):
        module = findings[index]["module"]
        opened.page.click(f'#ig-findings-table tr[data-finding="{index}"]')
        [selected] = opened.selected()  # the module's node, or the group (lazy module, subpackage) holding it
        assert module == selected or module.startswith(selected + "."), (module, selected)
    integrations = next(i for i, f in enumerate(findings) if f["module"] == "transformers.integrations")
    opened.page.click(f'#ig-findings-table tr[data-finding="{integrations}"]')
    assert opened.selected() == ["transformers.integrations"]
    results = opened.search("BertModel")
    assert results[0].startswith("BertModel")
    bert = next(i for i, r in enumerate(results) if "lazy name of transformers.models.bert →" in r)
    opened.page.click(f'#ig-results li[data-result="{bert}"]')
    assert opened.selected() == ["transformers.models.bert"]
    assert "transformers.models.bert.modeling_bert" in opened.page.text_content("#ig-details")
    opened.page.screenshot(path=str(tmp_path / "transformers.png"))
    assert (tmp_path / "transformers.png").stat().st_size > 10_000
    assert_clean(opened)
    opened.close()
