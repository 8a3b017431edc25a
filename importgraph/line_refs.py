"""Line numbers in finding messages that remember their file, so that a stored result can be renumbered.

A rule writes a line into a message as ``at(path, line)`` inside its f-string. The finding's message reads the bare
number, as before; the finding also keeps the message with the reference (:attr:`~importgraph.model.Finding.template`),
so that when an edit only moves the lines of one file, the result cache renumbers a stored result instead of computing
it again (:mod:`importgraph.line_moves`). A line printed without ``at`` could not be renumbered: a test walks the
rules' f-strings for lines written bare (``tests/test_line_moves.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_REF = re.compile("\x1f([^\x1e\x1f]*)\x1e([0-9]+)\x1f")
"""``at``'s reference: the path and the line between control characters no path or message holds."""


def at(path: str, line: int) -> str:
    """Line ``line`` of ``path``, for a finding's message (it reads as the number)."""
    return f"\x1f{path}\x1e{int(line)}\x1f"


def has_refs(text: str) -> bool:
    return "\x1f" in text


def render(template: str) -> str:
    """The message as it is printed: every reference as its line number."""
    return _REF.sub(r"\2", template)


class Unmapped(LookupError):
    """A reference to a line of the moved file that the line map does not cover."""


FIRST_LINE = 1
"""Where a finding or note about a whole file points (``line or 1``): a constant as often as a fact's line."""


def move_line(moves: Mapping[int, int], path: str, line: int) -> int:
    """Where ``line`` of ``path`` went; :class:`Unmapped` when the map has no say. Line 1 may be a constant, not a
    fact's line: it stays when the map leaves line 1 where it is (or says nothing of it), and is :class:`Unmapped`
    when the map moves it (which of the two it is, nothing tells)."""
    if line == FIRST_LINE:
        if moves.get(FIRST_LINE, FIRST_LINE) != FIRST_LINE:
            raise Unmapped(f"{path}:{line} (line 1 moved: a fact's line or a whole-file constant)")
        return line
    new = moves.get(line)
    if new is None:
        raise Unmapped(f"{path}:{line}")
    return new


def renumber(template: str, path: str, moves: Mapping[int, int]) -> str:
    """``template`` with the references to ``path`` moved by ``moves`` (old line -> new line, :func:`move_line`)."""
    def move(match: re.Match) -> str:
        if match.group(1) != path:
            return match.group(0)
        return at(path, move_line(moves, path, int(match.group(2))))

    return _REF.sub(move, template)
