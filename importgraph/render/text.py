"""Human-readable output: a summary, then findings grouped by file, then a one-line total."""

from __future__ import annotations

import platform
from collections import defaultdict
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from ..analysis import Report
from ..distribution import runs_here
from ..model import Finding, Severity, Target
from .json_report import relative

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def text_console(file: TextIO, *, plain: bool = False) -> Console:
    """The console a report is printed on. ``soft_wrap``: no line is broken at the console width (80 columns
    in a pipe or a CI log), so each finding keeps its header and its message on one line each; no highlighting
    of numbers and paths (60 % of the time of printing 261 findings); ``plain``: no colour (files)."""
    return Console(file=file, no_color=plain, soft_wrap=True, highlight=False)


def unread_requirements_note(target: Target, shown: int = 6) -> str:
    """Which hard requirements are not installed where we looked, so that what they bring in counts as optional."""
    names = target.requirements_unread
    listed = ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
    subject, pronoun = ("it requires", "it") if len(names) == 1 else ("they require", "them")
    return (f"not installed on the analysed sys.path: {listed}; what {subject} in turn is unknown and counts "
            f"as an optional backend (pass --python with an environment that has {pronoun})")


def print_summary(report: Report, console: Console) -> None:
    target, stats = report.target, report.stats
    version = f" {target.version}" if target.version else ""
    console.print(f"[bold]{escape(target.name)}{escape(version)}[/bold]  {escape(', '.join(target.roots))}")
    if target.python:
        console.print(f"  interpreter: {escape(target.python)}")
    env = report.environment.describe()
    available = env["available"] if env["available"] == "all" else ", ".join(env["available"]) or "none"
    line = f"  environment: backends {available}"
    if env["unavailable"]:
        line += f"; without {', '.join(env['unavailable'])}"
    console.print(escape(line))
    if target.requirements_from is not None:
        source = (f"the {len(target.shared_by)} distributions that install parts of this namespace package: "
                  f"{', '.join(target.shared_by)}" if target.shared_by else relative(report, target.requirements_from))
        console.print(escape(f"  hard requirements (always installed): {len(target.requires)}, from {source}"))
        if target.requirements_unread:
            console.print(escape(f"  {unread_requirements_note(target)}"))
    else:
        console.print("  hard requirements: none found (no installed metadata beside the package, no project "
                      "file that declares them): every third-party import counts as an optional backend")
    if not runs_here(target.requires_python):
        console.print(escape(f"  {target.distribution or target.name} requires Python {target.requires_python}; "
                             f"importgraph runs on {platform.python_version()}: files with newer syntax are left "
                             "out (IG009 warnings). Run it on a Python the package supports."))
    console.print(
        f"  {stats.files} files, {stats.modules} modules, {stats.lazy_modules} lazy modules, "
        f"{stats.lazy_names} lazy names, {stats.import_edges} import edges, {stats.lazy_edges} lazy edges, "
        f"{stats.unparsable} unparsable, {stats.undecided} undecided, {stats.seconds:.2f} s"
        + (f" (result reused from the cache: {report.reuse})" if report.from_cache else ""))


def print_findings(report: Report, findings: list[Finding], console: Console) -> None:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_file[relative(report, finding.path)].append(finding)
    for path in sorted(by_file):
        console.print(f"\n[bold underline]{escape(path)}[/bold underline]")
        for f in sorted(by_file[path], key=lambda f: (f.line, f.rule)):
            style = _STYLE[f.severity]
            console.print(f"  {f.line:>5}  [{style}]{f.rule}[/{style}] {escape(f.name)}  "
                          f"[dim]{escape(f.module)}:{escape(f.symbol)}[/dim]")
            console.print(f"         {escape(f.message)}")
            for hop in f.chain:
                console.print(f"           -> {escape(relative(report, hop.path))}:{hop.line}")
    console.print()
    console.print(total_line(findings))


def total_line(findings: list[Finding]) -> str:
    if not findings:
        return "No findings."
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in reversed(Severity) if counts[s]]
    return f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''}: " + ", ".join(parts) + "."
