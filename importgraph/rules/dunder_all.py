"""IG008: ``__all__`` that names unbound things, or that transformers' line reader reads differently."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from ..inputs import Replay, note_use, register_projection, token_of
from ..line_refs import at
from ..model import Finding, ModuleFacts, Severity
from ..resolve import resolve_name
from ..scan.read import decode_text, read_source
from .base import Rule, RuleContext, register

HOW_TO_WRITE_ALL = ("write `__all__ = [\"A\", \"B\"]` on one line ending in `]`, or `__all__ = [` then one quoted "
                    "name per line and a closing line holding only `]`, at column 0, with no comment after the "
                    "list")


@register
class InvalidAll(Rule):
    """``__all__`` names something the module does not bind, or the runtime reads it differently.

    ``from module import *`` raises ``AttributeError`` on the first name in ``__all__`` the module does
    not bind, and documentation and star-importing inits inherit the bad name. For files read by
    transformers' ``define_import_structure``, ``__all__`` and ``@requires`` are not parsed by Python
    but by a line scanner: a trailing comment after the list, a multi-line tuple, two names on one
    line, ``__all__ +=``, an indented ``__all__``, ``class X :`` or an ``async def`` under ``@requires``
    make the lazy map serve other names (or none) than the author wrote, silently.

    A name is bound when a top-level statement binds it, a star import brings it (through chains of star
    imports and ``from x import __all__``), a submodule has that name, or every module has it (``__doc__``).
    Where the module's attributes cannot be known statically — a module-level ``__getattr__`` (defined or
    assigned), a module object replaced in ``sys.modules``, names written through ``globals()`` or
    ``locals()`` or by a call handed ``globals()`` (websockets' ``lazy_import(globals(), aliases=...)``), a
    star import from a compiled module — the name is counted undecided, not reported.

    Fix: bind the name or drop it from ``__all__``; for structure files write ``__all__`` the one way
    the line reader understands (a one-line list, or one quoted name per line and a closing ``]``)
    and put ``@requires`` at column 0 directly above ``class X(`` / ``def f(``.
    """

    code = "IG008"
    name = "invalid-all"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        yield from self._unbound(ctx)
        by_path = {facts.path: facts for facts in ctx.modules.values()}
        for path in sorted(ctx.structure_files):
            facts = by_path.get(path)
            if facts is None or facts.problem is not None or facts.line_reading is None:
                continue
            loaded: list[bytes] = []

            def text(path: str = path) -> str:
                if not loaded:
                    try:
                        loaded.append(read_source(path, record=False))
                    except OSError:  # gone since the scan: the result cache sees the digest differ
                        loaded.append(b"")
                try:
                    return decode_text(loaded[0])
                except UnicodeDecodeError:
                    return ""

            findings, undecided = self.line_reader_findings(facts, text)
            if loaded:  # the findings depend on the text: the result cache replays them when it changes
                note_use(path, loaded[0], self.code, token_of((findings, undecided)))
            for _ in range(undecided):
                ctx.count_undecided(self.code)
            yield from findings

    def line_reader_findings(self, facts: ModuleFacts, text: Callable[[], str]) -> tuple[list[Finding], int]:
        """Findings on one file read by ``define_import_structure`` and how many readings were undecided.

        The scan's line reading (part of the facts) decides whether the readings differ; only then is the
        file's ``text()`` read, to say which construct made them differ and where (``check`` then notes the
        use, and the result cache replays this function on the new text when the file changes).
        """
        if facts.line_reading is None or facts.line_reading.undecodable is not None:
            return [], 0
        undecided = Counter()
        findings = list(self._all_reading(undecided, facts, text)) + list(self._requires_reading(facts, text))
        return findings, undecided[self.code]

    # ------------------------------------------------------------------ Python's view
    def _unbound(self, ctx: RuleContext) -> Iterable[Finding]:
        for module, facts in sorted(ctx.modules.items()):
            if not facts.dunder_all or facts.problem is not None:
                continue
            if facts.path.rsplit("/", 1)[-1].startswith("modular_"):
                # transformers' modular sources: templates for the code generator, never imported;
                # their __all__ names the classes of the *generated* modeling file.
                continue
            for name in dict.fromkeys(facts.dunder_all):
                resolution = resolve_name(module, name, ctx.modules, ctx.lazy_modules)
                if resolution.status == "undecided":
                    ctx.count_undecided(self.code)
                    break
                if resolution.status == "missing":
                    yield self.finding(
                        module, name, facts.path, facts.dunder_all_line,
                        f"__all__ of {module} lists {name!r}, which the module does not bind: "
                        f"`from {module} import *` raises AttributeError and any lazy map built from this "
                        f"__all__ serves a name that fails. Define or import {name!r}, or remove it from __all__.")

    # ------------------------------------------------------------------ the line reader's view
    def _all_reading(self, undecided: Counter, facts: ModuleFacts, text: Callable[[], str]) -> Iterable[Finding]:
        if not facts.line_reading.mentions_all:
            return
        if facts.dunder_all is None:
            if facts.dunder_all_undecided is not None:
                undecided[self.code] += 1
            python: list[str] = []
        else:
            python = list(facts.dunder_all)
        read = facts.line_reading.all_names
        runtime = [r.name for r in read]
        if set(runtime) == set(python):
            return
        lost = [n for n in python if n not in runtime]
        invented = [n for n in runtime if n not in python]
        line = read[0].line - 1 if read else (facts.dunder_all_line or 1)
        cause = _all_cause(text(), facts.dunder_all_line)
        parts = []
        if lost:
            parts.append(f"drops {_names(lost)}")
        if invented:
            parts.append(f"serves {_names(invented)} instead")
        yield self.finding(
            facts.name, "__all__", facts.path, max(line, 1),
            f"define_import_structure reads __all__ of {facts.name} with a line scanner that "
            f"{' and '.join(parts)} ({cause}); Python's __all__ is {_names(python)}. The lazy map silently "
            f"differs from what the file says: {HOW_TO_WRITE_ALL}.")

    def _requires_reading(self, facts: ModuleFacts, text: Callable[[], str]) -> Iterable[Finding]:
        lines = facts.line_reading
        if not lines.mentions_requires or lines.requires_error is not None:
            return  # a requires_error: the package fails to import, reported by IG009 (lazy stage's problems)
        read = lines.required
        runtime = {r.name: r for r in read}
        for obj in read:
            if obj.name and obj.name not in facts.requires:
                stripped = obj.name.split(":")[0].strip()
                if stripped in facts.requires:
                    yield self.finding(
                        facts.name, stripped, facts.path, obj.line,
                        f"define_import_structure reads the @requires object at line {at(facts.path, obj.line)} as "
                        f"{obj.name!r}, not {stripped!r}: the lazy map serves a name that does not exist and "
                        f"{stripped} is not exported. Write `class {stripped}(` / `def {stripped}(` with no "
                        "space before `(`/`:` and the body on the next line.")
        for name, backends in sorted(facts.requires.items()):
            if name in runtime or any(n.split(":")[0].strip() == name for n in runtime):
                got = runtime.get(name)
                if got is not None and set(got.backends) != set(backends) and "?" not in backends:
                    yield self.finding(
                        facts.name, name, facts.path, got.decorator_line,
                        f"define_import_structure reads the backends of @requires on {name} as "
                        f"{sorted(got.backends)}, Python as {sorted(backends)}: the lazy map declares other "
                        "backends than the decorator. Write `@requires(backends=(\"a\", \"b\"))` on one line.")
                continue
            line = _definition_line(text(), name)
            yield self.finding(
                facts.name, name, facts.path, line,
                f"@requires on {name} is invisible to define_import_structure's line scanner (it only sees "
                "column-0 `@requires` directly above `class`/`def`, and skips `async def`): "
                f"{name} is exported without its backends {sorted(backends)} (or not at all). Put the "
                "decorator at column 0 above a plain `class`/`def` line.")


def _names(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:4])
    return f"[{shown}{', ...' if len(names) > 4 else ''}]"


def _all_cause(text: str, python_line: int | None) -> str:
    """Which construct made the line reader diverge (the first that applies)."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("__all__")]
    if not starts:
        return "no line starts with `__all__` (it is indented or built elsewhere)"
    first = lines[starts[-1]]
    if python_line is not None and python_line - 1 != starts[-1] and len(starts) == 1 and \
            lines[python_line - 1].lstrip().startswith("__all__") and lines[python_line - 1] != first:
        return "an indented `__all__`"
    head = first.split("=", 1)[0] if "=" in first else first
    if "+" in head or "." in head:
        return f"`{first.strip()[:40]}` extends __all__ instead of assigning it; only the last `__all__` line counts"
    if len(starts) > 1:
        return "several lines start with `__all__`; only the last one is read"
    rest = first.split("=", 1)[1].strip() if "=" in first else ""
    if "#" in first:
        return "a comment after the list on the `__all__` line"
    if rest.startswith("("):
        return "a tuple: the reader only ends a list at `]`"
    if "]" in rest or rest.endswith(")"):
        return "the `__all__` line does not end with `]`"
    if any(part in rest for part in ("*", "__all__", "+")):
        return "a computed `__all__` (concatenation or unpacking)"
    body = []
    for line in lines[starts[-1] + 1:]:
        if line.strip() == "]":
            break
        body.append(line)
    if any(line.strip().startswith("#") for line in body):
        return "a comment line inside the list"
    if any(line.count(",") > 1 or line.count('"') > 2 or line.count("'") > 2 for line in body):
        return "several names on one line"
    if any(line.strip().endswith("]") for line in body):
        return "the closing `]` is not alone on its line"
    return "a layout the reader does not understand"


def _definition_line(text: str, name: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip()
        for prefix in ("class ", "def ", "async def "):
            if stripped.startswith(prefix + name):
                return number
    return 1


@register_projection(InvalidAll.code)
def _line_reader_token(path: str, data: bytes, replay: Replay) -> bytes:
    """IG008's token of a changed structure file whose findings read its text: the findings on the new bytes."""
    try:
        decode_text(data)
    except UnicodeDecodeError:
        return b"undecodable"
    return token_of(InvalidAll().line_reader_findings(replay.facts, lambda: decode_text(data)))
