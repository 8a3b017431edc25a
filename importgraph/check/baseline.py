"""Baselines: adopt the linter on a code base with existing defects, and fail only on new ones.

A finding is remembered by its fingerprint ``(rule, module, symbol)``: no path and no line, so editing the
file around a known defect (the line moves) keeps it known, while a new defect (a new symbol) is new.
One fingerprint can cover several findings (a name broken in the lazy half and in the TYPE_CHECKING half),
so the baseline stores a count per fingerprint and lets through only findings beyond that count.
The file is sorted JSON without timestamps, so it diffs cleanly in review.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ..model import Finding

BASELINE_VERSION = 1


class BaselineError(Exception):
    """The baseline file is missing or not one of ours."""


Fingerprint = tuple[str, str, str]


def fingerprint(finding: Finding) -> Fingerprint:
    return (finding.rule, finding.module, finding.symbol)


def baseline_text(findings: list[Finding]) -> str:
    counts = Counter(fingerprint(f) for f in findings)
    entries = [{"rule": rule, "module": module, "symbol": symbol, "count": count}
               for (rule, module, symbol), count in sorted(counts.items())]
    data = {"importgraph_baseline": BASELINE_VERSION, "findings": entries}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_baseline(path: Path, findings: list[Finding]) -> None:
    try:
        path.write_text(baseline_text(findings), encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write the baseline: {exc}") from None


def read_baseline(path: Path) -> Counter[Fingerprint]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (create it with --write-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not a baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("importgraph_baseline") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not an importgraph baseline (version {BASELINE_VERSION} expected)")
    counts: Counter[Fingerprint] = Counter()
    for entry in data.get("findings", []):
        try:
            key = (str(entry["rule"]), str(entry["module"]), str(entry["symbol"]))
            counts[key] += int(entry.get("count", 1))
        except (TypeError, KeyError, ValueError):
            raise BaselineError(f"{path}: malformed entry {entry!r}") from None
    return counts


def filter_baseline(findings: list[Finding], known: Counter[Fingerprint]) -> tuple[list[Finding], list[Finding]]:
    """Split sorted findings into (new, known): each fingerprint absorbs at most its recorded count."""
    left = Counter(known)
    new: list[Finding] = []
    matched: list[Finding] = []
    for finding in findings:
        key = fingerprint(finding)
        if left[key] > 0:
            left[key] -= 1
            matched.append(finding)
        else:
            new.append(finding)
    return new, matched
