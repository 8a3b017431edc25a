"""transformers' own line-based readers of ``__all__`` and ``@requires``, reproduced line for line.

``define_import_structure`` does not parse Python: it reads ``__all__`` with ``fetch__all__`` and the
``@requires(backends=...)`` decorators with a line scanner (transformers 5.23 ``utils/import_utils.py``).
The runtime map is what *these* readers see, so we must read files the same way — and rule IG008
compares it with what Python sees, because wherever the two differ the runtime map silently differs
from what the author wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

from .read import decode_text


class RequiresParseError(ValueError):
    """transformers raises ValueError here, so the whole package fails to import."""

    def __init__(self, line: int, text: str):
        super().__init__(f"line {line}: transformers cannot parse the backends of {text.strip()!r}")
        self.line = line


@dataclass(frozen=True)
class ReadName:
    name: str
    line: int


def fetch_all(content: str) -> list[ReadName]:
    """``fetch__all__``: the last line starting with ``__all__``, single-line if it ends with ``]``."""
    if "__all__" not in content:
        return []
    if _only_newlines(content):
        return _fetch_all_newlines(content)
    lines = content.splitlines()
    start = None
    for index in range(len(lines) - 1, -1, -1):  # the last such line wins: search from the end
        if lines[index].startswith("__all__"):
            start = index
            break
    if start is None:
        return []
    return _names_from(lines[start], lines[start + 1:], start + 1)


_ASCII_LINE_BREAKS = ("\r", "\v", "\f", "\x1c", "\x1d", "\x1e")
_OTHER_LINE_BREAKS = ("\x85", "\u2028", "\u2029")
"""What ``str.splitlines`` splits at besides ``\n``."""


def _only_newlines(content: str) -> bool:
    """Whether ``\n`` is the only line break ``splitlines`` sees in ``content``."""
    breaks = _ASCII_LINE_BREAKS if content.isascii() else _ASCII_LINE_BREAKS + _OTHER_LINE_BREAKS  # isascii: O(1)
    return not any(brk in content for brk in breaks)


def _fetch_all_newlines(content: str) -> list[ReadName]:
    """:func:`fetch_all` for text whose only line break is ``\n``: found with ``rfind`` instead of splitting a
    300 kB modeling file into lines (``__all__`` is at its end); the same result."""
    at = content.rfind("\n__all__")
    if at != -1:
        at += 1
    elif not content.startswith("__all__"):
        return []
    else:
        at = 0
    end = content.find("\n", at)
    if end == -1:
        return _names_from(content[at:], [], 1 + content.count("\n", 0, at))
    rest = content[end + 1:].split("\n")
    if rest[-1] == "":  # splitlines drops the empty piece after a final line break
        rest.pop()
    return _names_from(content[at:end], rest, 1 + content.count("\n", 0, at))


def _names_from(first: str, following: list[str], line: int) -> list[ReadName]:
    """The names read from the ``__all__`` line ``first`` (line number ``line``) and the lines after it."""
    if first.endswith("]"):
        return [ReadName(obj.strip("\"' "), line) for obj in first.split("=")[1].strip(" []").split(",")]
    names: list[ReadName] = []
    for offset, text in enumerate(following, start=line + 1):
        if text.strip() == "]":
            return names
        names.append(ReadName(text.strip("\"', "), offset))
    return names


@dataclass(frozen=True)
class RequiredObject:
    name: str
    backends: tuple[str, ...]
    """Decorator backends only (the file's base backends are added by the caller)."""
    line: int
    decorator_line: int


def read_requires(content: str, decorator: str = "@requires") -> list[RequiredObject]:
    """The ``@requires`` scanner of ``create_import_structure_from_path`` (``decorator="@export"``: the same
    scanner in transformers 4.45-4.51, before the decorator was renamed).

    Only column-0 decorators count; the object name is sliced from the ``class``/``def`` line
    (so ``class X:`` gives ``X`` but ``class X :`` gives ``X `` and ``async def`` is skipped).
    """
    if decorator not in content:
        return []
    found: list[RequiredObject] = []
    lines = content.split("\n")
    previous_line = ""
    previous_index = 0
    for index, line in enumerate(lines):
        if line.startswith((" ", "\t", "@", ")")) and not line.startswith(decorator):
            continue
        skip_line = False
        if decorator in previous_line:
            if "backends" in previous_line:
                try:
                    backends_string = previous_line.split("backends=")[1].split("(")[1].split(")")[0]
                except IndexError:
                    raise RequiresParseError(previous_index + 1, previous_line) from None
                backends = tuple(sorted(b.strip("'\",") for b in backends_string.split(", ") if b))
            elif previous_index + 1 < len(lines) and "backends" in lines[previous_index + 1]:
                collected: list[str] = []
                for backend_line in lines[previous_index:index]:
                    if "backends" in backend_line:
                        backend_line = backend_line.split("=")[1]
                    if '"' in backend_line or "'" in backend_line:
                        if ", " in backend_line:
                            collected.extend(b.strip("()\"', ") for b in backend_line.split(", "))
                        else:
                            collected.append(backend_line.strip("()\"', "))
                    if backend_line.strip() == ")":
                        break
                backends = tuple(collected)
            else:
                backends = ()
            if not line.startswith("class") and not line.startswith("def"):
                skip_line = True
                found.append(RequiredObject("", backends, index + 1, previous_index + 1))
            else:
                start = 6 if line.startswith("class") else 4
                name = line[start:].split("(")[0].strip(":")
                found.append(RequiredObject(name, backends, index + 1, previous_index + 1))
        if not skip_line:
            previous_line = line
            previous_index = index
    return found


@dataclass(frozen=True)
class LineReading:
    """What transformers' line readers take from one file: a function of its bytes alone.

    The scan computes it for every module file, where the bytes are at hand, so neither the lazy stage
    (``define_import_structure``) nor rule IG008 reads the file again.
    """

    all_names: tuple[ReadName, ...] = ()
    required: tuple[RequiredObject, ...] = ()
    undecodable: str | None = None
    """Why strict UTF-8 decoding failed (``define_import_structure`` would raise before any reader runs)."""
    requires_error: tuple[int, str] | None = None
    """``(line, message)`` when the ``@requires`` scanner raises (the package fails to import)."""
    mentions_all: bool = False
    """``"__all__"`` occurs in the text (IG008 compares the readings only then)."""
    mentions_requires: bool = False
    exported: tuple[RequiredObject, ...] = ()
    """The same scanner looking for ``@export`` (transformers 4.45-4.51); the lazy stage picks the one the
    package's own ``create_import_structure_from_path`` uses."""
    export_error: tuple[int, str] | None = None

    def objects(self, decorator: str) -> tuple[tuple[RequiredObject, ...], tuple[int, str] | None]:
        """What the scanner for ``decorator`` reads, and its error."""
        if decorator == "@export":
            return self.exported, self.export_error
        return self.required, self.requires_error


def read_lines(data: bytes) -> tuple[LineReading, str | None]:
    """The line readers' view of ``data`` (read as ``open(path, encoding="utf-8").read()`` does), and the
    decoded text (None when undecodable)."""
    try:
        content = decode_text(data)
    except UnicodeDecodeError as exc:
        return LineReading(undecodable=f"define_import_structure cannot read it: {exc}"), None
    mentions_all, mentions_requires = "__all__" in content, "@requires" in content
    all_names = tuple(fetch_all(content)) if mentions_all else ()
    required, requires_error = _scanned(content, "@requires")
    exported, export_error = _scanned(content, "@export")
    return LineReading(all_names, required, requires_error=requires_error, mentions_all=mentions_all,
                       mentions_requires=mentions_requires, exported=exported, export_error=export_error), content


def _scanned(content: str, decorator: str) -> tuple[tuple[RequiredObject, ...], tuple[int, str] | None]:
    if decorator not in content:
        return (), None
    try:
        return tuple(read_requires(content, decorator)), None
    except RequiresParseError as exc:
        return (), (exc.line, str(exc))
