"""transformers' ``define_import_structure``, emulated from the files on disk.

Same walk (``os.scandir`` order, every sub-directory, ``convert_``/``modular_`` files skipped,
``__init__.py`` never read), same line readers (:mod:`.hf_reader`), same file-name backend rules
— read from the analysed package's ``BASE_FILE_REQUIREMENTS`` when we can evaluate it — and the same
``spread_import_structure`` reshaping, so dict order (which decides duplicate names) is the runtime's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ..model import ParseProblem
from ..scan.read import read_text
from .hf_reader import RequiresParseError, fetch_all, read_requires
from .values import Tagged

FileRule = Callable[[str, str], bool]
"""``(module_name_without_py, file_content) -> applies?``"""


@dataclass
class BaseRules:
    """The ordered ``BASE_FILE_REQUIREMENTS``: the first matching rule gives a file its base backends."""

    rules: list[tuple[FileRule, tuple[str, ...]]]
    source: str
    """Where the rules were read from (``path:line``) or ``built-in (transformers 5.23)``."""

    def backends_for(self, module_name: str, content: str) -> tuple[str, ...]:
        for check, backends in self.rules:
            if check(module_name, content):
                return backends
        return ()


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
    problems: list[ParseProblem] = field(default_factory=list)
    files_read: dict[str, str] = field(default_factory=dict)
    """Every file read (path -> content): rule IG008 compares these readings with Python's."""
    _cache: dict[str, dict] = field(default_factory=dict)
    _active: set[str] = field(default_factory=set)

    def define(self, path: str, prefix: str | None = None) -> dict:
        """``define_import_structure(path, prefix)``: ``{frozenset(backends): {module_key: {names}}}``."""
        spread = spread_import_structure(self.from_path(path))
        if prefix is None:
            return spread
        return {k: {f"{prefix}.{kk}": vv for kk, vv in v.items()} for k, v in spread.items()}

    def from_path(self, path: str) -> dict:
        """``create_import_structure_from_path``."""
        if os.path.isfile(path):
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
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.name == "__pycache__":
                        continue
                    if entry.is_dir():
                        import_structure[entry.name] = self.from_path(entry.path)
                    elif not entry.name.startswith(("convert_", "modular_")):
                        adjacent.append(entry.name)
        except OSError as exc:
            self.problems.append(ParseProblem(path, None, f"cannot list directory: {exc.strerror or exc}"))
            return {}
        if "__init__.py" in adjacent:
            adjacent.remove("__init__.py")

        module_requirements: dict = {}
        for filename in adjacent:
            if not filename.endswith(".py"):
                continue
            file_path = os.path.join(path, filename)
            content = self._read(file_path)
            if content is None:
                continue
            self._add_file(module_requirements, filename[:-3], file_path, content)
        return {**module_requirements, **import_structure}

    def _read(self, file_path: str) -> str | None:
        try:
            content = read_text(file_path)  # regular files only (a FIFO would block); universal newlines
        except (OSError, UnicodeDecodeError) as exc:
            # transformers would raise here and the whole package would fail to import.
            self.problems.append(ParseProblem(file_path, None, f"define_import_structure cannot read it: {exc}"))
            return None
        self.files_read[file_path] = content
        return content

    def _add_file(self, requirements: dict, module_name: str, file_path: str, content: str) -> None:
        base = self.rules.backends_for(module_name, content)
        exported: set[str] = set()
        try:
            required = read_requires(content)
        except RequiresParseError as exc:
            self.problems.append(ParseProblem(file_path, exc.line, str(exc)))
            return
        for obj in required:
            backends = frozenset(obj.backends + base)
            names = requirements.setdefault(backends, {}).setdefault(module_name, set())
            if obj.name:
                names.add(Tagged(obj.name, file_path, obj.line))
                exported.add(obj.name)
        if "__all__" in content:
            for read in fetch_all(content):
                if read.name not in exported:
                    names = requirements.setdefault(frozenset(base), {}).setdefault(module_name, set())
                    names.add(Tagged(read.name, file_path, read.line))


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
