"""Which optional backends are installed in the analysed environment, read from disk, never imported.

A package names its backends (``torch``, ``vision``, ``tokenizers``) and probes them with
``is_<backend>_available()``. We answer the same question statically in two steps:

1. *What does the backend need?* Read the package's own ``def is_<backend>_available()`` (transformers'
   ``utils/import_utils.py``): every ``_is_package_available("pkg")`` / ``find_spec("pkg")`` literal,
   every ``import pkg`` in its body, and every ``is_<other>_available()`` it calls (recursively) are
   import names that must all be present. Version floors and environment switches inside the probe are
   not evaluated (``is_torch_available`` also wants torch >= 2.6: we only report the version found).
   When the package has no readable probe, :data:`FALLBACK_IMPORT_NAMES` says it, else the backend's
   own name is the import name.
2. *Is that import name present?* It is when a ``*.dist-info`` on the interpreter's ``sys.path`` lists it
   (``top_level.txt``, else the first component of its ``RECORD`` paths) or when a package directory,
   ``.py`` file or extension module of that name sits on the path. Distribution name and version come
   from the ``METADATA`` of the dist-info.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from .discover import walk_package
from .model import Target, normalise_backend

FALLBACK_IMPORT_NAMES: dict[str, tuple[str, ...]] = {
    "vision": ("PIL",),
    "tf": ("tensorflow",),
    "tensorflow": ("tensorflow",),
    "flax": ("flax", "jax"),
    "jax": ("jax",),
    "torch": ("torch",),
    "pt": ("torch",),
    "torchvision": ("torch", "torchvision", "PIL"),
    "tokenizers": ("tokenizers",),
    "sentencepiece": ("sentencepiece",),
    "speech": ("torchaudio",),
    "sklearn": ("sklearn",),
    "jinja": ("jinja2",),
    "levenshtein": ("Levenshtein",),
    "cython": ("pyximport",),
    "mistral_common": ("mistral_common",),
}
"""Import names a backend needs when the package has no ``is_<backend>_available()`` we can read
(transformers 4.x/5.x spelling; ``pt`` is the dummy-file spelling of torch)."""

_PROBE = re.compile(r"^_?is_(\w+?)_available$")
_PACKAGE_CHECKS = {"_is_package_available", "find_spec", "is_package_available", "_is_package_installed"}


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str


@dataclass(frozen=True)
class BackendStatus:
    """Whether one backend is installed, and why we think so."""

    backend: str
    installed: bool
    needs: tuple[str, ...]
    """Import names that must all be present."""
    found: dict[str, Distribution | None] = field(default_factory=dict)
    """Import name -> the distribution that provides it (None: present on disk without dist-info)."""
    probe: str | None = None
    """``path:line`` of the ``is_<backend>_available`` definition that was read, or None (fallback table)."""

    def describe(self) -> str:
        parts = []
        for name in self.needs:
            dist = self.found.get(name)
            if name not in self.found:
                parts.append(f"{name}: not installed")
            elif dist is None:
                parts.append(f"{name}: present")
            else:
                parts.append(f"{name}: {dist.name} {dist.version}")
        return ", ".join(parts)


class InstalledPackages:
    """Import names present on a ``sys.path``, with the distribution that installed each."""

    def __init__(self, search_path: tuple[str, ...]):
        self.search_path = search_path
        self.by_import_name: dict[str, Distribution] = {}
        for entry in search_path:
            self._read_entry(Path(entry))

    def _read_entry(self, entry: Path) -> None:
        try:
            infos = sorted(entry.glob("*.dist-info"))
        except OSError:
            return
        for info in infos:
            meta = info / "METADATA"
            if not meta.is_file():
                continue
            headers = HeaderParser().parsestr(meta.read_text(encoding="utf-8", errors="replace"))
            dist = Distribution(headers.get("Name", info.name.split("-")[0]), headers.get("Version", "?"))
            for name in _top_level_names(info):
                self.by_import_name.setdefault(name, dist)

    def find(self, import_name: str) -> tuple[bool, Distribution | None]:
        """Is the (possibly dotted) import name present, and which distribution provides it?"""
        top = import_name.split(".")[0]
        dist = self.by_import_name.get(top)
        if dist is not None:
            return True, dist
        for entry in self.search_path:
            base = Path(entry)
            if (base / top / "__init__.py").is_file() or (base / f"{top}.py").is_file():
                return True, None
            try:
                if any(p.name.split(".")[0] == top and p.suffix in (".so", ".pyd") for p in base.glob(f"{top}.*")):
                    return True, None
            except OSError:
                continue
        return False, None


def _top_level_names(info: Path) -> set[str]:
    top_file = info / "top_level.txt"
    if top_file.is_file():
        return {line.strip() for line in top_file.read_text(errors="replace").split() if line.strip()}
    record = info / "RECORD"
    names: set[str] = set()
    if record.is_file():
        for line in record.read_text(errors="replace").splitlines():
            first = line.split(",")[0].split("/")[0]
            if not first or first.endswith((".dist-info", ".data", ".pth")) or first.startswith(("..", "__")):
                continue
            stem = first.split(".")[0]
            if stem.isidentifier() and (first.endswith((".py", ".so", ".pyd")) or "/" in line.split(",")[0]):
                names.add(stem)
    return names


@dataclass(frozen=True)
class _Probe:
    path: str
    line: int
    packages: tuple[str, ...]
    calls: tuple[str, ...]


_PROBE_DEF = re.compile(rb"^def _?is_\w+?_available\(", re.MULTILINE)


def read_probes(target: Target) -> dict[str, _Probe]:
    """``is_<backend>_available`` definitions of the package, read before (and without) the full scan.

    Only files whose text has a top-level ``def is_..._available(`` are parsed (a byte search over the
    package; cheap next to the analysis itself).
    """
    probes: dict[str, _Probe] = {}
    for source in walk_package(target):
        if source.kind != "source":
            continue
        try:
            data = Path(source.path).read_bytes()
        except OSError:
            continue
        if not _PROBE_DEF.search(data):
            continue
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and (match := _PROBE.match(node.name)):
                probes.setdefault(match.group(1), _read_probe(node, source.path))
    return probes


def _read_probe(func: ast.FunctionDef, path: str) -> _Probe:
    packages: list[str] = []
    calls: list[str] = []
    for node in ast.walk(func):
        if isinstance(node, ast.Import):
            packages.extend(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.append(node.module.split(".")[0])
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else None)
            if name in _PACKAGE_CHECKS and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                packages.append(node.args[0].value.split(".")[0])
            elif name and (match := _PROBE.match(name)) and match.group(1) != func.name:
                calls.append(match.group(1))
    return _Probe(path, func.lineno, tuple(dict.fromkeys(packages)), tuple(dict.fromkeys(calls)))


class BackendDetector:
    """Answers "is backend X installed?" for one analysed package and environment."""

    def __init__(self, target: Target):
        self.packages = InstalledPackages(target.search_path)
        self.probes = read_probes(target)
        self.base = target.sys_path_entry

    def needs(self, backend: str, _seen: frozenset[str] = frozenset()) -> tuple[tuple[str, ...], str | None]:
        key = normalise_backend(backend)
        probe = self.probes.get(key)
        if probe is not None and (probe.packages or probe.calls) and key not in _seen:
            names = list(probe.packages)
            for other in probe.calls:
                names.extend(self.needs(other, _seen | {key})[0])
            return tuple(dict.fromkeys(names)), f"{os.path.relpath(probe.path, self.base)}:{probe.line}"
        return FALLBACK_IMPORT_NAMES.get(key, (key,)), None

    def status(self, backend: str) -> BackendStatus:
        needs, probe = self.needs(backend)
        found: dict[str, Distribution | None] = {}
        for name in needs:
            present, dist = self.packages.find(name)
            if present:
                found[name] = dist
        return BackendStatus(normalise_backend(backend), all(n in found for n in needs), needs, found, probe)

    def known_backends(self) -> list[str]:
        return sorted(self.probes)

    def installed(self, backends: list[str] | None = None) -> list[str]:
        return [b for b in (backends if backends is not None else self.known_backends()) if self.status(b).installed]
