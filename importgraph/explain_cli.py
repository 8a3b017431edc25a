"""``importgraph explain`` and ``importgraph path``: registered on the app in :mod:`importgraph.cli`."""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer
from rich.markup import escape
from rich.console import Console

from .cli import (BACKENDS_HELP, EXIT_USAGE, PYTHON_HELP, TARGET_HELP, WITHOUT_HELP, ReportFormat, err,
                  run_analysis)
from .discover import TargetNotFound, find_target

ALL_BACKENDS_HELP = "Model every optional backend as available (the complete declared map) instead of what is " \
                    "installed."


def _console() -> Console:
    """Colored tree on a terminal; in a pipe plain text, wide enough that file:line hops stay on one line."""
    return Console() if sys.stdout.isatty() else Console(width=120)


def _unknown(exc) -> None:
    err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
    raise typer.Exit(EXIT_USAGE)


def explain_command(
    target: str = typer.Argument(..., help=TARGET_HELP),
    name: str = typer.Argument(..., help="A name (AutoModelForCausalLM), a dotted name (models.bert.BertModel) "
                                         "or a module (generation.utils)."),
    python: Optional[str] = typer.Option(None, "--python", help=PYTHON_HELP),
    backends: Optional[list[str]] = typer.Option(None, "--backends", help=BACKENDS_HELP),
    without: Optional[list[str]] = typer.Option(None, "--without", help=WITHOUT_HELP),
    all_backends: bool = typer.Option(False, "--all-backends", help=ALL_BACKENDS_HELP),
    output_format: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f", help="text or json."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """How `from TARGET import NAME` resolves, hop by hop (file:line), which backends it needs and has, and
    which modules it makes run, without importing anything.

    By default the environment is the one installed (backends read from *.dist-info on the interpreter's
    sys.path); --backends/--without/--all-backends model another one. Unknown names exit 2 with close names.
    """
    from .explain import UnknownName, explain
    from .installed import BackendDetector

    try:
        resolved = find_target(target, python=python)
    except TargetNotFound as exc:
        _unknown(exc)
    detector = BackendDetector(resolved)
    modelled = None if all_backends or backends or without else detector.installed()
    report = run_analysis(resolved, python, backends or modelled, without, quiet=quiet)  # type: ignore[arg-type]
    try:
        exp = explain(report, name, detector)
    except UnknownName as exc:
        exp = None
        if modelled is not None or backends or without:
            exp = _declared_elsewhere(resolved, python, name, detector, report, quiet)
        if exp is None:
            _unknown(exc)
    if output_format is ReportFormat.json:
        from .render.explain_json import explanation_to_json

        sys.stdout.write(explanation_to_json(exp))
        return
    from .render.explain_text import print_explanation

    print_explanation(exp, _console())


def _declared_elsewhere(resolved, python, name, detector, restricted, quiet):
    """A name unknown in the modelled environment but declared with every backend: an ImportError here."""
    from .explain import UnknownName, explain

    full = run_analysis(resolved, python, None, None, quiet=quiet)
    try:
        exp = explain(full, name, detector)
    except UnknownName:
        return None
    needed = sorted({b.backend for b in exp.backends if not b.installed}) or ["a backend absent here"]
    exp.outcome = "import-error"
    exp.outcome_text = (f"ImportError: in this environment the lazy maps do not declare {name} at all (it is "
                        f"declared only when {', '.join(needed)} is available, with no dummy fallback)")
    exp.environment = restricted.environment.describe()
    exp.cost_name = exp.cost_package = None
    return exp


def path_command(
    target: str = typer.Argument(..., help=TARGET_HELP),
    module_a: str = typer.Argument(..., help="Where the chain starts (dotted; relative to TARGET allowed)."),
    module_b: str = typer.Argument(..., help="Where the chain ends."),
    python: Optional[str] = typer.Option(None, "--python", help=PYTHON_HELP),
    backends: Optional[list[str]] = typer.Option(None, "--backends", help=BACKENDS_HELP),
    without: Optional[list[str]] = typer.Option(None, "--without", help=WITHOUT_HELP),
    output_format: ReportFormat = typer.Option(ReportFormat.text, "--format", "-f", help="text or json."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """The shortest import chain from MODULE_A to MODULE_B, file:line per hop, telling module-level,
    function-level, lazy (a name served by a lazy map) and parent-package hops apart."""
    from .explain import UnknownName, import_path, qualify

    report = run_analysis(target, python, backends, without, select=set(), quiet=quiet)
    try:
        chain = import_path(report, module_a, module_b)
    except UnknownName as exc:
        _unknown(exc)
    base = report.target.sys_path_entry
    paths = {name: os.path.relpath(facts.path, base) for name, facts in report.modules.items()}
    source, dest = qualify(report, module_a), qualify(report, module_b)
    if output_format is ReportFormat.json:
        from .render.explain_json import path_to_json

        sys.stdout.write(path_to_json(source, dest, chain, paths))
        return
    from .render.explain_text import print_path

    print_path(source, dest, chain, paths, _console())
