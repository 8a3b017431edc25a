"""Scan files in a process pool: workers read, hash, parse and scan, and ship back pickled facts.

A worker returns ``(sha256, pickled ModuleFacts)`` per file, never an AST: facts are a few kilobytes, a
tree is megabytes of objects and would cost more to send than to rebuild. The pickled bytes go into the
cache as they are, so the parent only unpickles. ``fork`` is used where available: the children start in
milliseconds with importgraph already imported.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
from collections.abc import Iterator

from ..discover import SourceFile
from ..model import ModuleFacts, ParseProblem
from ..inputs import digest as content_digest
from .cache import pickle_facts
from .read import read_source
from .visitor import scan_source

MIN_FILES_FOR_POOL = 48
"""Below this many files to scan, the pool's start-up costs more than it saves."""

Job = tuple[str, str, bool]
"""``(module, path, is_package)`` of one source file."""
Result = tuple[str, bytes, bytes]
"""``(path, sha256 of the bytes read, pickled facts)``."""
Trees = dict[str, tuple[bytes, ast.Module]]
"""Path -> (sha256 of the bytes parsed, the tree) of files scanned in this process."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def scan_job(job: Job, trees: Trees | None = None) -> Result:
    """Read, hash and scan one file; an unreadable file becomes a recorded problem, never an exception.
    ``trees``: where to keep the file's parsed tree (with its digest)."""
    module, path, is_package = job
    try:
        source = read_source(path)  # regular files only: a FIFO named x.py must not block the scan
    except OSError as exc:
        facts = ModuleFacts(name=module, path=path, is_package=is_package)
        facts.problem = ParseProblem(path, None, f"unreadable: {exc.strerror or exc}")
        return path, b"", pickle_facts(facts)
    digest = content_digest(source)
    kept: dict[str, ast.Module] | None = {} if trees is not None else None
    facts = scan_source(module, path, is_package, source, trees=kept)
    if kept:
        trees[path] = (digest, kept[path])
    return path, digest, pickle_facts(facts)


def _scan_chunk(jobs: list[Job]) -> list[Result]:
    return [scan_job(job) for job in jobs]


def scan_jobs(jobs: list[Job], workers: int | None = None, *, here: list[Job] | None = None,
              trees: Trees | None = None) -> Iterator[Result]:
    """Results of ``jobs`` in completion order, in a pool when it pays off (else in this process).

    ``here``: jobs scanned in this process meanwhile, keeping their trees in ``trees`` (the inits, which the
    lazy stage evaluates next: this process is otherwise idle while the pool parses).
    """
    here = here or []
    workers = available_cores() if workers is None else workers
    if workers <= 1 or len(jobs) < MIN_FILES_FOR_POOL:
        for job in here:
            yield scan_job(job, trees)
        for job in jobs:
            yield scan_job(job)
        return
    # Largest files first so no worker is left parsing a 300 kB modeling file while the others idle;
    # small chunks keep the load balanced and the parent unpickling while workers still parse.
    jobs = sorted(jobs, key=_size, reverse=True)
    chunk = max(4, min(64, len(jobs) // (workers * 12)))
    chunks = [jobs[i:i + chunk] for i in range(0, len(jobs), chunk)]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(workers) as pool:
        pending = pool.imap_unordered(_scan_chunk, chunks)  # submitted now; results collected meanwhile
        for job in here:
            yield scan_job(job, trees)
        for results in pending:
            yield from results


def inits_for_this_process(jobs: list[Job], workers: int | None = None) -> tuple[list[Job], list[Job]]:
    """``(here, rest)``: the package inits this process scans while the pool scans the rest (smallest first,
    at most a fair share of the bytes, so that a package made mostly of inits does not wait on this process);
    every init when there is no pool."""
    workers = available_cores() if workers is None else workers
    inits = [job for job in jobs if job[2]]
    if workers <= 1 or len(jobs) - len(inits) < MIN_FILES_FOR_POOL:
        return sorted(inits, key=_size), [job for job in jobs if not job[2]]  # no pool: all scanned here anyway
    sizes = {job[1]: _size(job) for job in jobs}
    share = sum(sizes.values()) / (workers + 1)
    here: list[Job] = []
    taken = 0
    for job in sorted(inits, key=lambda job: sizes[job[1]]):
        taken += sizes[job[1]]
        if taken > share:
            break
        here.append(job)
    chosen = {job[1] for job in here}
    return here, [job for job in jobs if job[1] not in chosen]


def _size(job: Job) -> int:
    try:
        return os.path.getsize(job[1])
    except OSError:
        return 0


def as_job(source_file: SourceFile) -> Job:
    return source_file.module, source_file.path, source_file.is_package
