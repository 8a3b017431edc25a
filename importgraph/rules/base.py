"""What a rule is, and what it may look at.

A rule is one small class: a code, a kebab-case name, a default severity, and a docstring whose
first paragraph is the summary and whose rest says what breaks at runtime and how to fix it
(``importgraph rule IG002`` prints it). ``check`` yields findings; it never raises on odd input.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..inputs import is_file, list_directory
from ..model import Environment, Finding, LazyModule, ModuleFacts, Severity, SourceRef, Target
from ..resolve import module_exists

if TYPE_CHECKING:
    import networkx as nx


@dataclass
class RuleContext:
    """The analysis so far: what every rule reads."""

    target: Target
    env: Environment
    modules: dict[str, ModuleFacts]
    lazy_modules: dict[str, LazyModule]
    graph: nx.DiGraph | None
    """The import graph (None until built: only rules with ``reads_graph`` see it)."""
    structure_files: set[str] = field(default_factory=set)
    """Module files ``define_import_structure`` reads (IG008 compares their line readings with Python's)."""
    problems: list = field(default_factory=list)
    usage: tuple[str, ...] = ()
    undecided: dict[str, int] = field(default_factory=dict)
    """Per rule code: entries the rule could not decide (dynamic constructs), counted, never guessed."""
    init_trees: dict = field(default_factory=dict)
    """Init path -> the ``ast.Module`` the lazy stage parsed (read by IG005 instead of parsing again)."""
    _exports_cache: dict = field(default_factory=dict)

    def module_exists(self, module: str) -> bool:
        """A file, package folder, extension module, or an alias served by a meta-path finder."""
        return module_exists(module, self.modules, self.lazy_modules)

    def installed_module(self, module: str) -> bool | None:
        """Whether ``module``, of another top-level package, exists on the analysed ``sys.path`` (a ``.py`` file,
        a package or namespace folder, an extension module); None when that top-level package is not there at
        all (nothing can be said). Read from directory listings, recorded for the result cache; never imported."""
        return other_module_exists(module, self.target.search_path)

    def count_undecided(self, code: str) -> None:
        self.undecided[code] = self.undecided.get(code, 0) + 1


def other_module_exists(module: str, search_path: tuple[str, ...]) -> bool | None:
    """See :meth:`RuleContext.installed_module`. Every ``sys.path`` entry counts (namespace packages span several);
    a top-level module is never judged (it may be built into the interpreter)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    installed = False
    for entry in search_path:
        try:
            names = {e.name: e.is_dir() for e in list_directory(os.path.join(entry, *parts[:-1]))}
        except OSError:
            installed = installed or _has_top_level(entry, parts[0])
            continue
        installed = True
        leaf = parts[-1]
        if names.get(leaf) or f"{leaf}.py" in names or f"{leaf}.pyc" in names or any(
                name.startswith(leaf + ".") and name.endswith((".so", ".pyd")) for name in names):
            return True
    return False if installed else None


def _has_top_level(entry: str, top: str) -> bool:
    try:
        list_directory(os.path.join(entry, top))
        return True
    except OSError:
        return is_file(os.path.join(entry, top + ".py"))


class Rule:
    code: str = ""
    name: str = ""
    severity: Severity = Severity.ERROR
    enabled_by_default: bool = True
    reads_graph: bool = False
    """Reads ``ctx.graph``. The rules that do not may run before the graph is built, in a forked child
    (:func:`importgraph.rules.run_rules`); rules sharing a result through ``ctx`` must agree on this."""
    cost: int = 1
    """How long the rule takes on a big package, roughly, against the others (1: a walk over the facts). The
    rules run beside the graph are handed out costliest first, so that the last one to start is a short one."""

    @classmethod
    def doc(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.doc().split("\n\n")[0].replace("\n", " ")

    def check(self, ctx: RuleContext) -> Iterable[Finding]:  # pragma: no cover - interface
        raise NotImplementedError

    def parts(self, ctx: RuleContext) -> Sequence[object]:
        """The rule's work as independent parts, each checked by :meth:`check_part` (their findings together are
        :meth:`check`'s): the rules stage shares a costly rule's parts between two processes. Default: one part,
        the whole rule."""
        return (None,)

    def check_part(self, ctx: RuleContext, part: object) -> Iterable[Finding]:
        """The findings of one of :meth:`parts` (default: the whole rule)."""
        return self.check(ctx)

    def finding(self, module: str, symbol: str, path: str, line: int | None, message: str,
                severity: Severity | None = None, chain: tuple[SourceRef, ...] = ()) -> Finding:
        return Finding(rule=self.code, name=self.name, severity=severity or self.severity, module=module,
                       symbol=symbol, path=path, line=line or 1, message=message, chain=chain)


REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    if cls.code in REGISTRY:
        raise ValueError(f"rule code {cls.code} registered twice")
    REGISTRY[cls.code] = cls
    return cls
