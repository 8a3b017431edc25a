"""The output formats CI tools read: text, json, github (workflow annotations), sarif (2.1.0), junit.

Every format is deterministic: findings sorted, no timestamps, no absolute paths that are not already in
the analysis. Paths in ``github``/``sarif``/``junit`` output are relative to the current directory when the
file is under it (GitHub resolves annotation and SARIF paths against the repository root, where CI runs),
else as the JSON report gives them (relative to the ``sys.path`` entry holding the package).
"""

from __future__ import annotations

import hashlib
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.console import Console

from .. import __version__
from ..model import Severity
from ..render.json_report import finding_dict, relative
from ..render.text import print_findings, unread_requirements_note
from ..rules import all_rules
from .baseline import fingerprint
from .run import CheckResult

FORMATS = ("text", "json", "github", "sarif", "junit")
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def display_path(result: CheckResult, path: str, cwd: Path | None = None) -> str:
    """Relative to ``cwd`` when under it, else as the JSON report gives it."""
    cwd = cwd or Path.cwd()
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        rel = ".."
    if not rel.startswith(".."):
        return Path(rel).as_posix()
    return relative(result.report, path)


# --------------------------------------------------------------------------- text


def render_text(result: CheckResult, console: Console) -> None:
    """Findings grouped by file (render/text.py), then the one-line summary."""
    print_findings(result.report, result.findings, console)


def filtered_note(result: CheckResult) -> str | None:
    """What the filters took away, for stderr (so stdout still ends with the summary line)."""
    parts = []
    if result.suppressed:
        parts.append(f"{len(result.suppressed)} suppressed inline")
    if result.baselined:
        parts.append(f"{len(result.baselined)} in the baseline")
    if result.excluded:
        parts.append(f"{result.excluded} in excluded files")
    return "Not shown: " + ", ".join(parts) + "." if parts else None


def unread_note(result: CheckResult) -> str | None:
    """Hard requirements whose own requirements could not be read, for stderr (IG007 may count what they bring
    in as optional)."""
    target = result.report.target
    return f"Note: {unread_requirements_note(target)}." if target.requirements_unread else None


# --------------------------------------------------------------------------- json


def render_json(result: CheckResult) -> str:
    report = result.report
    data: dict[str, Any] = {
        "schema_version": 1,
        "tool": {"name": "importgraph", "version": report.tool_version},
        "package": report.target.name,
        "version": report.target.version,
        "base": report.target.sys_path_entry,
        "rules": sorted(result.selected),
        "fail_on": result.fail_on.value,
        "summary": {
            "findings": len(result.findings),
            "failing": len(result.failing),
            "by_severity": {s.value: sum(1 for f in result.findings if f.severity is s) for s in reversed(Severity)},
            "suppressed": len(result.suppressed),
            "baselined": len(result.baselined),
            "excluded": result.excluded,
        },
        "findings": [finding_dict(report, f) for f in result.findings],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- github


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: CheckResult) -> str:
    """One workflow command per finding: ``::error file=F,line=N,title=IG002::message``."""
    lines = []
    for f in result.findings:
        props = f"file={_escape_property(display_path(result, f.path))},line={f.line},title={_escape_property(f.rule)}"
        lines.append(f"::{_GITHUB_COMMAND[f.severity]} {props}::{_escape_data(f'{f.name}: {f.message}')}")
    return "".join(line + "\n" for line in lines)


# --------------------------------------------------------------------------- sarif


def _uri(result: CheckResult, path: str) -> str:
    shown = display_path(result, path)
    if os.path.isabs(shown):
        return Path(shown).as_uri()
    return quote(shown)


def render_sarif(result: CheckResult) -> str:
    """A SARIF 2.1.0 log: one run, every rule with its metadata and help, one result per finding."""
    rules = all_rules()
    index = {rule.code: i for i, rule in enumerate(rules)}
    descriptors = []
    for rule in rules:
        doc = rule.doc()
        descriptors.append({
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary()},
            "fullDescription": {"text": doc},
            "help": {"text": doc, "markdown": doc},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity], "enabled": rule.enabled_by_default},
            "properties": {"tags": ["lazy-imports"]},
        })
    results = []
    for f in result.findings:
        key = "\x1f".join(fingerprint(f))
        results.append({
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(result, f.path)},
                    "region": {"startLine": max(f.line, 1)},
                },
                "logicalLocations": [{"fullyQualifiedName": f"{f.module}.{f.symbol}", "kind": "member"}],
            }],
            "relatedLocations": [
                {"id": i, "physicalLocation": {"artifactLocation": {"uri": _uri(result, hop.path)},
                                               "region": {"startLine": max(hop.line, 1)}}}
                for i, hop in enumerate(f.chain, start=1)
            ],
            "partialFingerprints": {"importgraph/v1": hashlib.sha256(key.encode()).hexdigest()},
            "properties": {"module": f.module, "symbol": f.symbol, "name": f.name},
        })
        if not f.chain:
            del results[-1]["relatedLocations"]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "importgraph", "version": __version__, "semanticVersion": __version__,
                                "rules": descriptors}},
            "invocations": [{"executionSuccessful": True}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- junit


def render_junit(result: CheckResult) -> str:
    """One test case per finding, failed when it is at or above ``--fail-on``; a passing case when none."""
    failing = set(map(id, result.failing))
    suite = ET.Element("testsuite", {
        "name": f"importgraph {result.report.target.name}",
        "tests": str(max(len(result.findings), 1)),
        "failures": str(len(result.failing)),
        "errors": "0",
        "skipped": "0",
    })
    for f in result.findings:
        path = display_path(result, f.path)
        case = ET.SubElement(suite, "testcase", {
            "classname": f.module, "name": f"{f.rule} {f.name}: {f.symbol}", "file": path, "line": str(f.line)})
        text = f"{path}:{f.line}: {f.rule} [{f.severity.value}] {f.message}"
        if id(f) in failing:
            failure = ET.SubElement(case, "failure", {"type": f.rule, "message": f.message})
            failure.text = text
        else:
            ET.SubElement(case, "system-out").text = text
    if not result.findings:
        ET.SubElement(suite, "testcase", {"classname": result.report.target.name, "name": "importgraph check"})
    root = ET.Element("testsuites", {"name": "importgraph", "tests": suite.get("tests"),
                                     "failures": suite.get("failures"), "errors": "0"})
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render(fmt: str, result: CheckResult) -> str:
    """Every machine format as text (``text`` is printed through rich, see :func:`render_text`)."""
    return {"json": render_json, "github": render_github, "sarif": render_sarif, "junit": render_junit}[fmt](result)
