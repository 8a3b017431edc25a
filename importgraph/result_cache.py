"""The result cache: a whole analysis, reused while nothing it was computed from has changed.

The scan cache (:mod:`importgraph.scan.cache`) saves the parse; the stages after it (lazy maps, graph,
rules) still cost seconds on a large package. A *result entry* stores their output together with
everything it was computed from, and a later run reuses it only when all of that is unchanged:

- the *key* (the entry's file name): this importgraph's own source code, the Python and networkx versions,
  the target (name, roots, ``sys.path``, distribution, version, hard requirements), the modelled environment
  and the selected rules;
- the *inputs* (checked on every lookup): the package's file list (path, module, kind) and the SHA-256 of
  every source file, plus everything the later stages read (:mod:`importgraph.inputs`): every other file's
  digest, every directory listing ``define_import_structure`` walked, every ``sys.path`` probe.

A changed source file is not always a miss: the entry keeps, per file, what each later consumer took from
it (:func:`importgraph.inputs.note_use`). The changed file is scanned again; if its facts equal the stored
ones and every consumer's projection of the new bytes gives the stored token, nothing downstream can
differ and the result is reused (a comment edited in a modeling file, say). A file read whole by a later
stage (an init, the structure rules) has no projection: any change to it is a miss. Facts that differ are not
always a miss either: the entry keeps which of each module's bindings the later stages looked up, and what
each lookup found (:mod:`importgraph.fact_reads`). New facts that differ only in bindings nobody looked up
(a statement appended to a modeling file, binding a new name) give the same result; the entry is rewritten
with them, and the report holds them. New facts that are the stored ones with their lines moved (a statement
inserted mid-file) give the same result with those lines moved: the stored result is renumbered
(:mod:`importgraph.line_moves`; the graph's moves are kept in the header and applied when it is decoded). On a
miss the analysis runs in full (reusing the scan cache) and replaces the entry.

Runs with ``usage`` files are not cached (those are the user's code, outside the package). The file
holds four sections, each behind a CRC-32: the header (the inputs, marshal), the facts (module -> the
scan's own pickled bytes, marshal), the graph adjacency (marshal) and the rest (lazy maps, findings,
pickle). Writes are atomic (temporary file + ``os.replace``), so concurrent runs are safe; a corrupt
entry or an unwritable directory is a :class:`CacheWarning` and a miss. The facts of a reused result are
decoded per module on first access (:class:`DeferredFacts`): most commands never read them.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import pickle
import struct
import sys
import warnings
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

from . import inputs
from .discover import SourceFile
from .fact_reads import Reads, found, reads_of, same_reads
from .graph import from_adjacency
from .inputs import PROJECTIONS, ReadLog, Replay
from .line_moves import (Moves, compose_moves, line_moves, moved_facts, renumber_findings, renumber_graph,
                         renumber_lazy_modules, renumber_problems)
from .line_refs import Unmapped
from .model import Environment, Finding, LazyModule, ModuleFacts, ParseProblem, Target
from .scan.cache import CacheWarning, atomic_write, gc_paused, pickle_facts, prune, touch, warn_unwritable
from .scan.read import file_digest, read_source
from .scan.visitor import scan_source

if TYPE_CHECKING:
    import networkx as nx  # imported to decode a graph: a reused result that nobody asks the graph of never needs it

    from .analysis import Stats

FORMAT = 5
MAGIC = b"IGRESULT\x00\x05"
_LENGTH = struct.Struct("<QI")
"""A section's length and CRC-32."""
_HEADER_KEYS = {"files", "digests", "reads", "listings", "probes", "uses", "use_digests", "context", "bindings",
                "graph_moves"}

FileRow = tuple[str, str, bool, str]
"""``(path, module, is_package, kind)`` of one file of the package."""


def file_rows(files: Iterable[SourceFile]) -> list[FileRow]:
    return [(f.path, f.module, f.is_package, f.kind) for f in files]


def current_digests(files: Iterable[SourceFile]) -> dict[str, bytes | None]:
    """SHA-256 of every source file as it is now (None: unreadable), read the way the scan reads."""
    return {f.path: file_digest(f.path) for f in files if f.kind == "source"}


class DeferredFacts(Mapping[str, ModuleFacts]):
    """A cached result's module facts, each unpickled on first access (all 2,860 of transformers cost
    ~0.3 s to decode, and only ``explain`` and API users read them)."""

    def __init__(self, pickled: dict[str, bytes]):
        self._pickled = pickled
        self._decoded: dict[str, ModuleFacts] = {}

    def __getitem__(self, module: str) -> ModuleFacts:
        facts = self._decoded.get(module)
        if facts is None:
            facts = self._decoded[module] = pickle.loads(self._pickled[module])
        return facts

    def __iter__(self) -> Iterator[str]:
        return iter(self._pickled)

    def __len__(self) -> int:
        return len(self._pickled)

    def __contains__(self, module: object) -> bool:
        return module in self._pickled

    def __repr__(self) -> str:
        return f"<DeferredFacts of {len(self)} modules>"


@dataclass
class Payload:
    """What an entry stores besides its inputs: the parts of a :class:`~importgraph.analysis.Report` that
    cost time to compute (target and environment are this run's own, equal by the key)."""

    modules: Mapping[str, ModuleFacts]
    lazy_modules: dict[str, LazyModule]
    graph: nx.DiGraph | EncodedGraph
    """A result read back holds its graph still encoded."""
    findings: list[Finding]
    stats: Stats
    problems: list[ParseProblem]
    structure_rules: str | None
    reuse: str | None = None
    """Why a stored result holds (:attr:`importgraph.analysis.Report.reuse`); None for a computed one."""


class ResultCache:
    """One entry: ``result-<key>.pack`` in the cache directory."""

    def __init__(self, directory: str | os.PathLike, target: Target, env: Environment,
                 select: set[str] | None):
        self.directory = Path(directory)
        key = repr((FORMAT, _tool_fingerprint(), _target_key(target), _env_key(env),
                    None if select is None else sorted(select)))
        self.path = self.directory / f"result-{hashlib.sha256(key.encode()).hexdigest()[:32]}.pack"
        self._graph_section: tuple[nx.DiGraph, bytes] | None = None

    def encode_graph(self, graph: nx.DiGraph) -> None:
        """Encode the entry's graph section now (the graph is final once built): the analysis calls this
        while forked rules still run, so the store has less left to do after them (~0.2 s on transformers). A graph
        that cannot be encoded is left to the store, which warns that the result is not cached."""
        try:
            self._graph_section = (graph, _encode_graph(graph))
        except (ValueError, TypeError):
            self._graph_section = None

    # ------------------------------------------------------------------ lookup
    def lookup(self, files: list[SourceFile], digests: dict[str, bytes | None]) -> Payload | None:
        """The stored payload if its result still holds, else None. When an entry exists, ``digests`` is
        filled with every source file's current digest either way, so the scan does not hash them again."""
        data = self._read()
        if data is None:
            return None
        try:
            header, sections = _split(data)
        except ValueError as exc:
            warnings.warn(f"importgraph result cache {self.path} is corrupt ({exc}); ignoring it", CacheWarning,
                          stacklevel=3)
            return None
        digests.update(current_digests(files))
        changed = _changed_files(header, files, digests)
        if changed is None:
            return None
        try:
            pickled = marshal.loads(sections[0])
            facts = DeferredFacts(pickled)
            replayed = _replay(header, changed, facts, digests) if changed else Replayed()
            if replayed is None:
                return None
            graph_moves = header["graph_moves"]
            if replayed.moved:  # only lines moved: the stored result, renumbered
                graph_moves = compose_moves(graph_moves, replayed.moved)
            payload = _decode_payload(facts, sections[1], sections[2], graph_moves)
            if replayed.moved and not _renumber(payload, replayed.moved):
                return None
            payload.reuse = _why_it_holds(changed, replayed)
        except Exception as exc:  # checksum-valid but undecodable: a class layout changed; recompute
            warnings.warn(f"importgraph result cache {self.path} cannot be decoded ({exc}); ignoring it",
                          CacheWarning, stacklevel=3)
            return None
        if changed:  # still valid for the new bytes: record them, so that the next run is a plain hit
            header["digests"].update({path: digests[path] for path in changed})
            if replayed.renewed:  # new facts, read alike or with lines moved: the result holds them from now on
                pickled.update(replayed.renewed)
                payload.modules = DeferredFacts(pickled)
                rest = sections[2]
                if replayed.moved:  # the renumbered result; the graph's moves wait in the header
                    header["bindings"] = marshal.dumps(replayed.binding_reads)
                    header["graph_moves"] = graph_moves
                    rest = _encode_rest(payload)
                self._write([_encode_header(header), marshal.dumps(pickled), sections[1], rest])
            else:
                self._write([_encode_header(header)],
                            tail=data[len(data) - sum(_LENGTH.size + len(x) for x in sections):])
        else:
            touch(self.path)
        return payload

    def _read(self) -> bytes | None:
        try:
            with open(self.path, "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            warnings.warn(f"importgraph result cache {self.path} is unreadable ({exc}); analysing without it",
                          CacheWarning, stacklevel=4)
            return None

    # ------------------------------------------------------------------ store
    def store(self, files: list[SourceFile], digests: dict[str, bytes | None], log: ReadLog, payload: Payload,
              pickled: dict[str, bytes]) -> None:
        """Write the entry; ``pickled``: the scan's pickled facts by path (reused, not pickled again)."""
        rows = file_rows(files)
        header = {
            "files": rows,
            "digests": {path: digests.get(path) for path, _, _, kind in rows if kind == "source"},
            "reads": log.files, "listings": log.listings, "probes": log.probes,
            "uses": log.uses, "use_digests": log.use_digests, "context": log.context,
            "bindings": None,  # below: what each read found
            "graph_moves": {},  # lines moved since the graph section was written: applied when it is decoded
        }
        try:
            # decoded only when a changed file's facts differ
            header["bindings"] = marshal.dumps(found(log.bindings, payload.modules))
            paths = {module: path for path, module, _, _ in rows}
            facts = {module: pickled.get(paths.get(module, "")) or pickle_facts(value)
                     for module, value in payload.modules.items()}
            early = self._graph_section
            adjacency = early[1] if early is not None and early[0] is payload.graph else _encode_graph(payload.graph)
            sections = [_encode_header(header), marshal.dumps(facts), adjacency, _encode_rest(payload)]
        except (ValueError, TypeError, pickle.PicklingError) as exc:  # an attribute marshal cannot write
            warnings.warn(f"importgraph result not cached: {exc}", CacheWarning, stacklevel=3)
            return
        self._write(sections)

    def _write(self, sections: list[bytes], tail: bytes = b"") -> None:
        """Replace the entry atomically (``tail``: sections already framed, copied as they are); an
        unwritable directory is a warning, never an error."""
        data = b"".join([MAGIC, *(_LENGTH.pack(len(s), zlib.crc32(s)) + s for s in sections), tail])
        try:
            atomic_write(self.path, data)
        except OSError as exc:
            warn_unwritable(self.directory, exc, stacklevel=5)
            return
        prune(self.directory, "result-*.pack")


# ---------------------------------------------------------------------- validation
def _changed_files(header: dict, files: list[SourceFile], digests: dict[str, bytes | None]) -> list[str] | None:
    """None when an input changed in a way that voids the result; else the source files whose bytes changed
    and must be replayed (empty: nothing changed)."""
    if header["files"] != file_rows(files):
        return None
    stored = header["digests"]
    if stored.keys() != digests.keys():
        return None
    for path, digest in header["reads"].items():  # read whole by a later stage: any change voids
        now = digests[path] if path in digests else file_digest(path)
        if now != digest:
            return None
    if any(inputs.current_listing(path) != listing for path, listing in header["listings"].items()):
        return None
    if any(os.path.isfile(path) != found for path, found in header["probes"].items()):
        return None
    for path, digest in header["use_digests"].items():
        if path not in digests and file_digest(path) != digest:
            return None  # a file outside the package's walk: no facts to compare, so no replay
    return [path for path, digest in stored.items() if digests[path] != digest]


@dataclass
class Replayed:
    """What the changed files of a still valid entry bring to it."""

    renewed: dict[str, bytes] = field(default_factory=dict)
    """Module -> its new facts (pickled), where they differ from the stored ones."""
    moved: dict[str, Moves] = field(default_factory=dict)
    """Path -> how its lines moved, for the files whose new facts are the stored ones with lines moved: the
    stored result is renumbered (:mod:`importgraph.line_moves`)."""
    binding_reads: dict[str, Reads | None] | None = None
    """The entry's recorded binding reads, when they were decoded (renumbered for the moved files)."""


def _why_it_holds(changed: list[str], replayed: Replayed) -> str:
    if not changed:
        return "no input changed"
    files = f"{len(changed)} file{'' if len(changed) == 1 else 's'} changed"
    if replayed.moved:
        return f"{files}, lines moved in {len(replayed.moved)}: renumbered"
    return f"{files}, read alike by every stage"


def _replay(header: dict, changed: list[str], modules: Mapping[str, ModuleFacts],
            digests: dict[str, bytes | None]) -> Replayed | None:
    """None when a changed file voids the result; else what the changed files bring: the new facts of the changed
    modules whose facts differ, but only where no later stage looked (:func:`importgraph.fact_reads.same_reads`),
    or where the stored facts with their lines moved read alike (:func:`importgraph.line_moves.line_moves`); every
    changed file must also give the stored token of every use."""
    rows = {path: (module, is_package) for path, module, is_package, _ in header["files"]}
    scratch: dict[str, object] = {}
    replayed = Replayed()
    for path in changed:
        try:
            data = read_source(path, record=False)
        except OSError:
            return None
        if inputs.digest(data) != digests[path]:
            return None  # changed again while we looked
        module, is_package = rows[path]
        facts = scan_source(module, path, is_package, data)
        if module not in modules:
            return None
        old = modules[module]
        if old != facts:
            if replayed.binding_reads is None:
                replayed.binding_reads = marshal.loads(header["bindings"])
            reads = replayed.binding_reads.get(module, {})
            if not same_reads(old, facts, reads):
                moves = line_moves(old, facts)
                if moves is None or reads_of(old, reads) != reads:
                    return None
                moved = moved_facts(old, moves)
                if not same_reads(moved, facts, reads_of(moved, reads)):
                    return None
                replayed.moved[path] = moves
                replayed.binding_reads[module] = reads_of(facts, reads)
            replayed.renewed[module] = pickle_facts(facts)
        replay = Replay(header["context"], facts, scratch)
        for purpose, token in header["uses"].get(path, {}).items():
            projection = PROJECTIONS.get(purpose)
            if projection is None or projection(path, data, replay) != token:
                return None
    return replayed


# ---------------------------------------------------------------------- encoding
def _encode_header(header: dict) -> bytes:
    return marshal.dumps(header)


_SECTIONS = 4
"""The header (inputs), the facts (module -> pickled facts), the graph, the rest (lazy maps, findings...)."""


def _split(data: bytes) -> tuple[dict, list[bytes]]:
    """Check every section's checksum and return ``(header, [facts, graph, rest])`` (still encoded);
    ValueError when anything is off."""
    if not data.startswith(MAGIC):
        raise ValueError("bad header")
    sections = []
    at = len(MAGIC)
    for _ in range(_SECTIONS):
        if at + _LENGTH.size > len(data):
            raise ValueError("truncated")
        length, crc = _LENGTH.unpack_from(data, at)
        section = data[at + _LENGTH.size:at + _LENGTH.size + length]
        if len(section) != length or zlib.crc32(section) != crc:
            raise ValueError("checksum mismatch")
        sections.append(section)
        at += _LENGTH.size + length
    try:
        header = marshal.loads(sections[0])
    except (EOFError, ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from None
    if at != len(data):
        raise ValueError("trailing bytes")
    if not isinstance(header, dict) or not _HEADER_KEYS <= header.keys():
        raise ValueError("not a result entry")
    return header, sections[1:]


def _encode_graph(graph: nx.DiGraph) -> bytes:
    # The graph is plain data (str/bool/int/list/dict attributes): marshal writes and reads it 2-3x faster
    # than pickle and keeps the successor and predecessor maps sharing one dict per edge, as networkx does.
    return marshal.dumps((graph.graph, graph._node, graph._succ, graph._pred))


def _encode_rest(payload: Payload) -> bytes:
    return pickle.dumps((payload.lazy_modules, payload.findings, payload.stats, payload.problems,
                         payload.structure_rules), protocol=pickle.HIGHEST_PROTOCOL)


class EncodedGraph:
    """A cached result's graph section, decoded by :meth:`decode` (the report does it when ``.graph`` is first
    read: ~0.1 s on transformers, which ``check`` and the text output never spend), and the lines moved since it
    was written (renumbered then: :func:`importgraph.line_moves.renumber_graph`)."""

    def __init__(self, adjacency: bytes, moves: Mapping[str, Moves] | None = None):
        self._adjacency = adjacency
        self._moves = moves

    def decode(self) -> nx.DiGraph:
        with gc_paused():  # ~60k edge dicts, all kept: a collection in between would only walk them
            attributes, nodes, succ, pred = marshal.loads(self._adjacency)
        if self._moves:
            renumber_graph(nodes, succ, self._moves)
        return from_adjacency(nodes, succ, pred, attributes)


def _renumber(payload: Payload, moved: dict[str, Moves]) -> bool:
    """Renumber a decoded payload in place for files whose lines moved (its graph when it is decoded); False when a
    line of a moved file in the result is none of its facts' lines (the result is then computed again)."""
    try:
        renumber_lazy_modules(payload.lazy_modules, moved)
        payload.findings = renumber_findings(payload.findings, moved)
        payload.problems = renumber_problems(payload.problems, moved)
    except Unmapped:
        return False
    return True


def _decode_payload(facts: DeferredFacts, adjacency: bytes, rest: bytes, graph_moves: Mapping[str, Moves]) -> Payload:
    lazy_modules, findings, stats, problems, structure_rules = pickle.loads(rest)
    return Payload(facts, lazy_modules, EncodedGraph(adjacency, graph_moves), findings, stats, problems,
                   structure_rules)


# ---------------------------------------------------------------------- the key
def _target_key(target: Target) -> tuple:
    return (target.name, tuple(os.path.abspath(r) for r in target.roots), target.search_path,
            target.sys_path_entry, target.kind, target.version, target.distribution, target.requires,
            target.requires_python, target.shared_by)  # IG009 tells newer syntax apart by requires_python


def _env_key(env: Environment) -> tuple:
    return (None if env.available is None else sorted(env.available), sorted(env.unavailable), sorted(env.always))


_FINGERPRINT: str | None = None


def _tool_fingerprint() -> str:
    """importgraph's own source and the library versions its results depend on."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        digest = hashlib.sha256(f"python={sys.version};networkx={_networkx_version()}".encode())
        here = Path(__file__).resolve().parent
        for source in sorted(here.rglob("*.py")):
            digest.update(str(source.relative_to(here)).encode())
            digest.update(source.read_bytes())
        _FINGERPRINT = digest.hexdigest()
    return _FINGERPRINT


def _networkx_version() -> str:
    """The installed networkx's version, from its metadata (importing networkx costs ~0.3 s, which a reused
    result does not otherwise need)."""
    try:
        return version("networkx")
    except PackageNotFoundError:  # not installed as a distribution (vendored, a source checkout)
        import networkx

        return networkx.__version__
