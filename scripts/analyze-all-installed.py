#!/usr/bin/env python
"""Analyse every top-level package installed on sys.path, one by one, and say how it went.

    python scripts/analyze-all-installed.py [--python PY] [--path DIR ...] [--timeout S] [--json FILE]

A robustness run, not a linter run: it proves importgraph finishes on whatever a real site-packages holds
(tens of thousands of files nobody wrote for it) without crashing, hanging or eating memory. Each package is
analysed in its own child process (``--one NAME``) so that one package that crashed, hung (``--timeout``) or
blew up memory is reported as such and the loop goes on, and so that the peak memory of each analysis can be
measured on its own (``ru_maxrss`` of the child and of its scan workers).

What is looked at: the ``site-packages``/``dist-packages`` entries of the interpreter's ``sys.path`` (or the
``--path`` directories). Every directory with a Python identifier as name that holds ``.py`` files or an
``__init__.py`` and every ``.py`` module is a top-level package. Not analysed, and listed as such:
single-file extension modules (``.so``/``.pyd``: no source), zip and egg archives (``*.zip``, ``*.egg``
files; importgraph reads only plain files), ``*.egg-info``/``*.dist-info`` metadata folders.

Printed: one line per package (files, lazy modules, findings, seconds, peak MB or the failure), then the
totals: packages analysed, files, findings, wall time, peak memory of the largest single analysis.
Exit status 1 when any package crashed or timed out, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ARCHIVE_SUFFIXES = (".zip", ".egg", ".whl")
EXTENSION_SUFFIXES = (".so", ".pyd")


def site_dirs(search_path: list[str]) -> list[str]:
    """The ``site-packages``-like entries of ``search_path`` (where installed distributions live)."""
    return [p for p in search_path if Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()]


def interpreter_path(python: str | None) -> list[str]:
    if python is None:
        return [p or os.getcwd() for p in sys.path]
    out = subprocess.run([python, "-c", "import json, sys; print(json.dumps(sys.path))"],
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def top_level_names(directory: str) -> tuple[list[str], list[str]]:
    """(names to analyse, ``what: why`` entries that are skipped) of one sys.path directory."""
    names, skipped = set(), []
    for entry in sorted(os.scandir(directory), key=lambda e: e.name):
        name = entry.name
        if name.startswith((".", "_")) and name not in ("_pytest", "_yaml", "_distutils_hack"):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            if name.endswith((".dist-info", ".egg-info", ".data")) or name == "__pycache__":
                continue
            if name.endswith(".egg"):
                skipped.append(f"{name}: egg directory (not analysed: not a package on this sys.path entry)")
            elif name.isidentifier() and _has_python(entry.path):
                names.add(name)
        elif name.endswith(".py") and name[:-3].isidentifier():
            names.add(name[:-3])
        elif name.endswith(EXTENSION_SUFFIXES):
            stem = name.split(".")[0]
            if stem.isidentifier() and not os.path.isdir(os.path.join(directory, stem)):
                skipped.append(f"{name}: compiled extension module (no source to analyse)")
        elif name.endswith(ARCHIVE_SUFFIXES):
            skipped.append(f"{name}: zip/egg archive (not analysed: importgraph reads plain files only)")
    return sorted(names), skipped


def _has_python(path: str) -> bool:
    try:
        with os.scandir(path) as entries:
            return any(e.name.endswith(".py") or e.is_dir() and e.name.isidentifier() for e in entries)
    except OSError:
        return False


def analyse_one(name: str, entry: str, python: str | None) -> dict:
    """Child side (``--one``): analyse one package, print one JSON line of figures."""
    import importgraph
    from importgraph.discover import find_target

    started = time.perf_counter()
    search_path = interpreter_path(python)
    target = find_target(name, python=python, search_path=[entry] + [p for p in search_path if p != entry])
    report = importgraph.analyze(target)
    by_rule: dict[str, int] = {}
    for finding in report.findings:
        by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
    return {
        "name": name, "entry": entry, "kind": target.kind, "files": report.stats.files,
        "lazy_modules": report.stats.lazy_modules, "lazy_names": report.stats.lazy_names,
        "unparsable": report.stats.unparsable, "undecided": report.stats.undecided,
        "findings": len(report.findings), "by_rule": by_rule,
        "seconds": round(time.perf_counter() - started, 3), "peak_mb": _peak_mb(),
    }


def _peak_mb() -> float:
    """Largest resident set of this process or any scan worker it waited for (Linux: ru_maxrss is in kB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def run_child(name: str, entry: str, python: str | None, timeout: float) -> dict:
    command = [sys.executable, __file__, "--one", name, "--entry", entry]
    if python:
        command += ["--python", python]
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"name": name, "entry": entry, "error": f"timed out after {timeout:.0f} s",
                "seconds": round(time.perf_counter() - started, 3)}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"name": name, "entry": entry, "error": f"exit {proc.returncode}: {tail}",
                "seconds": round(time.perf_counter() - started, 3)}
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", help="analyse the site-packages of this interpreter")
    parser.add_argument("--path", action="append", help="a sys.path directory to analyse (repeatable)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per package (default 600)")
    parser.add_argument("--json", type=Path, help="write every package's figures here")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--entry", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one:
        print(json.dumps(analyse_one(args.one, args.entry, args.python), sort_keys=True))
        return 0

    directories = args.path or site_dirs(interpreter_path(args.python))
    started = time.perf_counter()
    results, skipped, seen = [], [], set()
    for directory in directories:
        names, skip = top_level_names(directory)
        skipped += [f"{directory}/{s}" for s in skip]
        for name in names:
            if name in seen:  # shadowed by an earlier sys.path entry: the import system never sees it
                continue
            seen.add(name)
            result = run_child(name, directory, args.python, args.timeout)
            results.append(result)
            if "error" in result:
                print(f"{name:32} FAILED {result['error']}", flush=True)
            else:
                print(f"{name:32} {result['files']:6} files {result['lazy_modules']:4} lazy "
                      f"{result['findings']:5} findings {result['unparsable']:3} unparsable "
                      f"{result['seconds']:7.2f} s {result['peak_mb']:7.1f} MB", flush=True)
    wall = time.perf_counter() - started
    ok = [r for r in results if "error" not in r]
    failed = [r for r in results if "error" in r]
    totals = {
        "directories": directories, "packages_analysed": len(ok), "packages_failed": len(failed),
        "files": sum(r["files"] for r in ok), "lazy_modules": sum(r["lazy_modules"] for r in ok),
        "findings": sum(r["findings"] for r in ok), "unparsable": sum(r["unparsable"] for r in ok),
        "wall_seconds": round(wall, 1), "analysis_seconds": round(sum(r["seconds"] for r in ok), 1),
        "peak_mb": max((r["peak_mb"] for r in ok), default=0.0),
        "peak_mb_package": max(ok, key=lambda r: r["peak_mb"])["name"] if ok else None,
        "not_analysed": skipped,
    }
    print()
    for line in skipped:
        print(f"not analysed: {line}")
    print(f"\n{totals['packages_analysed']} packages analysed, {totals['packages_failed']} failed; "
          f"{totals['files']} files, {totals['lazy_modules']} lazy modules, {totals['findings']} findings, "
          f"{totals['unparsable']} unparsable files; {totals['wall_seconds']} s wall; peak memory "
          f"{totals['peak_mb']} MB ({totals['peak_mb_package']})")
    if args.json:
        args.json.write_text(json.dumps({"totals": totals, "packages": results}, indent=1, sort_keys=True))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
