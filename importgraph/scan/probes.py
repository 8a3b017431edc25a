"""Backend probes: what each top-level ``def is_<backend>_available()`` of a file checks.

Read during the scan, from the tree it parsed anyway (IG007 and IG012 need them; reading them later meant
parsing transformers' ``import_utils.py`` a second time). :mod:`importgraph.backend_names` turns them into
backend -> import names.
"""

from __future__ import annotations

import ast
import re
import sys

from ..model import Probe
from .read import parse_source

PROBE = re.compile(r"^_?is_(\w+?)_available$")
_PROBE_DEF = re.compile(rb"^def _?is_\w+?_available\(", re.MULTILINE)
_STDLIB = sys.stdlib_module_names
_PACKAGE_CHECKS = {"_is_package_available", "find_spec", "is_package_available", "_is_package_installed"}


def read_probes(source: bytes, path: str, tree: ast.Module | None = None) -> tuple[Probe, ...]:
    """The probes defined at the top of a file, in order (``tree``: the file already parsed). Only a file with
    ``def is_..._available(`` at the start of a line counts (a byte search, made before parsing a file, and
    after looking for such a function at the top of a parsed one: the search costs more than that look)."""
    if tree is None:
        if not _PROBE_DEF.search(source):
            return ()
        try:
            tree = parse_source(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return ()
    found = [(node, match.group(1)) for node in tree.body
             if isinstance(node, ast.FunctionDef) and (match := PROBE.match(node.name))]
    if not found or not _PROBE_DEF.search(source):
        return ()
    return tuple(_read_probe(node, tree, path, backend) for node, backend in found)


def _probed_packages(node: ast.AST) -> tuple[list[str], list[str]]:
    """(package names probed, other backends called) inside ``node``. The standard library a probe imports to do
    its probing (torch's ``import importlib.util`` before ``find_spec("spmd_types")``) is not what it probes."""
    packages: list[str] = []
    calls: list[str] = []
    for inner in ast.walk(node):
        if isinstance(inner, ast.Import):
            packages.extend(top for alias in inner.names if (top := alias.name.split(".")[0]) not in _STDLIB)
        elif isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
            if (top := inner.module.split(".")[0]) not in _STDLIB:
                packages.append(top)
        elif isinstance(inner, ast.Call):
            func = inner.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in _PACKAGE_CHECKS and inner.args:
                arg = inner.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    packages.append(arg.value.split(".")[0])
            elif match := PROBE.match(name):
                calls.append(match.group(1))
    return packages, calls


def _read_probe(func: ast.FunctionDef, tree: ast.Module, path: str, backend: str) -> Probe:
    packages, calls = _probed_packages(func)
    calls = [c for c in calls if c != backend]
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
    return Probe(backend, path, func.lineno, tuple(dict.fromkeys(packages)), tuple(dict.fromkeys(calls)))
