"""Edits that only move lines (importgraph.line_moves, importgraph.line_refs): when two versions of a file give the
same facts with their lines moved, and how a stored result is renumbered. The result cache's tests
(tests/test_result_cache.py) check the renumbered results against runs without cache."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from importgraph.line_moves import compose_moves, line_moves, moved_facts, renumber_findings
from importgraph.line_refs import Unmapped, at, render, renumber
from importgraph.model import Finding, Severity, SourceRef
from importgraph.scan.visitor import scan_source

SOURCE = """\
import os
from typing import TYPE_CHECKING

try:
    import numpy
except ImportError:
    numpy = None

if TYPE_CHECKING:
    import torch


class Model:
    size = numpy.zeros(1)


def helper():
    return os.sep


__all__ = ["Model", "helper"]
"""


def facts_of(source: str):
    return scan_source("pkg.mod", "/pkg/mod.py", False, source.encode())


def insert(source: str, before: str, text: str) -> str:
    assert before in source
    return source.replace(before, text + before, 1)


def test_lines_inserted_in_the_middle_move_the_lines_after_them():
    old = facts_of(SOURCE)
    new = facts_of(insert(SOURCE, "def helper", "# a comment\n\n"))
    moves = line_moves(old, new)
    assert moves is not None
    assert moves[1] == 1 and moves[13] == 13  # `import os`, `class Model`: before the edit
    assert moves[17] == 19 and moves[21] == 23  # `def helper`, `__all__`: two lines down
    assert moved_facts(old, moves) == new


def test_a_new_binding_is_left_to_the_early_cutoff():
    old = facts_of(SOURCE)
    new = facts_of(insert(SOURCE, "class Model", "_CACHE = {}\n\n\n"))
    moves = line_moves(old, new)
    assert moves is not None and moves[13] == 16
    assert "_CACHE" in new.bindings and "_CACHE" not in moved_facts(old, moves).bindings


def test_lines_removed_move_the_lines_after_them_up():
    old = facts_of(SOURCE)
    new = facts_of(SOURCE.replace("\n\n\nclass Model", "\nclass Model"))
    moves = line_moves(old, new)
    assert moves is not None and moves[13] == 11 and moves[21] == 19


@pytest.mark.parametrize(("what", "edited"), [
    ("an import changed", SOURCE.replace("import os", "import sys")),
    ("two definitions swapped", SOURCE.replace("class Model:\n    size = numpy.zeros(1)\n\n\ndef helper():\n"
                                               "    return os.sep\n",
                                               "def helper():\n    return os.sep\n\n\nclass Model:\n"
                                               "    size = numpy.zeros(1)\n")),
    ("two lines joined into one", SOURCE.replace("import os\nfrom typing import TYPE_CHECKING\n",
                                                 "import os; from typing import TYPE_CHECKING\n")),
    ("__all__ changed", SOURCE.replace('"helper"]', '"helper", "os"]')),
])
def test_other_changes_are_no_line_moves(what, edited):
    assert line_moves(facts_of(SOURCE), facts_of(edited)) is None


def test_one_line_split_in_two_is_no_line_move():
    joined = SOURCE.replace("import os\nfrom typing import TYPE_CHECKING\n",
                            "import os; from typing import TYPE_CHECKING\n")
    assert line_moves(facts_of(joined), facts_of(SOURCE)) is None  # line 1 would go to 1 and to 2


def test_an_unchanged_file_moves_nothing():
    moves = line_moves(facts_of(SOURCE), facts_of(SOURCE))
    assert moves is not None and all(old == new for old, new in moves.items())


def test_a_reference_reads_as_its_line_and_is_renumbered_in_its_file_only():
    template = f"bound at line {at('/a.py', 7)} of a, imported at line {at('/b.py', 7)} of b"
    assert render(template) == "bound at line 7 of a, imported at line 7 of b"
    assert render(renumber(template, "/a.py", {7: 10})) == "bound at line 10 of a, imported at line 7 of b"
    with pytest.raises(Unmapped):
        renumber(template, "/a.py", {8: 9})


def test_a_finding_prints_its_lines_and_keeps_their_files():
    message = f"see line {at('/a.py', 3)}"
    finding = Finding("IG001", "x", Severity.ERROR, "a", "A", "/a.py", 3, message)
    assert finding.message == "see line 3" and finding.template == message
    plain = Finding("IG001", "x", Severity.ERROR, "a", "A", "/a.py", 3, "see line 3")
    assert finding == plain and hash(finding) == hash(plain)  # the template is no part of its identity


def test_findings_are_renumbered_and_sorted_again():
    def finding(line: int, seen: int) -> Finding:
        return Finding("IG006", "cycle", Severity.ERROR, "a", "A", "/a.py", 1,
                       f"first at line {at('/b.py', line)}", chain=(SourceRef("/b.py", seen),))

    # "line 98" sorts after "line 100" as text: once renumbered, the order must be the one a run gives
    moved = renumber_findings([finding(97, 97), finding(98, 98)], {"/b.py": {97: 97, 98: 101}})
    assert [f.message for f in moved] == ["first at line 101", "first at line 97"]
    assert moved[0].chain == (SourceRef("/b.py", 101),)
    with pytest.raises(Unmapped):  # a line of the moved file the map does not know: computed again
        renumber_findings([finding(5, 5)], {"/b.py": {97: 97}})


def test_line_1_in_a_result_is_renumbered_only_where_it_stays():
    # Findings and notes about a whole file point at line 1 (``line or 1``): a constant, which a fact's line 1 cannot
    # be told from. It stays when line 1 does; when line 1 moves, the result holding it is computed again.
    whole = Finding("IG011", "submodule", Severity.WARNING, "a", "a.b", "/b.py", 1, "m")
    assert renumber_findings([whole], {"/b.py": {3: 5}})[0].line == 1
    assert renumber_findings([whole], {"/b.py": {1: 1, 3: 5}})[0].line == 1
    with pytest.raises(Unmapped):
        renumber_findings([whole], {"/b.py": {1: 2, 3: 5}})
    # the graph's import statements are renumbered when it is decoded, too late to refuse: an import on line 1 that
    # moves is refused at once
    assert line_moves(facts_of(SOURCE), facts_of("# a comment above the first import\n" + SOURCE)) is None
    moved_def = line_moves(facts_of("def f():\n    pass\n"), facts_of("# a comment\ndef f():\n    pass\n"))
    assert moved_def == {1: 2}


def test_moves_of_two_edits_compose():
    assert compose_moves({"/a.py": {1: 1, 5: 7, 9: 11}}, {"/a.py": {1: 2, 7: 8, 11: 12}, "/b.py": {3: 4}}) == {
        "/a.py": {1: 2, 5: 8, 9: 12}, "/b.py": {3: 4}}


# A line a rule prints without ``at`` could not be renumbered: the cached report would name the old line.
RULES = Path(__file__).resolve().parents[1] / "importgraph" / "rules"


def test_rules_print_lines_only_as_references():
    bare = []
    for path in sorted(RULES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FormattedValue):
                continue
            value = node.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "at":
                continue
            if re.search(r"line", ast.unparse(value)):
                bare.append(f"{path.name}:{node.lineno}: {{{ast.unparse(value)}}}")
    assert not bare, bare
