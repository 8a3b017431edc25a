"""``importgraph explain`` / ``importgraph path`` as a readable tree (colored on a terminal, plain in a pipe)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from ..explain import Edge, Explanation, ImportCost
from ..model import Finding

_HOP_STYLE = {"sys.path": "blue", "package": "blue", "submodule": "blue", "lazy-module": "magenta",
              "lazy-entry": "magenta", "re-export": "cyan", "definition": "green", "extra-object": "green",
              "shadowed": "yellow", "missing": "bold red", "undecided": "yellow"}
_OUTCOME_STYLE = {"object": "green", "module": "green", "placeholder": "yellow", "dummy": "yellow",
                  "import-error": "bold red", "undecided": "yellow"}
_EDGE_TEXT = {"module": "module-level import", "function": "function-level import",
              "parent": "parent package runs first"}
SHOWN_MODULES = 12


def _where(path: str | None, line: int | None) -> str:
    if path is None:
        return ""
    return f"{path}:{line}" if line is not None else path


def print_explanation(exp: Explanation, console: Console) -> None:
    version = f" {exp.version}" if exp.version else ""
    head = f"[bold]{escape(_statement(exp))}[/bold]  ({escape(exp.package + version)}"
    env = exp.environment["available"]
    env_text = "all" if env == "all" else ", ".join(env) or "none"  # type: ignore[arg-type]
    unavailable = exp.environment.get("unavailable") or []
    if env == "all" and unavailable:  # --without torch: every backend but those
        env_text = "all but " + ", ".join(unavailable)  # type: ignore[arg-type]
    console.print(head + f"; modelled backends: {escape(env_text)})", highlight=False)
    tree = Tree("[bold]resolution[/bold]")
    for number, hop in enumerate(exp.hops, 1):
        style = _HOP_STYLE.get(hop.kind, "white") if hop.reached else "dim"
        where = _where(hop.path, hop.line)
        label = f"[{style}]{number}. {escape(hop.kind)}[/{style}]  {escape(where)}"
        node = tree.add(label)
        text = escape(hop.summary) + ("" if hop.reached else "  [dim](not reached in this environment)[/dim]")
        node.add(text)
    console.print(tree, highlight=False)

    if exp.kind == "name":
        backends = Tree("[bold]backends[/bold]")
        if not exp.backends:
            backends.add("none needed" if exp.outcome != "placeholder" else "see the lazy entry")
        for status in exp.backends:
            mark = "[green]installed[/green]" if status.installed else "[red]not installed[/red]"
            probe = f"; probe {status.probe}" if status.probe else "; fallback table"
            backends.add(f"{escape(status.backend)}: {mark} ({escape(status.describe() + probe)})")
        style = _OUTCOME_STYLE.get(exp.outcome, "white")
        backends.add(f"you get: [{style}]{escape(exp.outcome_text)}[/{style}]")
        if exp.if_missing and exp.outcome not in ("placeholder", "dummy"):
            backends.add(f"if a needed backend were missing: {escape(exp.if_missing)}")
        for finding in exp.findings:
            backends.add(_finding(finding))
        console.print(backends, highlight=False)

    if exp.cost_package is not None and exp.cost_name is not None:
        cost = Tree("[bold]import cost[/bold] (module-level imports and calls, guards evaluated for the modelled "
                    "environment)")
        cost.add(_cost_line(f"import {exp.package}", exp.cost_package))
        cost.add(_cost_line(_statement(exp) if exp.kind == "name" else f"import {exp.qualified}", exp.cost_name))
        added = cost.add(f"the name adds {len(exp.added_own)} own modules, {len(exp.added_third_party)} "
                         f"third-party packages" + (f": {escape(', '.join(exp.added_third_party))}"
                                                    if exp.added_third_party else ""))
        for module in exp.added_own[:SHOWN_MODULES]:
            added.add(escape(module))
        if len(exp.added_own) > SHOWN_MODULES:
            added.add(f"... {len(exp.added_own) - SHOWN_MODULES} more (--format json lists them all)")
        console.print(cost, highlight=False)


def _statement(exp: Explanation) -> str:
    """The import statement explained: ``from skimage.graph import MCP`` for the name ``graph.MCP``."""
    owner, _, attr = exp.qualified.rpartition(".")
    return f"from {owner} import {attr}"


def _cost_line(label: str, cost: ImportCost) -> str:
    third = ", ".join(cost.third_party) or "none"
    return (f"{escape(label)}: {len(cost.own)} own modules, {len(cost.third_party)} third-party packages "
            f"({escape(third)}), {len(cost.stdlib)} stdlib")


def _finding(finding: Finding) -> str:
    return f"[bold red]{escape(finding.rule)}[/bold red] {escape(finding.name)}: {escape(finding.message)}"


def print_path(source: str, target: str, chain: list[Edge] | None, paths: dict[str, str],
               console: Console) -> None:
    """``paths``: module -> file (relative to the sys.path entry), for the file:line of each hop."""
    if chain is None:
        console.print(f"no import chain from {escape(source)} to {escape(target)} "
                      "(TYPE_CHECKING imports are not followed)", highlight=False)
        return
    tree = Tree(f"[bold]{escape(source)}[/bold] -> [bold]{escape(target)}[/bold]: {len(chain)} hops")
    for number, edge in enumerate(chain, 1):
        kind = (f"lazy access to {edge.via} ({edge.scope}-level)" if edge.kind == "lazy"
                else _EDGE_TEXT.get(edge.kind, edge.kind))
        style = {"module": "green", "function": "yellow", "lazy": "magenta", "parent": "blue"}[edge.kind]
        where = _where(paths.get(edge.source) if edge.kind != "parent" else paths.get(edge.target),
                       edge.line)
        extra = ""
        if edge.guarded_by:
            extra += f"  guarded by {', '.join(edge.guarded_by)}"
        if edge.in_try:
            extra += "  inside try/except ImportError"
        tree.add(f"{number}. {escape(edge.source)} -> {escape(edge.target)}  [{style}]{escape(kind)}[/{style}]  "
                 f"{escape(where)}{escape(extra)}")
    console.print(tree, highlight=False)
