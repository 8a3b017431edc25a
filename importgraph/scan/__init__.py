"""Stage 2: scan every file of the package into :class:`~importgraph.model.ModuleFacts`.

Files are scanned in a process pool (:mod:`.pool`) and, when a cache directory is given, reused from the
scan cache (:mod:`.cache`) while their bytes are unchanged. Neither changes the result: the facts of a
file are a function of its bytes, module name and ``is_package`` only.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable

from ..discover import SourceFile
from ..model import UNLISTABLE, ModuleFacts, ParseProblem
from .cache import ScanCache, gc_paused
from .pool import Trees, as_job, inits_for_this_process, scan_job, scan_jobs
from .read import file_digest
from .visitor import scan_source

__all__ = ["scan_file", "scan_files", "scan_source"]


def scan_file(source_file: SourceFile) -> ModuleFacts:
    """Facts of one module; a file that cannot be read becomes a recorded problem, never an exception."""
    if source_file.kind == "unlistable":
        why = f"{UNLISTABLE}: {_why_unlistable(source_file.path)}"
        return ModuleFacts(name=source_file.module, path=source_file.path, is_package=True,
                           problem=ParseProblem(source_file.path, None, why))
    if source_file.kind != "source":
        return ModuleFacts(name=source_file.module, path=source_file.path, is_package=source_file.is_package)
    return pickle.loads(scan_job(as_job(source_file))[2])


def _why_unlistable(path: str) -> str:
    """Why the walk could not list ``path`` (asked again: ``os.walk`` reports it to its ``onerror`` only)."""
    try:
        os.listdir(path)
    except OSError as exc:
        return exc.strerror or str(exc)
    return "it could not be listed while the package was walked"


def scan_files(files: list[SourceFile], progress: Callable[[], None] | None = None, *,
               cache_dir: str | os.PathLike | None = None, cache_key: tuple[str, ...] = (),
               workers: int | None = None, digests: dict[str, bytes | None] | None = None,
               pickled: dict[str, bytes] | None = None, trees: Trees | None = None) -> dict[str, ModuleFacts]:
    """Facts of every module, keyed by dotted module name, in the order of ``files``.

    ``cache_dir``: reuse and refresh the scan cache there (``cache_key``, the package's roots, names its
    pack); ``workers``: processes to scan with (default: every usable core); ``digests``: the SHA-256 of
    source files already hashed this run (path -> digest, None if unreadable), completed with every file
    this scan reads; ``pickled``: filled with the pickled facts of every source file (path -> bytes), as the
    cache stores them; ``trees``: filled with the trees of the package inits scanned (path -> (digest, tree)):
    they are scanned in this process while the pool scans the rest, for the lazy stage to evaluate.
    """
    by_path: dict[str, ModuleFacts] = {}
    cache = ScanCache.open(cache_dir, cache_key) if cache_dir is not None else None
    jobs = []
    with gc_paused():
        for source_file in files:
            if source_file.kind != "source":
                by_path[source_file.path] = scan_file(source_file)
                _tick(progress)
                continue
            hit = _cached(cache, source_file, digests) if cache is not None and cache.entries else None
            if hit is None:
                jobs.append(as_job(source_file))
            else:
                by_path[source_file.path] = hit
                _tick(progress)
        modules = {job[1]: job[0] for job in jobs}
        packages = {job[1]: job[2] for job in jobs}
        here, rest = inits_for_this_process(jobs, workers) if trees is not None else ([], jobs)
        for path, digest, pickled_facts in scan_jobs(rest, workers, here=here, trees=trees):
            by_path[path] = pickle.loads(pickled_facts)
            if digests is not None:
                digests[path] = digest or None
            if pickled is not None:
                pickled[path] = pickled_facts
            if cache is not None and digest:
                cache.store(path, digest, modules[path], packages[path], pickled_facts)
            _tick(progress)
    if cache is not None:
        if pickled is not None:
            pickled.update((path, entry[3]) for path, entry in cache.fresh.items() if path not in pickled)
        cache.save()
    return {source_file.module: by_path[source_file.path] for source_file in files}


def _cached(cache: ScanCache, source_file: SourceFile, digests: dict[str, bytes | None] | None) -> ModuleFacts | None:
    if source_file.path not in cache.entries:
        return None
    if digests is not None and source_file.path in digests:
        digest = digests[source_file.path]
    else:
        digest = file_digest(source_file.path)  # regular files only: a FIFO must not block
        if digests is not None:
            digests[source_file.path] = digest
    if digest is None:
        return None  # the worker records why it cannot be read
    return cache.lookup(source_file.path, digest, source_file.module, source_file.is_package)


def _tick(progress: Callable[[], None] | None) -> None:
    if progress is not None:
        progress()
