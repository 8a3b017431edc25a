"""The scan cache: a file's :class:`~importgraph.model.ModuleFacts`, reused while its bytes are unchanged.

Entries are per file and keyed by the SHA-256 of the file's bytes, its module name and ``is_package``
(the only inputs of :func:`~importgraph.scan.visitor.scan_source` besides the path, which is the entry's
name). Everything else that could change the facts is in the pack's *fingerprint*: the cache format, the
Python version (``ast`` differs between versions) and a hash of the scanner's own source files, so an edited checkout of importgraph never reuses facts an older
scanner produced. A cache entry therefore can never change a result, only skip work.

Storage: one *pack* file per analysed package (its roots + the fingerprint name the file), holding every
file's entry (``path -> (sha256, module, is_package, pickled facts)``) in a ``marshal``-ed dict behind a
checksum. A warm run reads one file instead of 2,860 small ones (``open`` + ``read`` of many small files
costs more than decoding them), and rewriting it after an edit copies the unchanged entries' bytes
as they are. Writes go to a temporary file in the same directory followed by ``os.replace``, so two
concurrent runs sharing a cache directory each see either the old or the new pack, never a torn one; the
last writer wins and a lost update only costs the other run's entries a rescan. A pack that fails its
checksum or does not decode, and a directory that cannot be written, are reported with a
:class:`CacheWarning` and otherwise ignored.
"""

from __future__ import annotations

import gc
import hashlib
import marshal
import os
import pickle
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..model import ImportgraphWarning, ModuleFacts

CACHE_ENV = "IMPORTGRAPH_CACHE_DIR"
FORMAT = 1
MAGIC = b"IGSCAN\x00\x01"
_CHECKSUM_SIZE = 32

Entry = tuple[bytes, str, bool, bytes]
"""``(sha256 of the file, module, is_package, pickled ModuleFacts)``."""

CACHE_DIR_HELP = ("Cache directory for scanned files' facts and whole results (default: $IMPORTGRAPH_CACHE_DIR, "
                  "else the user cache directory).")
NO_CACHE_HELP = "Neither read nor write the cache (every file is scanned and every stage runs)."


class CacheWarning(ImportgraphWarning):
    """The cache could not be read or written; the analysis went on without it."""


def warn_unwritable(directory: Path, exc: OSError, stacklevel: int) -> None:
    """The one warning for a cache directory that cannot be written (the scan cache and the result cache both
    find out; the command line prints the same text once)."""
    warnings.warn(f"importgraph cache directory {directory} is not writable ({exc}); nothing is cached this run",
                  CacheWarning, stacklevel=stacklevel)


def default_cache_dir() -> Path:
    """``$IMPORTGRAPH_CACHE_DIR``, else the platform's user cache directory of importgraph."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("importgraph")) / "scan"




def _scanner_fingerprint() -> str:
    """Everything besides a file's bytes that decides its facts."""
    digest = hashlib.sha256()
    digest.update(f"format={FORMAT};python={sys.version_info[:2]}".encode())
    here = Path(__file__).resolve().parent
    for source in sorted(here.glob("*.py")) + [here.parent / "model.py", here.parent / "__init__.py"]:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


@dataclass
class ScanCache:
    """The pack of one analysed package: read once, looked up per file, written once if anything changed."""

    directory: Path
    roots: tuple[str, ...]
    entries: dict[str, Entry] = field(default_factory=dict)
    fresh: dict[str, Entry] = field(default_factory=dict)
    """The entries of this run (hits and new scans): what gets written back."""
    changed: bool = False

    @property
    def pack_path(self) -> Path:
        key = hashlib.sha256(repr((_fingerprint(), self.roots)).encode()).hexdigest()[:32]
        return self.directory / f"facts-{key}.pack"

    @classmethod
    def open(cls, directory: str | os.PathLike, roots: tuple[str, ...]) -> ScanCache:
        cache = cls(Path(directory), tuple(os.path.abspath(r) for r in roots))
        cache._load()
        return cache

    def _load(self) -> None:
        path = self.pack_path
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except (FileNotFoundError, NotADirectoryError):  # no pack yet; an unwritable directory warns on save
            return
        except OSError as exc:
            warnings.warn(f"importgraph cache {path} is unreadable ({exc}); scanning without it", CacheWarning,
                          stacklevel=3)
            return
        checksum, payload = data[len(MAGIC):len(MAGIC) + _CHECKSUM_SIZE], data[len(MAGIC) + _CHECKSUM_SIZE:]
        try:
            if not data.startswith(MAGIC) or hashlib.sha256(payload).digest() != checksum:
                raise ValueError("bad header or checksum")
            entries = marshal.loads(payload)
            if not isinstance(entries, dict):
                raise ValueError("not a pack")
        except (ValueError, EOFError, TypeError) as exc:
            warnings.warn(f"importgraph cache {path} is corrupt ({exc}); ignoring it", CacheWarning, stacklevel=3)
            return
        self.entries = entries
        touch(path)

    def lookup(self, path: str, digest: bytes, module: str, is_package: bool) -> ModuleFacts | None:
        """The cached facts of this exact file content, or None (a miss)."""
        entry = self.entries.get(path)
        if entry is None or entry[0] != digest or entry[1] != module or entry[2] != is_package:
            return None
        try:
            facts = pickle.loads(entry[3])
        except Exception:  # checksum-valid but undecodable: a stale class layout; rescan the file
            return None
        if not isinstance(facts, ModuleFacts):
            return None
        self.fresh[path] = entry
        return facts

    def store(self, path: str, digest: bytes, module: str, is_package: bool, pickled: bytes) -> None:
        self.fresh[path] = (digest, module, is_package, pickled)
        self.changed = True

    def save(self) -> None:
        """Write this run's entries if anything differs from what was read; never raises."""
        if not self.changed and self.fresh.keys() == self.entries.keys():
            return
        payload = marshal.dumps(self.fresh)
        try:
            atomic_write(self.pack_path, MAGIC + hashlib.sha256(payload).digest() + payload)
        except OSError as exc:
            warn_unwritable(self.directory, exc, stacklevel=4)
            return
        prune(self.directory, "facts-*.pack")


KEEP_ENTRIES = 16
"""Per kind (scan packs, result entries) and cache directory: the most recently used are kept, older ones
deleted after each write, so that the cache stays bounded across packages, options and importgraph versions
(a transformers result entry is ~22 MB, its scan pack ~9 MB)."""


def prune(directory: Path, pattern: str, keep: int = KEEP_ENTRIES) -> None:
    """Delete all but the ``keep`` most recently used files matching ``pattern`` (use = mtime: a hit
    touches its file). Races with other runs are harmless: a deleted entry is a miss."""
    try:
        entries = sorted(((path.stat().st_mtime_ns, path) for path in directory.glob(pattern)), reverse=True)
    except OSError:
        return
    for _, path in entries[keep:]:
        try:
            path.unlink()
        except OSError:
            pass


def touch(path: Path) -> None:
    """Mark a cache file as used now (for :func:`prune`); a read-only cache just keeps its order."""
    try:
        os.utime(path)
    except OSError:
        pass


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary file in its directory and ``os.replace``: a concurrent reader
    sees the old or the new content, never a torn one. Raises OSError; leaves no temporary file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.stem.split('-')[0]}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


_FINGERPRINT: str | None = None


def _fingerprint() -> str:
    global _FINGERPRINT
    if _FINGERPRINT is None:
        _FINGERPRINT = _scanner_fingerprint()
    return _FINGERPRINT


def pickle_facts(facts: ModuleFacts) -> bytes:
    return pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)


class gc_paused:
    """Unpickling thousands of facts (or building a graph) allocates objects that all live on; a cyclic GC
    pass in the middle only walks them again (and again), so that work runs with the collector off.

    On the way out everything allocated meanwhile is moved straight to the oldest generation
    (``freeze`` + ``unfreeze``): otherwise the first allocation after ``enable`` starts a young-generation
    pass over all of it (0.2 s for a transformers result). It stays collectable by later full passes."""

    def __enter__(self) -> None:
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        gc.freeze()
        gc.unfreeze()
        if self.enabled:
            gc.enable()


CACHE_FILE_PATTERNS = ("facts-*.pack", "result-*.pack", ".facts-*.tmp", ".result-*.tmp")
"""Every file importgraph writes in a cache directory (scan packs, result entries, their temporary files)."""


def clear_cache(directory: Path) -> tuple[int, int]:
    """Delete importgraph's files in ``directory`` (nothing else: the directory may be shared): ``(files,
    bytes)`` removed. Files another process removes meanwhile are skipped; other errors raise OSError."""
    removed = freed = 0
    for pattern in CACHE_FILE_PATTERNS:
        for path in directory.glob(pattern):
            try:
                size = path.stat().st_size
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
            freed += size
    return removed, freed
