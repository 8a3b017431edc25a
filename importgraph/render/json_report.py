"""The JSON report: stable keys, sorted entries, no timestamps (byte-identical for the same input).

Paths are relative to ``base`` (the ``sys.path`` entry holding the package), so reports of the same
wheel installed in two places are identical.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..analysis import Report
from ..model import Finding

SCHEMA_VERSION = 1


def relative(report: Report, path: str) -> str:
    base = report.target.sys_path_entry
    try:
        rel = os.path.relpath(path, base)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def finding_dict(report: Report, finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.value,
        "module": finding.module,
        "symbol": finding.symbol,
        "path": relative(report, finding.path),
        "line": finding.line,
        "message": finding.message,
    }
    if finding.chain:
        out["chain"] = [{"path": relative(report, r.path), "line": r.line} for r in finding.chain]
    return out


def report_dict(report: Report, timings: bool = False) -> dict[str, Any]:
    target = report.target
    stats = report.stats
    lazy_modules: dict[str, Any] = {}
    for name in sorted(report.lazy_modules):
        lazy = report.lazy_modules[name]
        names = {}
        for entry_name in sorted(lazy.names):
            entry = lazy.names[entry_name]
            item: dict[str, Any] = {
                "module": entry.module,
                "backends": sorted(entry.backends),
                "path": relative(report, entry.path),
                "line": entry.line,
            }
            if entry.missing_backends:
                item["missing_backends"] = sorted(entry.missing_backends)
            if entry.origin != "structure":
                item["origin"] = entry.origin
            if entry.attribute:
                item["attribute"] = entry.attribute
            names[entry_name] = item
        lazy_modules[name] = {
            "path": relative(report, lazy.path),
            "line": lazy.line,
            "style": lazy.style,
            "names": names,
            "submodules": sorted(lazy.submodules),
            "extra_objects": sorted(lazy.extra_objects),
            "aliases": dict(sorted(lazy.aliases.items())),
            "module_keys": dict(sorted(lazy.module_keys.items())),
            "proxies": dict(sorted(lazy.proxies.items())),
            "undecided": [{"path": relative(report, u.path), "line": u.line, "reason": u.reason}
                          for u in sorted(lazy.undecided, key=lambda u: (u.path, u.line, u.reason))],
        }
    stats_out: dict[str, Any] = {
        "files": stats.files,
        "modules": stats.modules,
        "lazy_modules": stats.lazy_modules,
        "lazy_names": stats.lazy_names,
        "import_edges": stats.import_edges,
        "lazy_edges": stats.lazy_edges,
        "unparsable": stats.unparsable,
        "undecided": stats.undecided,
        "findings_by_rule": dict(sorted(stats.findings_by_rule.items())),
        "undecided_by_rule": dict(sorted(stats.undecided_by_rule.items())),
    }
    if timings:
        stats_out["seconds"] = stats.seconds
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "importgraph", "version": report.tool_version},
        "package": target.name,
        "version": target.version,
        "distribution": target.distribution,
        "shared_by": list(target.shared_by),
        "requirements_from": relative(report, target.requirements_from) if target.requirements_from else None,
        "requirements_unread": list(target.requirements_unread),
        "base": target.sys_path_entry,
        "roots": [relative(report, r) for r in target.roots],
        "python": target.python,
        "environment": report.environment.describe(),
        "structure_rules": relative(report, report.structure_rules.rsplit(":", 1)[0]) + ":"
        + report.structure_rules.rsplit(":", 1)[1] if report.structure_rules and ":" in report.structure_rules
        else report.structure_rules,
        "stats": stats_out,
        "lazy_modules": lazy_modules,
        "problems": [{"path": relative(report, p.path), "line": p.line, "reason": p.reason}
                     for p in sorted(report.problems, key=lambda p: (p.path, p.line or 0))],
        "findings": [finding_dict(report, f) for f in report.findings],
    }


def to_json(report: Report, timings: bool = False) -> str:
    return json.dumps(report_dict(report, timings), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
