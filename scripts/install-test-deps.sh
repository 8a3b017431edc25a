#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine: importgraph with its test extra and,
# for the browser tests, Debian's Chromium (no browser download: Playwright drives /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e '.[test]'
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium not found and cannot apt-get it here; browser tests will be skipped" >&2
  fi
fi
