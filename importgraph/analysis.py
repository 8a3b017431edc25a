"""The pipeline, top to bottom: discover -> scan -> lazy maps -> graph -> rules.

``analyze()`` is the public entry point; the CLI is a thin layer over it.
"""

from __future__ import annotations

import ast
import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import __version__
from .discover import find_target, walk_package
from .fact_reads import watching
from .graph import build_graph
from .inputs import recording
from .lazy import build_lazy_modules
from .line_refs import Unmapped
from .model import Environment, Finding, LazyModule, ModuleFacts, ParseProblem, Target, normalise_backend
from .result_cache import EncodedGraph, Payload, ResultCache
from .rules import RuleContext, run_rules
from .scan import scan_files
from .scan.cache import CacheWarning, gc_paused

if TYPE_CHECKING:
    import networkx as nx  # imported when a graph is built or decoded: a reused result's check never needs it


@dataclass
class Stats:
    files: int = 0
    modules: int = 0
    lazy_modules: int = 0
    lazy_names: int = 0
    import_edges: int = 0
    lazy_edges: int = 0
    unparsable: int = 0
    undecided: int = 0
    seconds: float = 0.0
    findings_by_rule: dict[str, int] = field(default_factory=dict)
    undecided_by_rule: dict[str, int] = field(default_factory=dict)


class _GraphField:
    """``Report.graph``: a reused result's graph is decoded on first access (:class:`EncodedGraph`)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}"

    def __get__(self, report: Report | None, owner: type | None = None) -> nx.DiGraph:
        if report is None:
            raise AttributeError("graph")  # a dataclass field without a default
        graph = report.__dict__[self._slot]
        if isinstance(graph, EncodedGraph):
            try:
                graph = graph.decode()
            except Unmapped as exc:
                # Cannot happen (the lines a graph holds are checked when its moves are recorded), but if it did, the
                # graph is a function of the facts and lazy maps the report holds: built again, never a crash.
                warnings.warn(f"importgraph result cache: the stored graph could not be renumbered ({exc}); built "
                              "again from the facts", CacheWarning, stacklevel=2)
                graph = build_graph(dict(report.modules), report.lazy_modules, report.target.name)
            report.__dict__[self._slot] = graph
        return graph

    def __set__(self, report: Report, graph: nx.DiGraph | EncodedGraph) -> None:
        report.__dict__[self._slot] = graph


@dataclass
class Report:
    """The result of one analysis: ``.graph``, ``.lazy_modules``, ``.modules``, ``.findings``."""

    target: Target
    environment: Environment
    modules: Mapping[str, ModuleFacts]
    """Facts per module (a reused result decodes each on first access)."""
    lazy_modules: dict[str, LazyModule]
    graph: nx.DiGraph = _GraphField()  # type: ignore[assignment]
    """The import graph (a reused result decodes it on first access)."""
    findings: list[Finding]
    stats: Stats
    problems: list[ParseProblem] = field(default_factory=list)
    structure_rules: str | None = None
    """Where ``define_import_structure``'s file-name backend rules were read from."""
    tool_version: str = __version__
    from_cache: bool = False
    """True when the whole result was reused from the result cache (:mod:`importgraph.result_cache`)."""
    reuse: str | None = None
    """Why the reused result holds: ``no input changed``, changed files that every stage reads alike, or lines
    moved and renumbered (for the text output)."""


def make_environment(target: Target, backends: Iterable[str] | None = None,
                     without: Iterable[str] | None = None) -> Environment:
    """The modelled environment: every backend, only ``backends``, or all but ``without``.

    Hard requirements of the distribution (``Requires-Dist`` without an extra) are always available.
    """
    always = frozenset(normalise_backend(r) for r in target.requires)
    available = None if backends is None else frozenset(normalise_backend(b) for b in backends)
    unavailable = frozenset(normalise_backend(b) for b in (without or ()))
    return Environment(available=available, unavailable=unavailable, always=always)


def analyze(
    target: str | Target,
    *,
    python: str | None = None,
    backends: Iterable[str] | None = None,
    without: Iterable[str] | None = None,
    select: set[str] | None = None,
    usage: tuple[str, ...] = (),
    progress: Callable[[int, int], None] | None = None,
    cache_dir: str | os.PathLike | None = None,
    stage: Callable[[str], None] | None = None,
) -> Report:
    """Analyse a package (an import name on ``sys.path``, or a path) without importing it.

    ``backends``/``without`` model the environment (default: every optional backend available);
    ``select`` picks rule codes (default: the rules enabled by default); ``progress(done, total)``
    is called while files are scanned; ``cache_dir`` reuses the facts of unchanged files from the scan cache
    there, and the whole result while nothing it depends on changed (:mod:`importgraph.result_cache`;
    ``importgraph.scan.cache.default_cache_dir()`` is the CLI's; default: no cache). ``stage(name)`` is called
    as each stage starts: ``checking the cache``, ``scanning``, ``lazy maps``, ``graph and rules``, ``writing the
    cache``.
    """
    def starting(name: str) -> None:
        if stage is not None:
            stage(name)

    started = time.perf_counter()
    resolved = target if isinstance(target, Target) else find_target(str(target), python=python)
    env = make_environment(resolved, backends, without)
    files = walk_package(resolved)
    total = len(files)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    # Whole results are cached only for the package's own files: ``usage`` files are the user's code.
    results = ResultCache(cache_dir, resolved, env, select) if cache_dir is not None and not usage else None
    digests: dict[str, bytes | None] = {}
    if results is not None:
        starting("checking the cache")
        with gc_paused():
            cached = results.lookup(files, digests)
        if cached is not None:
            if progress is not None:
                progress(total, total)
            cached.stats.seconds = round(time.perf_counter() - started, 3)
            return Report(resolved, env, cached.modules, cached.lazy_modules, cached.graph, cached.findings,
                          cached.stats, cached.problems, cached.structure_rules, from_cache=True,
                          reuse=cached.reuse)

    starting("scanning")
    pickled: dict[str, bytes] = {}
    trees: dict[str, tuple[bytes, ast.Module]] = {}  # the inits, parsed once for the scan and the lazy stage
    modules = scan_files(files, progress=tick, cache_dir=cache_dir, cache_key=resolved.roots, digests=digests,
                         pickled=pickled, trees=trees)
    # The later stages allocate ~1M objects that all live until the report is returned, on top of ~200k
    # facts: a cyclic GC pass in between only walks them again (it doubles those stages' time). The
    # collector is paused and runs again, as usual, once the report is built.
    # With a result cache, every module's bindings note what the stages read of them (the early cutoff of a
    # later run: :mod:`importgraph.fact_reads`); the plain dicts are back before the result is stored.
    watch = watching(modules) if results is not None else nullcontext()
    with gc_paused(), recording() as log:
        with watch:
            starting("lazy maps")
            lazy = build_lazy_modules(modules, env, resolved.search_path, trees)
            ctx = RuleContext(target=resolved, env=env, modules=modules, lazy_modules=lazy.modules, graph=None,
                              structure_files=lazy.structure_files, problems=lazy.problems, usage=usage,
                              init_trees=lazy.init_trees)
            starting("graph and rules")

            def graph_stage() -> nx.DiGraph:
                graph = build_graph(modules, lazy.modules, resolved.name)
                if results is not None:
                    results.encode_graph(graph)  # while the forked rules run (the graph does not change)
                return graph

            # The graph is built inside the rules stage: rules that do not read it may run meanwhile.
            findings = run_rules(ctx, select, build_graph=graph_stage)
        graph = ctx.graph
        stats = _stats(files, modules, lazy.modules, graph, findings, ctx.undecided)
        if results is not None:
            starting("writing the cache")
            results.store(files, digests, log, Payload(modules, lazy.modules, graph, findings, stats,
                                                       lazy.problems, lazy.rules_source), pickled)
    stats.seconds = round(time.perf_counter() - started, 3)
    return Report(resolved, env, modules, lazy.modules, graph, findings, stats, lazy.problems, lazy.rules_source)


def _stats(files, modules, lazy_modules, graph, findings, undecided) -> Stats:
    stats = Stats(files=len(files), modules=len(modules), lazy_modules=len(lazy_modules))
    stats.lazy_names = sum(len(m.names) for m in lazy_modules.values())
    for _, _, data in graph.edges(data=True):
        if "import" in data["kinds"]:
            stats.import_edges += 1
        if "lazy" in data["kinds"]:
            stats.lazy_edges += 1
    stats.unparsable = sum(1 for m in modules.values() if m.problem is not None)
    stats.undecided = sum(len(m.undecided) for m in lazy_modules.values()) + sum(undecided.values())
    for finding in findings:
        stats.findings_by_rule[finding.rule] = stats.findings_by_rule.get(finding.rule, 0) + 1
    stats.undecided_by_rule = dict(sorted(undecided.items()))
    return stats
