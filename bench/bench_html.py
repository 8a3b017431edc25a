"""Benchmark of the HTML report on the pinned transformers 5.x wheel (issue 8 targets).

Measures
  * the report file size                                   (target <= 15 MB)
  * report generation time, and its ratio to analyze()     (target: adds <= 1 s)
  * time to interactive in headless Chromium: from navigation start to the graph drawn, and to the first
    click on a finding answered (the redraw showing its node selected; the click is issued as soon as the
    graph is drawn, so Playwright's own round trips are included)   (target <= 3 s)

Usage (needs the cached transformers 5.23 venv that tests/conftest.py builds, and Debian's chromium):

    python bench/bench_html.py [--python /path/to/venv/bin/python] [--runs 3] [--keep report.html]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import importgraph  # noqa: E402
from importgraph.render.html import render_html  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def default_python() -> str:
    from tests.runtime.venvs import TRANSFORMERS_5, ensure_venv

    return str(ensure_venv(*TRANSFORMERS_5))


def time_to_interactive(path: Path, runs: int) -> list[tuple[float, float]]:
    """(drawn, first click answered) in seconds since navigation start, one pair per fresh page."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(path.as_uri())
            page.wait_for_function("window.igReport && window.igReport.ready", timeout=120_000)
            drawn = page.evaluate("igReport.drawnAt") / 1000
            page.click('#ig-findings-table tr[data-finding="0"]')
            page.wait_for_function("igReport.answeredAt")  # the redraw showing the selection has happened
            answered = page.evaluate("igReport.answeredAt") / 1000
            results.append((drawn, answered))
            page.close()
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", help="interpreter of an environment with transformers 5.x installed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="also write the report here")
    args = parser.parse_args()
    python = args.python or default_python()

    started = time.perf_counter()
    report = importgraph.analyze("transformers", python=python)
    analyze_s = time.perf_counter() - started
    generation = []
    for _ in range(args.runs):
        started = time.perf_counter()
        html, view = render_html(report)
        generation.append(time.perf_counter() - started)
    gen_s = statistics.median(generation)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "report.html"
        path.write_text(html, encoding="utf-8")
        size = path.stat().st_size
        interactive = time_to_interactive(path, args.runs) if shutil.which("chromium") else []

    print(f"transformers {report.target.version}: {report.stats.modules} modules, {report.stats.lazy_names} lazy "
          f"names, {report.stats.import_edges} import edges; view {len(view.nodes)} nodes, {len(view.edges)} edges")
    print(f"report size            {size / 1e6:6.2f} MB   (target <= 15 MB)")
    print(f"analyze()              {analyze_s:6.2f} s")
    print(f"report generation      {gen_s:6.2f} s    (median of {args.runs}; {gen_s / analyze_s:.1%} of analyze; "
          "target: adds <= 1 s)")
    if interactive:
        drawn = statistics.median(d for d, _ in interactive)
        answered = statistics.median(a for _, a in interactive)
        print(f"graph drawn            {drawn:6.2f} s    (median, since navigation start)")
        print(f"first click answered   {answered:6.2f} s    (median; target <= 3 s)")
    else:
        print("time to interactive    skipped: no chromium on PATH")


if __name__ == "__main__":
    main()
