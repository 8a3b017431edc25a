"""Edits that only move lines: a stored result renumbered instead of computed again.

A statement inserted in the middle of a modeling file changes nothing the later stages decide, but it moves every line
after it, and lines are in the result: a lazy name's line, a finding's, the lines its message names, the import
statements of the graph. The result cache (:mod:`importgraph.result_cache`) compares the changed file's new facts with
the stored ones; when they are the same facts with their lines moved by one strictly increasing map
(:func:`line_moves`), it renumbers the stored result with that map (:func:`renumber_payload`,
:func:`renumber_adjacency`) instead of recomputing it.

Why that gives the result a run without cache gives: the stages after the scan take a file's lines from its facts
only, and use them as labels: stored, printed, compared for order or equality with other lines of the same file
(a binding before or after an import). A strictly increasing map keeps every such comparison, so the stages, run on
the moved facts, decide everything as they did and write the moved lines. What they compute from a file's *text*
(an init they evaluate, a file a rule reads) is no fact: such a file is an input read whole, or a projection whose
token the result cache compares as before, so an edit that moves its lines is not replayed here. The new facts must
still pass the early cutoff on bindings (:func:`importgraph.fact_reads.same_reads`), compared with the stored facts
moved. Renumbering refuses (:class:`~importgraph.line_refs.Unmapped`: the result is computed again) whenever a line
of the moved file in the result is not one of its old facts' lines, rather than guess where it went, and whenever
the result holds line 1 of a file whose line 1 moved: findings and notes about a whole file point there, and such a
constant cannot be told from a fact's line 1 (:func:`importgraph.line_refs.move_line`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from .line_refs import FIRST_LINE, Unmapped, move_line, render, renumber
from .model import Finding, LazyModule, ModuleFacts, ParseProblem, SourceRef

Moves = dict[int, int]
"""Old line -> new line, for the lines of one file's old facts."""


def map_lines(facts: ModuleFacts, move: Callable[[int], int]) -> ModuleFacts:
    """``facts`` with ``move`` applied to every line they record, in a fixed order (field by field, then item by
    item), so that two files' lines can be paired by calling it on both."""
    def optional(line: int | None) -> int | None:
        return None if line is None else move(line)

    def error(value: tuple[int, str] | None) -> tuple[int, str] | None:
        return None if value is None else (move(value[0]), value[1])

    def objects(found: tuple) -> tuple:
        return tuple(dataclasses.replace(o, line=move(o.line), decorator_line=move(o.decorator_line)) for o in found)

    imports = [dataclasses.replace(f, line=move(f.line)) for f in facts.imports]
    bindings = {name: dataclasses.replace(b, line=move(b.line)) for name, b in facts.bindings.items()}
    star_imports = [(module, move(line)) for module, line in facts.star_imports]
    dunder_all_line = optional(facts.dunder_all_line)
    problem = facts.problem
    if problem is not None:
        problem = dataclasses.replace(problem, line=optional(problem.line))
    name_uses = [dataclasses.replace(u, line=move(u.line), guard_line=move(u.guard_line)) for u in facts.name_uses]
    reading = facts.line_reading
    if reading is not None:
        reading = dataclasses.replace(
            reading, all_names=tuple(dataclasses.replace(r, line=move(r.line)) for r in reading.all_names),
            required=objects(reading.required), requires_error=error(reading.requires_error),
            exported=objects(reading.exported), export_error=error(reading.export_error))
    probes = tuple(dataclasses.replace(p, line=move(p.line)) for p in facts.probes)
    return dataclasses.replace(facts, imports=imports, bindings=bindings, star_imports=star_imports,
                               dunder_all_line=dunder_all_line, problem=problem, name_uses=name_uses,
                               line_reading=reading, probes=probes)


def _zero(line: int) -> int:
    return 0


def line_moves(old: ModuleFacts, new: ModuleFacts) -> Moves | None:
    """The map that moves ``old``'s lines to ``new``'s, when ``new`` is ``old`` with its lines moved; None when they
    differ otherwise, when two facts on one old line moved apart, or when the map does not keep the lines' order.

    Bindings pair up by name, and only those of names bound in both: a name bound or unbound by the edit is left to
    the early cutoff (:func:`importgraph.fact_reads.same_reads`), which refuses it if any stage looked it up."""
    shared = sorted(old.bindings.keys() & new.bindings.keys())
    old = dataclasses.replace(old, bindings={name: old.bindings[name] for name in shared})
    new = dataclasses.replace(new, bindings={name: new.bindings[name] for name in shared})
    if map_lines(dataclasses.replace(old, bindings={}), _zero) != map_lines(dataclasses.replace(new, bindings={}),
                                                                            _zero):
        return None
    old_lines: list[int] = []
    new_lines: list[int] = []
    map_lines(old, lambda line: old_lines.append(line) or line)
    map_lines(new, lambda line: new_lines.append(line) or line)
    moves: Moves = {}
    for before, after in zip(old_lines, new_lines, strict=True):
        if moves.setdefault(before, after) != after:
            return None
    if moves.get(FIRST_LINE, FIRST_LINE) != FIRST_LINE and any(fact.line == FIRST_LINE for fact in old.imports):
        # The graph's import statements are renumbered when it is decoded, where nothing can be refused any more, and
        # a line 1 there cannot be told from a constant (move_line): refused now.
        return None
    previous = None
    for before in sorted(moves):
        if previous is not None and moves[before] <= previous:
            return None
        previous = moves[before]
    return moves


def moved_facts(old: ModuleFacts, moves: Moves) -> ModuleFacts:
    """``old`` with its lines moved (a binding the edit removed keeps its line: no stage may have read it)."""
    return map_lines(old, lambda line: moves.get(line, line))


# ---------------------------------------------------------------------- the stored result
def renumber_lazy_modules(lazy_modules: dict[str, LazyModule], moved: Mapping[str, Moves]) -> None:
    """Move, in place, the lines of the moved files that the lazy maps hold. A lazy module's own lines (where it is
    built, its ``TYPE_CHECKING`` half, its dead entries) are lines of its init, which the lazy stage evaluates from
    its text: an init is read whole and never moved here."""
    for lazy in lazy_modules.values():
        if lazy.path in moved:
            raise Unmapped(lazy.path)
        for name, entry in lazy.names.items():
            if entry.path in moved:
                lazy.names[name] = dataclasses.replace(entry, line=move_line(moved[entry.path], entry.path, entry.line))
        lazy.duplicates = [dataclasses.replace(d, refs=_refs(d.refs, moved)) for d in lazy.duplicates]
        lazy.undecided = [u if u.path not in moved else dataclasses.replace(u, line=move_line(moved[u.path], u.path,
                                                                                                u.line))
                          for u in lazy.undecided]


def renumber_problems(problems: list[ParseProblem], moved: Mapping[str, Moves]) -> list[ParseProblem]:
    """The lazy stage's problems with the lines of the moved files moved (a ``@requires`` its reader cannot parse)."""
    return [dataclasses.replace(p, line=move_line(moved[p.path], p.path, p.line))
            if p.path in moved and p.line is not None else p for p in problems]


def _refs(refs: tuple[SourceRef, ...], moved: Mapping[str, Moves]) -> tuple[SourceRef, ...]:
    return tuple(SourceRef(r.path, move_line(moved[r.path], r.path, r.line)) if r.path in moved else r for r in refs)


def renumber_findings(findings: list[Finding], moved: Mapping[str, Moves]) -> list[Finding]:
    """The findings with the lines of the moved files moved (in their place, the lines their messages name and the
    hops of their chains), in the order a run gives them."""
    renumbered = []
    for finding in findings:
        line = finding.line
        if finding.path in moved:
            line = move_line(moved[finding.path], finding.path, line)
        template = finding.template
        if template is not None:
            for path, moves in moved.items():
                template = renumber(template, path, moves)
        renumbered.append(dataclasses.replace(
            finding, line=line, chain=_refs(finding.chain, moved), template=template,
            message=finding.message if template is None else render(template)))
    return sorted(renumbered, key=Finding.sort_key)


def renumber_graph(nodes: dict[str, dict], successors: dict[str, dict[str, dict]], moved: Mapping[str, Moves]) -> None:
    """Move, in place, the lines of the moved files in a graph's adjacency (:mod:`importgraph.graph`): their lazy
    names' lines, and the lines of the import statements their modules make.

    Every such line is one the result cache checked when it renumbered the rest: a lazy-name node's line is its
    :class:`~importgraph.model.LazyName`'s (:func:`renumber_lazy_modules` refuses a line outside the map) and an
    import statement's is an import fact's (each in the map by construction). So the graph section need not be
    decoded and written again when lines move (~0.12 s on transformers): the moves are kept beside it and applied
    when it is decoded."""
    for node, data in nodes.items():
        path = data.get("path")
        if path not in moved:
            continue
        moves = moved[path]
        if data.get("kind") == "lazy_name":
            data["line"] = move_line(moves, path, data["line"])
        elif data.get("kind") == "module":
            # Edge data is one dict shared by both maps (marshal keeps the sharing): moved once, seen from both.
            for edge in successors[node].values():
                for statement in edge["imports"]:
                    statement["line"] = move_line(moves, path, statement["line"])


def compose_moves(earlier: Mapping[str, Moves], later: Mapping[str, Moves]) -> dict[str, Moves]:
    """The moves of two edits in a row: each file's old lines to where the second edit put them (a line the second
    edit's map does not cover is dropped: no line of the graph can be one, see :func:`renumber_graph`)."""
    composed = {path: dict(moves) for path, moves in earlier.items()}
    for path, moves in later.items():
        first = composed.get(path)
        composed[path] = dict(moves) if first is None else {
            old: moves[middle] for old, middle in first.items() if middle in moves}
    return composed

