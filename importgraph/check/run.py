"""The ``check`` pipeline, without the command line: analyse, then filter the findings the way the
configuration, the inline suppressions and the baseline say, in that order:

1. rules: ``select`` (or the defaults) + ``extend-select`` - ``ignore`` run;
2. ``exclude`` globs drop every finding in matching files (and their suppression comments are not judged);
3. inline ``# importgraph: ignore[...]`` comments silence findings on their line (unused ones -> IG100);
4. ``per-path-ignores`` drop codes per glob; ``severity`` overrides re-grade what is left;
5. the baseline absorbs known fingerprints;
6. what remains at or above ``fail_on`` decides the exit code.
"""

from __future__ import annotations

import fnmatch
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..analysis import Report, analyze
from ..model import Finding, Severity
from ..rules import all_rules
from .baseline import Fingerprint, filter_baseline
from .config import Config
from .suppress import UnusedSuppression, apply_suppressions, unused_findings


def known_codes() -> dict[str, str]:
    """Every spelling a user may give for a rule (code or name) -> its code."""
    out: dict[str, str] = {}
    for rule in all_rules():
        out[rule.code] = rule.code
        out[rule.name] = rule.code
    return out


def selected_rules(config: Config, select: set[str] | None = None, extend_select: set[str] | None = None,
                   ignore: set[str] | None = None) -> set[str]:
    """Command-line lists replace (``select``) or add to (``extend``, ``ignore``) the configured ones."""
    base = select if select is not None else config.select
    if base is None:
        base = {rule.code for rule in all_rules() if rule.enabled_by_default}
    return (set(base) | config.extend_select | set(extend_select or ())) - config.ignore - set(ignore or ())


@dataclass
class CheckResult:
    report: Report
    findings: list[Finding]
    """What remains after every filter, sorted."""
    fail_on: Severity
    suppressed: list[Finding] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)
    excluded: int = 0
    selected: set[str] = field(default_factory=set)

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.severity.rank >= self.fail_on.rank]


def run_check(target: str, config: Config, *, selected: set[str], fail_on: Severity = Severity.ERROR,
              report_unused_ignores: bool = False, baseline: Counter[Fingerprint] | None = None,
              python: str | None = None, backends: list[str] | None = None,
              without: list[str] | None = None, cache_dir: str | None = None) -> CheckResult:
    """Run the rules on ``target`` and filter the findings (raises ``TargetNotFound`` as ``analyze`` does)."""
    report = analyze(target, python=python, backends=backends, without=without, select=selected,
                     usage=config.usage, cache_dir=cache_dir)
    root = config.root
    findings = [f for f in report.findings if not _matches(f.path, config.exclude, root)]
    excluded = len(report.findings) - len(findings)

    # Every file is read for unused ignores only; otherwise just the files with findings (a reused result's
    # facts stay undecoded: 0.4 s on transformers).
    files = [m.path for m in report.modules.values()
             if m.path.endswith(".py") and not _matches(m.path, config.exclude, root)] if report_unused_ignores else ()
    findings, suppressed, comments = apply_suppressions(findings, files)
    if report_unused_ignores or UnusedSuppression.code in selected:
        module_of = {m.path: m.name for m in report.modules.values()}
        known = {rule.code for rule in all_rules()}
        findings += unused_findings(comments, selected - {UnusedSuppression.code}, known, module_of)

    findings = [f for f in findings if not _ignored_for_path(f, config.per_path_ignores, root)]
    findings = [replace(f, severity=config.severity[f.rule]) if f.rule in config.severity else f for f in findings]
    findings = sorted(set(findings), key=Finding.sort_key)

    baselined: list[Finding] = []
    if baseline is not None:
        findings, baselined = filter_baseline(findings, baseline)
    return CheckResult(report, findings, fail_on, suppressed, baselined, excluded, selected)


def _relative_posix(path: str, root: Path) -> str:
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive (Windows)
        return Path(path).as_posix()


def _matches(path: str, globs: tuple[str, ...] | list[str], root: Path) -> bool:
    """``fnmatch`` on the path relative to the configuration's directory (``*`` also crosses ``/``)."""
    if not globs:
        return False
    rel = _relative_posix(path, root)
    return any(fnmatch.fnmatchcase(rel, glob) or fnmatch.fnmatchcase(rel, glob.rstrip("/") + "/*")
               for glob in globs)


def _ignored_for_path(finding: Finding, per_path: dict[str, set[str]], root: Path) -> bool:
    return any(finding.rule in codes and _matches(finding.path, (glob,), root) for glob, codes in per_path.items())
