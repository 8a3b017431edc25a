"""transformers' ``define_import_structure``, emulated from the files on disk.

Same walk (``os.scandir`` order, every sub-directory, ``convert_``/``modular_`` files skipped as the
package's own release skips them, ``__init__.py`` never read), same line readers (:mod:`.hf_reader`, with
the release's ``@requires`` or ``@export``), same file-name backend rules — read from the analysed
package's ``BASE_FILE_REQUIREMENTS`` when we can evaluate it — and the same ``spread_import_structure``
reshaping, so dict order (which decides duplicate names) is the runtime's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ..inputs import Replay, is_file, list_directory, note_read, note_use, register_projection, token_of
from ..model import ModuleFacts, ParseProblem, Undecided
from ..scan.hf_reader import LineReading, ReadName, RequiredObject, read_lines
from ..scan.read import decode_text, read_source
from .values import Tagged, Unknown

FileRule = Callable[[str, str], "bool | None"]
"""``(module_name_without_py, file_content) -> applies?`` (None: the rule could not be evaluated)."""


@dataclass(frozen=True)
class DirectoryWalk:
    """Which sibling files ``create_import_structure_from_path`` leaves out: it changed between releases."""

    skip_prefixes: tuple[str, ...] = ("convert_", "modular_")
    """File names starting with these are not read (transformers 5.x after 5.0)."""
    modular_beside_modeling: bool = False
    """transformers 4.45-5.0: names containing ``modular_`` are dropped only when a name containing
    ``modeling_`` is in the same folder (and nothing else is skipped)."""
    decorator: str = "@requires"
    """The decorator the line scanner looks for: ``@export`` before transformers 4.52."""

    def files(self, names: list[str]) -> list[str]:
        """The sibling file names (in listing order) the runtime goes on to read."""
        kept = [name for name in names if not (self.skip_prefixes and name.startswith(self.skip_prefixes))]
        if self.modular_beside_modeling and any("modular_" in n for n in kept) and any("modeling_" in n for n in kept):
            kept = [name for name in kept if "modular_" not in name]
        return kept


@dataclass
class BaseRules:
    """The ordered ``BASE_FILE_REQUIREMENTS``: the first matching rule gives a file its base backends."""

    rules: list[tuple[FileRule, tuple[str, ...]]]
    source: str
    """Where the rules were read from (``path:line``) or ``built-in (transformers 5.23)``."""
    walk: DirectoryWalk = field(default_factory=DirectoryWalk)
    """Read from the same module's ``create_import_structure_from_path`` (built-in: 5.23's)."""

    def backends_for(self, module_name: str, content: str) -> tuple[str, ...]:
        return self.reading(module_name, content)[0]

    def reading(self, module_name: str, content: str) -> tuple[tuple[str, ...], int | None]:
        """The base backends, and the index of the first rule that could not be evaluated before the match
        (None when every rule up to the match was decided): then the backends are our best reading only."""
        undecided = None
        for index, (check, backends) in enumerate(self.rules):
            applies = check(module_name, content)
            if applies is None:
                undecided = index if undecided is None else undecided
            elif applies:
                return backends, undecided
        return (), undecided

    def reading_by_name(self, module_name: str) -> tuple[tuple[str, ...], None] | None:
        """:meth:`reading` when the module name alone decides it (every rule up to the match decided without
        looking at the content), else None: then the caller reads the file. Most files are decided by name
        (``"modeling_" in name``), so the lazy stage reads only the few whose rule inspects the content."""
        for check, backends in self.rules:
            try:
                applies = check(module_name, _CONTENT_NOT_READ)
            except TypeError:  # a built-in rule passed the content to a str function
                return None
            if applies is None:  # the evaluator met the unread content (or could not decide at all)
                return None
            if applies:
                return backends, None
        return (), None


_CONTENT_NOT_READ = Unknown("the file's content, not read")
"""Stands for the content while a rule is tried on the name alone: whatever depends on it is undecided."""


def builtin_rules() -> BaseRules:
    """transformers 5.23's rules, used when the analysed package's own cannot be evaluated."""
    import re

    torchvision_subclass = re.compile(r"^class\s+\w+\s*\([^)]*\bTorchvisionBackend\b", re.MULTILINE)
    return BaseRules(
        [
            (lambda n, c: "modeling_" in n, ("torch",)),
            (lambda n, c: "tokenization_" in n and n.endswith("_fast"), ("tokenizers",)),
            (lambda n, c: "image_processing_" in n and bool(torchvision_subclass.search(c)),
             ("vision", "torch", "torchvision")),
            (lambda n, c: "image_processing_" in n, ("vision",)),
            (lambda n, c: "video_processing_" in n, ("vision", "torch", "torchvision")),
            (lambda n, c: "generation_" in n, ("torch",)),
        ],
        "built-in (transformers 5.23)",
    )


@dataclass
class StructureReader:
    """Builds import structures for directories; caches per directory like the runtime's ``lru_cache``."""

    rules: BaseRules
    scanned: dict[str, ModuleFacts] = field(default_factory=dict)
    """Facts by path: their line readings stand in for reading the files again."""
    problems: list[ParseProblem] = field(default_factory=list)
    files_read: set[str] = field(default_factory=set)
    """Every module file the runtime would read: rule IG008 compares these readings with Python's."""
    undecided: list[Undecided] = field(default_factory=list)
    """Files whose base backends depend on a rule we could not evaluate."""
    _cache: dict[str, dict] = field(default_factory=dict)
    _active: set[str] = field(default_factory=set)

    def define(self, path: str, prefix: str | None = None) -> dict:
        """``define_import_structure(path, prefix)``: ``{frozenset(backends): {module_key: {names}}}``."""
        spread = spread_import_structure(self.from_path(path))
        if prefix is None:
            return spread
        return {k: {f"{prefix}.{kk}": vv for kk, vv in v.items()} for k, v in spread.items()}

    def undecided_under(self, path: str) -> list[Undecided]:
        """The undecided readings of files under the directory ``define(path)`` read."""
        prefix = os.path.join(os.path.dirname(path) if is_file(path) else path, "")
        return [u for u in self.undecided if u.path.startswith(prefix)]

    def from_path(self, path: str) -> dict:
        """``create_import_structure_from_path``."""
        if is_file(path):
            path = os.path.dirname(path)
        real = os.path.realpath(path)
        if real in self._cache:
            return self._cache[real]
        if real in self._active:  # a symlink loop: the runtime would recurse until it crashed
            self.problems.append(ParseProblem(path, None, "directory symlink loop under define_import_structure"))
            return {}
        self._active.add(real)
        try:
            result = self._read_directory(path)
        finally:
            self._active.discard(real)
        self._cache[real] = result
        return result

    def _read_directory(self, path: str) -> dict:
        import_structure: dict = {}
        adjacent: list[str] = []
        try:
            for entry in list_directory(path):  # scandir order, without __pycache__, recorded
                if entry.is_dir():
                    import_structure[entry.name] = self.from_path(entry.path)
                else:
                    adjacent.append(entry.name)
        except OSError as exc:
            self.problems.append(ParseProblem(path, None, f"cannot list directory: {exc.strerror or exc}"))
            return {}
        if "__init__.py" in adjacent:
            adjacent.remove("__init__.py")
        adjacent = self.rules.walk.files(adjacent)

        module_requirements: dict = {}
        for filename in adjacent:
            if not filename.endswith(".py"):
                continue
            file_path = os.path.join(path, filename)
            reading = self._reading_from_scan(filename[:-3], file_path)
            if reading is None:
                try:
                    data = read_source(file_path, record=False)  # regular files only (a FIFO would block)
                except OSError as exc:
                    note_read(file_path, None)
                    # transformers would raise here and the whole package would fail to import.
                    self.problems.append(ParseProblem(file_path, None,
                                                      f"define_import_structure cannot read it: {exc}"))
                    continue
                reading = self._reading_with_scan(filename[:-3], file_path, data)
                if reading is None:
                    reading = read_structure_file(filename[:-3], data, self.rules)
                    note_use(file_path, data, "structure", token_of(reading))
            self.files_read.add(file_path)
            self._add_file(module_requirements, filename[:-3], file_path, reading)
        return {**module_requirements, **import_structure}

    def _reading_from_scan(self, module_name: str, file_path: str) -> FileReading | None:
        """The file's reading from its scanned line reading when the rules decide its base backends by name.

        Nothing is noted for the result cache: the reading is part of the file's facts (compared when the file
        changes) and the name is part of the recorded directory listing.
        """
        facts = self.scanned.get(file_path)
        if facts is None or facts.line_reading is None:
            return None  # not scanned (e.g. a folder without __init__.py): read it
        lines = facts.line_reading
        if lines.undecodable is not None:
            return FileReading(problem=(None, lines.undecodable))
        decided = self.rules.reading_by_name(module_name)
        if decided is None:
            return None
        return combine_reading(lines, *decided, self.rules.walk.decorator)

    def _reading_with_scan(self, module_name: str, file_path: str, data: bytes) -> FileReading | None:
        """The reading of a file whose rules read its content: their outcome from the bytes, the line readers' part
        from its facts (the same function of the same bytes). Only the rules' outcome is noted as the file's use:
        the line readers' part is compared with the facts when the file changes, where an edit that only moves lines
        is told apart (:mod:`importgraph.line_moves`); the whole reading, lines included, would not be."""
        facts = self.scanned.get(file_path)
        if facts is None or facts.line_reading is None or facts.line_reading.undecodable is not None:
            return None
        decided = self.rules.reading(module_name, decode_text(data))
        note_use(file_path, data, "structure-base", token_of(decided))
        return combine_reading(facts.line_reading, *decided, self.rules.walk.decorator)

    def _add_file(self, requirements: dict, module_name: str, file_path: str, reading: FileReading) -> None:
        if reading.problem is not None:
            self.problems.append(ParseProblem(file_path, reading.problem[0], reading.problem[1]))
            return
        if reading.undecided_rule is not None:
            self.undecided.append(Undecided(file_path, 1, f"BASE_FILE_REQUIREMENTS rule {reading.undecided_rule + 1} "
                                            f"({self.rules.source}) could not be evaluated for this file, so its base "
                                            f"backends {list(reading.base)} (from the first later rule that "
                                            "matched) may differ from the runtime's"))
        exported: set[str] = set()
        for obj in reading.required:
            backends = frozenset(obj.backends + reading.base)
            names = requirements.setdefault(backends, {}).setdefault(module_name, set())
            if obj.name:
                names.add(Tagged(obj.name, file_path, obj.line))
                exported.add(obj.name)
        for read in reading.all_names:
            if read.name not in exported:
                names = requirements.setdefault(frozenset(reading.base), {}).setdefault(module_name, set())
                names.add(Tagged(read.name, file_path, read.line))


@dataclass(frozen=True)
class FileReading:
    """All ``define_import_structure`` takes from one file: a function of its bytes (and the rules) only,
    so its ``repr`` is the file's token in the result cache (:mod:`importgraph.inputs`)."""

    base: tuple[str, ...] = ()
    """Backends of the first matching ``BASE_FILE_REQUIREMENTS`` rule."""
    required: tuple[RequiredObject, ...] = ()
    all_names: tuple[ReadName, ...] = ()
    problem: tuple[int | None, str] | None = None
    """Why the runtime would raise on this file: undecodable, or a malformed ``@requires``."""
    undecided_rule: int | None = None
    """Index of a ``BASE_FILE_REQUIREMENTS`` rule we could not evaluate for this file (``base`` is a guess)."""


def read_structure_file(module_name: str, data: bytes, rules: BaseRules) -> FileReading:
    """transformers' reading of one sibling file: strict UTF-8 with universal newlines, then the line readers."""
    lines, content = read_lines(data)
    if content is None:
        return FileReading(problem=(None, lines.undecodable))
    return combine_reading(lines, *rules.reading(module_name, content), rules.walk.decorator)


def combine_reading(lines: LineReading, base: tuple[str, ...], undecided: int | None,
                    decorator: str = "@requires") -> FileReading:
    """A decodable file's reading: its line readers' view under its base backends."""
    required, error = lines.objects(decorator)
    if error is not None:
        return FileReading(base, problem=error)
    return FileReading(base, required, lines.all_names, undecided_rule=undecided)


@register_projection("structure")
def _structure_token(path: str, data: bytes, replay: Replay) -> bytes:
    """The token of a changed sibling file, under the rules the cached run used."""
    module_name = os.path.basename(path)[:-3]
    return token_of(read_structure_file(module_name, data, _replayed_rules(replay)))


@register_projection("structure-base")
def _structure_base_token(path: str, data: bytes, replay: Replay) -> bytes:
    """The token of a changed sibling file read with its facts (:meth:`StructureReader._reading_with_scan`): the
    outcome of the rules the cached run used."""
    try:
        content = decode_text(data)
    except UnicodeDecodeError:
        return b"undecodable"  # its facts say so too: they differ from the stored ones, which were decodable
    return token_of(_replayed_rules(replay).reading(os.path.basename(path)[:-3], content))


def _replayed_rules(replay: Replay) -> BaseRules:
    rules = replay.scratch.get("structure_rules")
    if rules is None:
        rules = replay.scratch["structure_rules"] = rules_from_context(replay.context.get("structure_rules"))
    return rules


def package_rules(module: str, path: str, *, record: bool = True) -> BaseRules | None:
    """The analysed package's own ``BASE_FILE_REQUIREMENTS`` in ``path``, or None when it cannot be read or
    evaluated (then transformers' own rules, :func:`builtin_rules`, are the fallback)."""
    from .constants import read_base_rules

    try:
        return read_base_rules(module, path, read_source(path, record=record))
    except OSError:
        return None


def rules_from_context(origin: object) -> BaseRules:
    """The rules a recorded run used: the package's own (``(module, path)``) or the built-in ones."""
    rules = None
    if isinstance(origin, (tuple, list)) and len(origin) == 2:
        rules = package_rules(*origin, record=False)
    return rules or builtin_rules()


def spread_import_structure(nested: dict) -> dict:
    """``spread_import_structure``: lift the backend frozensets to the top, flatten module paths."""

    def propagate(unordered: dict) -> dict:
        first: dict = {}
        for key, value in unordered.items():
            if not isinstance(value, dict):
                first[key] = value
            elif any(isinstance(v, frozenset) for v in value):
                for k, v in value.items():
                    if isinstance(k, frozenset):
                        first.setdefault(k, {}).setdefault(key, {}).update(v)
                    else:
                        for r_k, r_v in propagate({k: v}).items():
                            if isinstance(key, frozenset):
                                first.setdefault(r_k, {}).setdefault(key, {}).update(r_v)
                            else:
                                first.setdefault(key, {}).setdefault(r_k, {}).update(r_v)
            else:
                first[key] = propagate(value)
        return first

    def flatten(tree: dict, previous: str | None = None) -> dict:
        items = []
        for key, value in tree.items():
            key = f"{previous}.{key}" if previous is not None else key
            if isinstance(value, dict):
                items.extend(flatten(value, key).items())
            else:
                items.append((key, value))
        return dict(items)

    ordered = nested
    for _ in range(6):  # the runtime's fixed depth: folders nested deeper are never lifted
        ordered = propagate(ordered)
    return {key: flatten(value) for key, value in ordered.items() if not isinstance(key, str)}
