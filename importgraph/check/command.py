"""``importgraph check``: the CI gate (registered on the app in ``importgraph/cli.py``).

Exit codes: 0 nothing at or above --fail-on remains; 1 findings at or above --fail-on remain;
2 usage or environment error (package not found, bad configuration, bad option, unreadable baseline).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape
from rich.console import Console

from ..discover import TargetNotFound
from ..model import Severity
from ..scan.cache import CACHE_DIR_HELP, NO_CACHE_HELP

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    junit = "junit"


class FailOn(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"


def _codes(option: str, values: Optional[list[str]], known: dict[str, str]) -> Optional[set[str]]:
    """Comma-separated codes or rule names from the command line -> codes; unknown ones exit 2."""
    if values is None:
        return None
    out = set()
    for value in values:
        for item in (v.strip() for v in value.split(",")):
            if not item:
                continue
            code = known.get(item) or known.get(item.upper())
            if code is None:
                raise _usage_error(f"{option}: unknown rule {item!r} (`importgraph rules` lists them)")
            out.add(code)
    return out


def _usage_error(message: str) -> typer.Exit:
    # Escaped: messages name ``[tool.importgraph]``, which rich would take for a markup tag and drop.
    Console(stderr=True, highlight=False).print(f"[red]error:[/red] {escape(message)}", markup=True, soft_wrap=True)
    return typer.Exit(EXIT_USAGE)


def _split(values: Optional[list[str]]) -> Optional[list[str]]:
    if values is None:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def check_command(
    target: Optional[str] = typer.Argument(
        None, metavar="TARGET", help="Package name or path; default: `target` from [tool.importgraph], else the "
                                    "project folder (the configuration's, or the current one) as a checkout."),
    config_file: Optional[Path] = typer.Option(
        None, "--config", help="Read [tool.importgraph] from this file instead of the nearest pyproject.toml "
        "(searched from the current directory upwards)."),
    output_format: OutputFormat = typer.Option(OutputFormat.text, "--output-format", "-f",
                                               help="text, json, github (workflow annotations), sarif, junit."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    fail_on: FailOn = typer.Option(FailOn.error, "--fail-on",
                                   help="Lowest severity that makes the command exit 1."),
    select: Optional[list[str]] = typer.Option(None, "--select", help="Run only these rules (replaces `select`)."),
    extend_select: Optional[list[str]] = typer.Option(None, "--extend-select", help="Run these rules too."),
    ignore: Optional[list[str]] = typer.Option(None, "--ignore", help="Do not run these rules."),
    report_unused_ignores: bool = typer.Option(
        False, "--report-unused-ignores", help="Report `# importgraph: ignore` comments that suppress nothing (IG100)."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="Report only findings not recorded in FILE."),
    write_baseline: Optional[Path] = typer.Option(
        None, "--write-baseline", help="Record the current findings in FILE and exit 0."),
    python: Optional[str] = typer.Option(None, "--python", help="Analyse the environment of this interpreter."),
    backends: Optional[list[str]] = typer.Option(None, "--backends", help="Model only these backends installed."),
    without: Optional[list[str]] = typer.Option(None, "--without", help="Model every backend except these."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP),
    no_cache: bool = typer.Option(False, "--no-cache", help=NO_CACHE_HELP),
) -> None:
    """Lint TARGET's lazy imports for CI: exit 0 when nothing at or above --fail-on remains, 1 when findings
    remain, 2 on a usage or environment error (package not found, bad configuration, bad option).

    Configuration: [tool.importgraph] in pyproject.toml (target, select, ignore, extend-select, severity,
    per-path-ignores, usage, exclude). Suppress one finding with `# importgraph: ignore[IG002]` on the line
    it points at.
    """
    from .baseline import BaselineError, read_baseline, write_baseline as save_baseline
    from .config import ConfigError, find_config, load_config
    from .formats import filtered_note, render, render_text, unread_note
    from ..render.text import text_console
    from ..scan.cache import default_cache_dir
    from .run import known_codes, run_check, selected_rules

    known = known_codes()
    try:
        config = load_config(config_file if config_file is not None else find_config(Path.cwd()), known)
    except ConfigError as exc:
        raise _usage_error(str(exc)) from None
    selected = selected_rules(config, _codes("--select", select, known), _codes("--extend-select", extend_select, known),
                              _codes("--ignore", ignore, known))
    spec = target or config.target
    defaulted = not spec
    if defaulted:  # the project folder, as ruff checks "." : a checkout with its package in src/ or at the top
        spec = str(config.root)
    if baseline is not None and write_baseline is not None:
        raise _usage_error("--baseline and --write-baseline exclude each other")
    try:
        known_fingerprints = read_baseline(baseline) if baseline is not None else None
    except BaselineError as exc:
        raise _usage_error(str(exc)) from None

    try:
        result = run_check(spec, config, selected=selected, fail_on=Severity(fail_on.value),
                           report_unused_ignores=report_unused_ignores, baseline=known_fingerprints,
                           python=python, backends=_split(backends), without=_split(without),
                           cache_dir=None if no_cache else str(cache_dir or default_cache_dir()))
    except TargetNotFound as exc:
        if defaulted:
            where = config.path or "no pyproject.toml with [tool.importgraph] above the current directory"
            raise _usage_error(f"no TARGET given and no `target` in [tool.importgraph] ({where}), and the project "
                               f"folder is not a checkout: {exc}") from None
        raise _usage_error(str(exc)) from None

    err = Console(stderr=True, highlight=False, soft_wrap=True)  # paths are never broken
    if write_baseline is not None:
        try:
            save_baseline(write_baseline, result.findings)
        except BaselineError as exc:
            raise _usage_error(str(exc)) from None
        err.print(f"wrote {len(result.findings)} finding(s) to the baseline {write_baseline}", markup=False)
        raise typer.Exit(EXIT_OK)

    if output_format is OutputFormat.text:
        if output is None:
            render_text(result, text_console(sys.stdout))
        else:
            with open(output, "w", encoding="utf-8") as handle:
                render_text(result, text_console(handle, plain=True))
        for note in (filtered_note(result), unread_note(result)):
            if note:
                err.print(note, markup=False)
    else:
        text = render(output_format.value, result)
        if output is None:
            sys.stdout.write(text)
        else:
            output.write_text(text, encoding="utf-8")
    raise typer.Exit(EXIT_FINDINGS if result.failing else EXIT_OK)
