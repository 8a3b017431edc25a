"""Which optional backends are installed in the analysed environment, read from disk, never imported.

A package names its backends (``torch``, ``vision``, ``tokenizers``) and probes them with
``is_<backend>_available()``. We answer the same question statically in two steps:

1. *What does the backend need?* :mod:`importgraph.backend_names` reads the package's own
   ``def is_<backend>_available()`` (version floors inside it are not evaluated: we only report the
   version found).
2. *Is that import name present?* It is when a ``*.dist-info`` on the interpreter's ``sys.path`` lists it
   (``top_level.txt``, else the first component of its ``RECORD`` paths) or when a package directory,
   ``.py`` file or extension module of that name sits on the path. Distribution name and version come
   from the ``METADATA`` of the dist-info.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from .backend_names import BackendImports
from .distribution import top_level_names
from .model import Target, normalise_backend

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
            for name in top_level_names(info):
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


class BackendDetector:
    """Answers "is backend X installed?" for one analysed package and environment."""

    def __init__(self, target: Target):
        self.packages = InstalledPackages(target.search_path)
        self.names = BackendImports.from_target(target)
        self.base = target.sys_path_entry

    def needs(self, backend: str) -> tuple[tuple[str, ...], str | None]:
        """Import names the backend needs, and where its probe was read (None: the fallback table)."""
        return self.names.needs(backend), self.names.probe_location(backend, self.base)

    def status(self, backend: str) -> BackendStatus:
        needs, probe = self.needs(backend)
        found: dict[str, Distribution | None] = {}
        for name in needs:
            present, dist = self.packages.find(name)
            if present:
                found[name] = dist
        return BackendStatus(normalise_backend(backend), all(n in found for n in needs), needs, found, probe)

    def known_backends(self) -> list[str]:
        return sorted(self.names.probes)

    def installed(self, backends: list[str] | None = None) -> list[str]:
        return [b for b in (backends if backends is not None else self.known_backends()) if self.status(b).installed]
