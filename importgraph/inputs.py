"""What the stages after the scan read from disk, recorded so that a cached result knows what it depends on.

The scan's inputs are the package's files, which a cached result checks by content hash anyway. The later
stages read more: ``define_import_structure`` lists directories and reads sibling files, the lazy stage
re-parses inits and ``.pyi`` stubs and looks for modules on ``sys.path``, some rules re-read a file. Every
such read goes through :func:`importgraph.scan.read.read_source` or the two helpers here, and while a
:class:`ReadLog` is recording each one is noted: the file's digest (``None`` when it could not be read),
a directory's listing, a file-existence probe. :mod:`importgraph.result_cache` re-checks every note before
it reuses a result, so a result can only be reused while everything it was computed from is unchanged.

A read whose consumer only needs part of a file can be noted as a *use* instead (:func:`note_use`): the
purpose and a *token*, a digest of exactly what the consumer derived from the bytes. When such a file
changes, the result cache replays the purpose's registered *projection* (:func:`register_projection`) on
the new bytes; equal tokens mean the consumer's output, and so the result, is unchanged (the "early
cutoff" of build systems). A file read without a purpose counts whole: any change is a miss.

Recording is per process and only active inside :func:`recording` (the analysis after the scan is
single-threaded); outside it the helpers cost nothing extra.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

Listing = tuple[tuple[str, bool], ...]
"""A directory's entries in ``os.scandir`` order: ``(name, is_dir)``."""


@dataclass
class ReadLog:
    files: dict[str, bytes | None] = field(default_factory=dict)
    """Path -> SHA-256 of the bytes read, or None when the read failed (missing, not a regular file...)."""
    listings: dict[str, Listing | None] = field(default_factory=dict)
    """Directory -> its listing, or None when it could not be listed."""
    probes: dict[str, bool] = field(default_factory=dict)
    """Path -> whether ``os.path.isfile`` was true."""
    uses: dict[str, dict[str, bytes]] = field(default_factory=dict)
    """Path -> {purpose: token} for reads noted with :func:`note_use`."""
    use_digests: dict[str, bytes] = field(default_factory=dict)
    """Path -> SHA-256 of the bytes the uses were derived from."""
    context: dict[str, object] = field(default_factory=dict)
    """What projections need besides the bytes (plain data), e.g. where the structure rules came from."""
    bindings: dict[str, set[str] | None] = field(default_factory=dict)
    """Module -> the keys looked up in its bindings (:mod:`importgraph.fact_reads`), or None when they were read
    whole."""

    def merge(self, other: ReadLog) -> None:
        """Add what ``other`` recorded (e.g. a forked child running some of the rules)."""
        self.files.update(other.files)
        self.listings.update(other.listings)
        self.probes.update(other.probes)
        for path, uses in other.uses.items():
            self.uses.setdefault(path, {}).update(uses)
        self.use_digests.update(other.use_digests)
        self.context.update(other.context)
        for module, reads in other.bindings.items():
            mine = self.bindings.setdefault(module, set())
            if reads is None or mine is None:
                self.bindings[module] = None
            else:
                mine.update(reads)


def active_log() -> ReadLog | None:
    """The log being recorded into, if any."""
    return _active


Projection = Callable[[str, bytes, "Replay"], bytes]
"""``(path, new bytes, replay) -> token``; raises nothing (a file that fails must give a distinct token)."""

PROJECTIONS: dict[str, Projection] = {}


def register_projection(purpose: str) -> Callable[[Projection], Projection]:
    def decorate(function: Projection) -> Projection:
        PROJECTIONS[purpose] = function
        return function

    return decorate


@dataclass
class Replay:
    """What a projection may consult while a cached result is checked: the recorded context, the new
    facts of the changed file, and a scratch space to keep expensive things (rules) between files."""

    context: dict[str, object]
    facts: object
    scratch: dict[str, object] = field(default_factory=dict)


_active: ReadLog | None = None


@contextmanager
def recording() -> Iterator[ReadLog]:
    """Record every read made through this module and ``read_source`` until the block ends."""
    global _active
    previous, _active = _active, ReadLog()
    try:
        yield _active
    finally:
        _active = previous


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def note_read(path: str, data: bytes | None) -> None:
    """Called by ``read_source`` for every read (``None``: it failed)."""
    if _active is not None:
        _active.files[path] = None if data is None else digest(data)


def note_digest(path: str, sha256: bytes) -> None:
    """A read whose bytes another stage already hashed (the scan parsed an init the lazy stage evaluates)."""
    if _active is not None:
        _active.files[path] = sha256


def note_use(path: str, data: bytes | None, purpose: str, token: bytes) -> None:
    """Note that ``purpose`` derived ``token`` from ``data``, the bytes of ``path`` (None: the same bytes as
    an earlier use of that path, e.g. a text another stage read)."""
    if _active is not None:
        _active.uses.setdefault(path, {})[purpose] = token
        if data is not None:
            _active.use_digests[path] = digest(data)
        elif path not in _active.use_digests:
            raise ValueError(f"note_use({path!r}) without bytes and without an earlier use")


def note_context(key: str, value: object) -> None:
    if _active is not None:
        _active.context[key] = value


def token_of(value: object) -> bytes:
    """A token for plain data (``repr`` of str/int/tuple/list/None is stable across runs and hash seeds)."""
    return digest(repr(value).encode())


def list_directory(path: str) -> list[os.DirEntry]:
    """``os.scandir(path)`` without ``__pycache__``, recorded. Raises :class:`OSError` like ``scandir``."""
    try:
        listed = _entries(path)
    except OSError:
        if _active is not None:
            _active.listings[path] = None
        raise
    if _active is not None:
        _active.listings[path] = _listing_of(listed)
    return listed


def current_listing(path: str) -> Listing | None:
    """The listing as it is now (what :func:`list_directory` would record)."""
    try:
        return _listing_of(_entries(path))
    except OSError:
        return None


def _entries(path: str) -> list[os.DirEntry]:
    with os.scandir(path) as entries:
        return [entry for entry in entries if entry.name != "__pycache__"]


def _listing_of(entries: list[os.DirEntry]) -> Listing:
    return tuple((entry.name, _is_dir(entry)) for entry in entries)


def is_file(path: str) -> bool:
    """``os.path.isfile(path)``, recorded."""
    found = os.path.isfile(path)
    if _active is not None:
        _active.probes[path] = found
    return found


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
