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

import os
from collections.abc import Iterable

from .model import ModuleFacts, Probe, Target, normalise_backend
from .scan.probes import PROBE, read_probes
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
            for probe in read_probes(data, path):
                probes.setdefault(probe.backend, probe)
        return cls(probes)

    @classmethod
    def from_target(cls, target: Target) -> BackendImports:
        """Before any scan (``explain`` decides the environment first): walk the package's files."""
        from .discover import walk_package

        return cls.from_files(s.path for s in walk_package(target) if s.kind == "source")

    @classmethod
    def from_modules(cls, modules: dict[str, ModuleFacts]) -> BackendImports:
        """After the scan, from the probes it read (``ModuleFacts.probes``), in the order of the files' paths, of
        the modules whose facts bind an ``is_<x>_available`` function."""
        probes: dict[str, Probe] = {}
        for facts in sorted(modules.values(), key=_by_path):
            if facts.probes and any(b.kind == "def" and PROBE.match(n) for n, b in facts.bindings.items()):
                for probe in facts.probes:
                    probes.setdefault(probe.backend, probe)
        return cls(probes)

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


def _by_path(facts: ModuleFacts) -> str:
    return facts.path
