#!/usr/bin/env bash
# Regenerates sample_reports/: the HTML report and a PNG screenshot of it for the demo package with defects
# (tests/fixtures/packages/demo_defects) and for the pinned transformers 5.23.0 wheel (the cached test venv,
# built on first use). Needs Debian's chromium on PATH for the screenshots (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=sample_reports
mkdir -p "$out"
# The reports' "generated" stamp: the last commit's time, so that regenerating unchanged code gives the same HTML.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}"

importgraph analyze tests/fixtures/packages/demo_defects/demo_defects -q --html "$out/demo_defects.html" >/dev/null

t5_python=$(python -c 'from tests.runtime.venvs import TRANSFORMERS_5, ensure_venv; print(ensure_venv(*TRANSFORMERS_5))')
importgraph analyze transformers --python "$t5_python" -q --html "$out/transformers-5.23.0.html" >/dev/null

python - "$out/demo_defects.html" "$out/transformers-5.23.0.html" <<'PY'
"""Screenshot each report; a small one after clicking its first finding (selection and details panel)."""
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=args)
    for report in map(Path, sys.argv[1:]):
        page = browser.new_page(viewport={"width": 1500, "height": 950})
        page.goto(report.resolve().as_uri())
        page.wait_for_function("window.igReport && window.igReport.ready", timeout=120_000)
        small = page.evaluate("igReport.data.nodes.length") < 100  # big graphs: show the overview
        if small and page.query_selector('#ig-findings-table tr[data-finding="0"]'):
            page.click('#ig-findings-table tr[data-finding="0"]')
            page.wait_for_timeout(300)
        page.screenshot(path=str(report.with_suffix(".png")))
        print("wrote", report, report.with_suffix(".png"))
        page.close()
    browser.close()
PY
