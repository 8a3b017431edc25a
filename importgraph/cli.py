"""The command line: a thin layer over :func:`importgraph.analyze`.

Exit codes (all commands):
  0  the command ran (``analyze`` reports findings but still exits 0; ``check`` is the gate)
  1  ``check`` only: findings at or above ``--fail-on`` remain
  2  usage or environment error: package not found, bad option, bad configuration
"""

from __future__ import annotations

import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from . import __version__
from .discover import TargetNotFound
from .model import ImportgraphWarning
from .scan.cache import CACHE_DIR_HELP, NO_CACHE_HELP

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

app = typer.Typer(
    name="importgraph",
    help="Static analyzer for the lazy-import machinery of large Python packages (transformers, diffusers, "
    "lazy_loader, PEP 562). Nothing of the analysed package is imported or executed.\n\n"
    "Exit codes: 0 ran fine; 1 findings remain (check); 2 usage or environment error.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

err = Console(stderr=True)


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


class GraphFormat(str, Enum):
    json = "json"
    graphml = "graphml"
    dot = "dot"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"importgraph {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """importgraph: rebuild lazy import maps statically, graph them, lint them."""


def _split(values: Optional[list[str]]) -> Optional[list[str]]:
    if values is None:
        return None
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def run_analysis(target: str, python: Optional[str], backends: Optional[list[str]], without: Optional[list[str]],
                 select: Optional[set[str]] = None, quiet: bool = False, usage: tuple[str, ...] = (),
                 cache_dir: Optional[Path] = None, no_cache: bool = False):
    """Analyse with a progress bar on a terminal; usage errors exit 2 with the message."""
    from .analysis import analyze
    from .scan.cache import default_cache_dir

    cache = None if no_cache else (cache_dir or default_cache_dir())

    show_progress = not quiet and err.is_terminal
    try:
        if not show_progress:
            return analyze(target, python=python, backends=_split(backends), without=_split(without),
                           select=select, usage=usage, cache_dir=cache)
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as progress:
            task = progress.add_task("finding files", total=None)

            def tick(done: int, total: int) -> None:
                if done % 50 == 0 or done == total:
                    progress.update(task, completed=done, total=total)

            def stage(name: str) -> None:  # the bar stays full after the scan; the label says what runs
                progress.update(task, description=name)

            return analyze(target, python=python, backends=_split(backends), without=_split(without),
                           select=select, usage=usage, progress=tick, cache_dir=cache, stage=stage)
    except TargetNotFound as exc:
        # soft_wrap: the searched paths must not be broken at the console width; escape: "[...]" in a path
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None


TARGET_HELP = "An importable top-level package name (looked up on sys.path without importing) or a path to a " \
              "package directory / src checkout."
PYTHON_HELP = "Analyse the environment of this interpreter (only its sys.path is asked for)."
BACKENDS_HELP = "Model an environment where only these optional backends are installed (comma-separated, " \
                "named as the package names them: torch, tokenizers, vision, ...)."
HTML_HELP = "Write the HTML report here (default: importgraph-<package>.html in the current directory)."
FOCUS_HELP = "Draw the HTML report around one lazy module, module or lazy name (transformers.models.bert, " \
             "BertModel): its lazy resolution chain and import neighbours, one node per module."
MAX_NODES_HELP = "Draw at most this many nodes in the HTML report; the page says what was left out."
WITHOUT_HELP = "Model an environment with every optional backend except these (comma-separated)."


@app.command()
def analyze(
    target: str = typer.Argument(..., help=TARGET_HELP),
    python: Optional[str] = typer.Option(None, "--python", help=PYTHON_HELP),
    backends: Optional[list[str]] = typer.Option(None, "--backends", help=BACKENDS_HELP),
    without: Optional[list[str]] = typer.Option(None, "--without", help=WITHOUT_HELP),
    output_format: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f", help="text or json."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
    timings: bool = typer.Option(False, "--timings", help="Include the run time in JSON output."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    select: Optional[list[str]] = typer.Option(
        None, "--select", help="Run only these rules (comma-separated codes, or ALL for every rule including "
        "those off by default); default: the rules on by default."),
    usage: Optional[list[Path]] = typer.Option(None, "--usage", help="Application code (file or directory, "
                                               "repeatable) to check against the lazy maps (IG014, IG011)."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP),
    no_cache: bool = typer.Option(False, "--no-cache", help=NO_CACHE_HELP),
    html: Optional[Path] = typer.Option(None, "--html", help=HTML_HELP),
    no_html: bool = typer.Option(False, "--no-html", help="Do not write the HTML report."),
    focus: Optional[str] = typer.Option(None, "--focus", help=FOCUS_HELP),
    depth: int = typer.Option(1, "--depth", min=0, help="With --focus: import hops drawn around the focus."),
    max_nodes: int = typer.Option(1500, "--max-nodes", min=1, help=MAX_NODES_HELP),
) -> None:
    """Rebuild every lazy map of TARGET, join it with the import graph, and report defects.

    Prints a summary and the findings (or the full JSON report with --format json). Exits 0 whatever
    the findings; use `importgraph check` as a CI gate.
    """
    report = run_analysis(target, python, backends, without, select=_rule_codes(select), quiet=quiet,
                          usage=tuple(str(p) for p in usage or ()), cache_dir=cache_dir, no_cache=no_cache)
    html_note = None if no_html else _write_html_report(report, html, focus, depth, max_nodes)
    if output_format is ReportFormat.json:
        from .render.json_report import to_json

        _write(to_json(report, timings=timings), output)
        _print_note(html_note)
        return
    from .render.text import print_findings, print_summary, text_console

    console = text_console(open(output, "w", encoding="utf-8") if output else sys.stdout, plain=output is not None)
    print_summary(report, console)
    print_findings(report, report.findings, console)
    _print_note(html_note)


def _write_html_report(report, path: Optional[Path], focus: Optional[str], depth: int, max_nodes: int) -> str:
    """Write the HTML report (only that file); returns the line that tells the user where it is."""
    from .render.html import FocusNotFound, default_report_path, write_html

    path = path or default_report_path(report)
    try:
        view = write_html(report, path, focus=focus, depth=depth, max_nodes=max_nodes)
    except FocusNotFound as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    note = f"HTML report: {path.resolve()}"
    if view.left_out:
        note += f" (--max-nodes {max_nodes}: {len(view.left_out)} nodes not drawn; the page lists them)"
    return note


def _print_note(note: Optional[str]) -> None:
    if note:
        err.print(note, highlight=False, markup=False, soft_wrap=True)


@app.command()
def graph(
    target: str = typer.Argument(..., help=TARGET_HELP),
    output_format: GraphFormat = typer.Option(GraphFormat.json, "--format", "-f",
                                              help="json (node-link), graphml or dot."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
    python: Optional[str] = typer.Option(None, "--python", help=PYTHON_HELP),
    backends: Optional[list[str]] = typer.Option(None, "--backends", help=BACKENDS_HELP),
    without: Optional[list[str]] = typer.Option(None, "--without", help=WITHOUT_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP),
    no_cache: bool = typer.Option(False, "--no-cache", help=NO_CACHE_HELP),
) -> None:
    """Write the joined import + lazy graph of TARGET (module, lazy-name nodes; import, lazy_access, lazy,
    export edges)."""
    from .render.graph_formats import FORMATS

    report = run_analysis(target, python, backends, without, select=set(), quiet=quiet, cache_dir=cache_dir,
                          no_cache=no_cache)
    _write(FORMATS[output_format.value](report.graph), output)


@app.command("rules")
def list_rules() -> None:
    """List every rule: code, name, default severity, whether it is on by default, summary."""
    from .rules import all_rules

    for rule in all_rules():
        default = "" if rule.enabled_by_default else "  (off by default)"
        typer.echo(f"{rule.code}  {rule.name:<26} {rule.severity.value:<8} {rule.summary()}{default}")


@app.command("rule")
def show_rule(code: str = typer.Argument(..., help="A rule code (IG002) or name (lazy-missing-name).")) -> None:
    """Explain one rule: what breaks at runtime and how to fix it."""
    from .rules import all_rules

    for rule in all_rules():
        if code.upper() == rule.code or code == rule.name:
            state = "on" if rule.enabled_by_default else "off"
            typer.echo(f"{rule.code} {rule.name} (default severity: {rule.severity.value}; {state} by default)\n")
            typer.echo(rule.doc())
            return
    err.print(f"[red]error:[/red] unknown rule {escape(repr(code))}; `importgraph rules` lists them")
    raise typer.Exit(EXIT_USAGE)


@app.command("clean")
def clean(cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help=CACHE_DIR_HELP)) -> None:
    """Delete the cache: scanned files' facts and stored results (the next run rebuilds them).

    Only importgraph's own files are removed (facts-*.pack, result-*.pack and their temporary files), so a
    shared directory is safe. Exit 2 when the directory cannot be cleaned.
    """
    from .scan.cache import clear_cache, default_cache_dir

    directory = cache_dir or default_cache_dir()
    try:
        removed, freed = clear_cache(directory)
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot clean {escape(str(directory))}: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    typer.echo(f"removed {removed} cache file{'s' if removed != 1 else ''} ({freed / 2**20:.1f} MB) from {directory}")


from .check.command import check_command  # noqa: E402  (the CI gate lives in importgraph/check/)

app.command("check")(check_command)

from .explain_cli import explain_command, path_command  # noqa: E402  (explain/path live in explain_cli.py)

app.command("explain")(explain_command)
app.command("path")(path_command)


def _rule_codes(values: Optional[list[str]]) -> Optional[set[str]]:
    """``--select`` values -> rule codes; unknown codes are a usage error (exit 2)."""
    from .rules import all_rules

    codes = _split(values)
    if codes is None:
        return None
    known = {rule.code for rule in all_rules()}
    if any(code.upper() == "ALL" for code in codes):
        return known
    unknown = sorted(c for c in codes if c.upper() not in known)
    if unknown:
        err.print(f"[red]error:[/red] unknown rule code(s) {escape(', '.join(unknown))}; "
                  "`importgraph rules` lists them")
        raise typer.Exit(EXIT_USAGE)
    return {c.upper() for c in codes}


def _write(text: str, output: Optional[Path]) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {escape(str(output))}")


def main() -> None:
    warnings.showwarning = _show_warning
    app()


_python_showwarning = warnings.showwarning
_shown: set[str] = set()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """importgraph's own warnings as one ``warning: ...`` line on stderr: Python's format would add the file and
    line of importgraph's source that raised it, which tell the user nothing. Other warnings as Python shows them."""
    if issubclass(category, ImportgraphWarning):
        if str(message) not in _shown:  # two stages may find the same thing out (an unwritable cache directory)
            _shown.add(str(message))
            err.print(f"warning: {escape(str(message))}", highlight=False, soft_wrap=True)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


if __name__ == "__main__":  # pragma: no cover
    main()
