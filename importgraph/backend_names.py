"""What a backend name means: the top-level import names ``is_<backend>_available()`` probes.

A package names its optional backends (``torch``, ``vision``, ``tokenizers``) and probes each with an
``is_<backend>_available()`` helper. We read those helpers statically — every
``_is_package_available("pkg")`` / ``find_spec("pkg")`` literal and ``import pkg`` in the body, a returned
module constant assigned from such a probe (transformers 4.x: ``_torch_available = ...``), and every
``is_<other>_available()`` it calls, recursively. Version floors and environment switches inside a probe
are not evaluated. When no helper can be read, :data:`FALLBACK_IMPORT_NAMES` says it, else the backend's
own name is the import name. Used by IG007 (which imports a backend means) and by ``explain`` (is it
installed).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .model import ModuleFacts, Target, normalise_backend
from .scan.read import read_source

FALLBACK_IMPORT_NAMES: dict[str, tuple[str, ...]] = {
    "vision": ("PIL",),
    "pil": ("PIL",),
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
    "torchaudio": ("torchaudio",),
    "sklearn": ("sklearn",),
    "scikit_learn": ("sklearn",),
    "cv2": ("cv2",),
    "opencv": ("cv2",),
    "bs4": ("bs4",),
    "protobuf": ("google",),
    "yaml": ("yaml",),
    "pyyaml": ("yaml",),
    "jinja": ("jinja2",),
    "levenshtein": ("Levenshtein",),
    "cython": ("pyximport",),
    "mistral_common": ("mistral_common",),
}
"""Import names of backends whose probe cannot be read (transformers/diffusers spelling; ``pt`` is the
dummy-file spelling of torch)."""

IMPLIED_IMPORTS: dict[str, tuple[str, ...]] = {
    "torchvision": ("torch",),
    "torchaudio": ("torch",),
    "flax": ("jax",),
    "tensorflow_text": ("tensorflow",),
    "keras_nlp": ("tensorflow", "tensorflow_text"),
    "timm": ("torch",),
    "accelerate": ("torch",),
}
"""A package that cannot be installed without another: declaring it covers that one too."""

DISTRIBUTION_IMPORT_NAMES: dict[str, str] = {
    "pillow": "PIL",
    "pyyaml": "yaml",
    "scikit_learn": "sklearn",
    "protobuf": "google",
    "opencv_python": "cv2",
    "beautifulsoup4": "bs4",
}
"""Distribution names (``Requires-Dist``) whose import name differs."""

_PROBE = re.compile(r"^_?is_(\w+?)_available$")
_PROBE_DEF = re.compile(rb"^def _?is_\w+?_available\(", re.MULTILINE)
_PACKAGE_CHECKS = {"_is_package_available", "find_spec", "is_package_available", "_is_package_installed"}


@dataclass(frozen=True)
class Probe:
    path: str
    line: int
    packages: tuple[str, ...]
    calls: tuple[str, ...]
    """Other backends whose ``is_<x>_available()`` this probe calls."""


class BackendImports:
    """Backend name -> import names, from the package's own probes."""

    def __init__(self, probes: dict[str, Probe]):
        self.probes = probes

    @classmethod
    def from_files(cls, paths: Iterable[str]) -> BackendImports:
        """Probes defined at top level of these files (files without ``def is_..._available(`` are skipped
        after a byte search, so this is cheap even over a whole package)."""
        probes: dict[str, Probe] = {}
        for path in paths:
            try:
                data = read_source(path)
            except OSError:
                continue
            if not _PROBE_DEF.search(data):
                continue
            try:
                tree = ast.parse(data)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and (match := _PROBE.match(node.name)):
                    probes.setdefault(match.group(1), _read_probe(node, tree, path))
        return cls(probes)

    @classmethod
    def from_target(cls, target: Target) -> BackendImports:
        """Before any scan (``explain`` decides the environment first): walk the package's files."""
        from .discover import walk_package

        return cls.from_files(s.path for s in walk_package(target) if s.kind == "source")

    @classmethod
    def from_modules(cls, modules: dict[str, ModuleFacts]) -> BackendImports:
        """After the scan: only the files whose facts bind an ``is_<x>_available`` function."""
        paths = [m.path for m in modules.values()
                 if any(b.kind == "def" and _PROBE.match(n) for n, b in m.bindings.items())]
        return cls.from_files(sorted(paths))

    def needs(self, backend: str, _seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Import names that must all be present for ``is_<backend>_available()`` to be true."""
        key = normalise_backend(backend)
        probe = self.probes.get(key)
        if probe is None or not (probe.packages or probe.calls) or key in _seen:
            return FALLBACK_IMPORT_NAMES.get(key, (key,))
        names = list(probe.packages)
        for other in probe.calls:
            names.extend(self.needs(other, _seen | {key}))
        return tuple(dict.fromkeys(names))

    def covered(self, backend: str) -> frozenset[str]:
        """Import names that declaring ``backend`` makes safe to import (what it needs and implies)."""
        names = set(self.needs(backend)) | set(FALLBACK_IMPORT_NAMES.get(normalise_backend(backend), ()))
        for name in list(names):
            names.update(IMPLIED_IMPORTS.get(name, ()))
        return frozenset(names)

    def probe_location(self, backend: str, base: str) -> str | None:
        probe = self.probes.get(normalise_backend(backend))
        return None if probe is None else f"{os.path.relpath(probe.path, base)}:{probe.line}"


def _probed_packages(node: ast.AST) -> tuple[list[str], list[str]]:
    """(package names probed, other backends called) inside ``node``."""
    packages: list[str] = []
    calls: list[str] = []
    for inner in ast.walk(node):
        if isinstance(inner, ast.Import):
            packages.extend(alias.name.split(".")[0] for alias in inner.names)
        elif isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
            packages.append(inner.module.split(".")[0])
        elif isinstance(inner, ast.Call):
            func = inner.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in _PACKAGE_CHECKS and inner.args:
                arg = inner.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    packages.append(arg.value.split(".")[0])
            elif match := _PROBE.match(name):
                calls.append(match.group(1))
    return packages, calls


def _read_probe(func: ast.FunctionDef, tree: ast.Module, path: str) -> Probe:
    packages, calls = _probed_packages(func)
    own = _PROBE.match(func.name)
    calls = [c for c in calls if own is None or c != own.group(1)]
    # transformers 4.x: ``def is_torch_available(): return _torch_available`` with the constant assigned
    # at module level (possibly inside try/if) from a probe call.
    returned = {n.value.id for n in ast.walk(func) if isinstance(n, ast.Return) and isinstance(n.value, ast.Name)}
    if returned:
        for stmt in tree.body:
            for inner in ast.walk(stmt) if isinstance(stmt, (ast.Try, ast.If, ast.Assign, ast.AnnAssign)) else ():
                if not isinstance(inner, (ast.Assign, ast.AnnAssign)):
                    continue
                targets = inner.targets if isinstance(inner, ast.Assign) else [inner.target]
                stored = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                if stored & returned and inner.value is not None:
                    packages.extend(_probed_packages(inner.value)[0][:1])
    return Probe(path, func.lineno, tuple(dict.fromkeys(packages)), tuple(dict.fromkeys(calls)))
