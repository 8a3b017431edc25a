"""Find the package to analyse on disk, the way the import system would, without importing it.

Only directories and files are looked at. The one process we may start is the interpreter the
user names with ``--python``, and only to print its ``sys.path``.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .distribution import (
    PROJECT_FILES,
    canonical,
    checkout_metadata,
    installed_metadata,
    project_name,
    python_source,
)
from .model import Target

EXTENSION_SUFFIXES = (".so", ".pyd")


class TargetNotFound(Exception):
    """The package could not be located; the message names what was searched."""


@dataclass(frozen=True)
class SourceFile:
    """One module of the analysed package as found on disk."""

    module: str
    path: str
    is_package: bool
    kind: str = "source"
    """``source`` (.py), ``extension`` (.so/.pyd), ``bytecode`` (a sourceless .pyc), ``namespace`` (a folder
    without ``__init__.py``), ``unlistable`` (a folder that cannot be listed: Python imports it as a package,
    and finds nothing under it)."""


def interpreter_sys_path(python: str) -> list[str]:
    """Ask another interpreter for its ``sys.path``: the only thing of it we ever run."""
    code = "import json, sys; print(json.dumps(sys.path))"
    try:
        out = subprocess.run(
            [python, "-c", code], capture_output=True, text=True, timeout=60, check=True, cwd=os.getcwd()
        )
    except FileNotFoundError as exc:
        raise TargetNotFound(f"--python {python}: no such interpreter") from exc
    except subprocess.CalledProcessError as exc:
        raise TargetNotFound(f"--python {python} failed to report its sys.path: {exc.stderr.strip()}") from exc
    except subprocess.TimeoutExpired as exc:
        raise TargetNotFound(f"--python {python} did not answer within 60 s") from exc
    return [p or os.getcwd() for p in json.loads(out.stdout)]


def current_sys_path() -> list[str]:
    return [p or os.getcwd() for p in sys.path]


def find_target(spec: str, python: str | None = None, search_path: list[str] | None = None) -> Target:
    """Resolve ``spec`` (an import name or a path) to a :class:`Target`.

    A bare name that is also a folder of the current directory is that folder when it holds Python code
    (a checkout named like its package), else the import name (``importgraph analyze h2`` next to an unrelated
    ``h2/`` folder).
    """
    if _looks_like_path(spec):
        try:
            return _target_from_path(Path(spec), python)
        except TargetNotFound as no_package_there:
            if not _is_import_name(spec):
                raise
            try:
                return _target_from_name(spec, _search_path(python, search_path), python)
            except TargetNotFound as not_installed:
                raise TargetNotFound(f"{no_package_there}; as an import name: {not_installed}") from None
    return _target_from_name(spec, _search_path(python, search_path), python)


def _search_path(python: str | None, search_path: list[str] | None) -> list[str]:
    if search_path is not None:
        return search_path
    return interpreter_sys_path(python) if python else current_sys_path()


def _looks_like_path(spec: str) -> bool:
    return os.sep in spec or spec.startswith(".") or spec.endswith(".py") or Path(spec).is_dir()


def _is_import_name(spec: str) -> bool:
    return not spec.endswith(".py") and all(part.isidentifier() for part in spec.split("."))


def _target_from_path(path: Path, python: str | None) -> Target:
    path = path.resolve()
    if not path.exists():
        raise TargetNotFound(f"{path}: no such file or directory")
    if path.is_file():
        if path.suffix != ".py":
            raise TargetNotFound(f"{path}: not a Python file or package directory")
        return _make_target(path.stem, (str(path),), str(path.parent), [str(path.parent)], "module", python)
    if (path / "__init__.py").is_file():
        return _make_target(path.name, (str(path),), str(path.parent), [str(path.parent)], "package", python)
    if _installed_namespace_portion(path) or _checkout_namespace(path):
        return _make_target(path.name, (str(path),), str(path.parent), [str(path.parent)], "namespace", python)
    checkout = _checkout_package(path)
    if checkout is not None:
        pkg, kind = checkout
        name = pkg.stem if kind == "module" else pkg.name
        return _make_target(name, (str(pkg),), str(pkg.parent), [str(pkg.parent)], kind, python)
    if any(path.glob("*.py")) and not any((path / name).is_file() for name in PROJECT_FILES):
        return _make_target(path.name, (str(path),), str(path.parent), [str(path.parent)], "namespace", python)
    raise TargetNotFound(f"{path}: no Python package here (no __init__.py, no package in src/, lib/ or at the "
                         "top, no .py files)")


_NOT_THE_LIBRARY = {"doc", "docs", "example", "examples", "benchmark", "benchmarks", "script", "scripts", "tools",
                    "utils", "ci", "build", "dist"}
"""Folders a project keeps beside its package (with an ``__init__.py`` at times): never the package analysed."""


def _checkout_package(path: Path) -> tuple[Path, str] | None:
    """A checkout's package: the one folder with an ``__init__.py`` in the Python source folder its
    ``pyproject.toml`` declares (:func:`~importgraph.distribution.python_source`), in ``src/``, ``lib/`` or at
    the top (tests, docs, examples and the like left out), or, of several, the one named like the project
    (``[project] name``, ``setup(name=...)``: aiohttp beside ``examples/``); else a folder named like the
    project without ``__init__.py``, a namespace package (optimum), or a module named like it (six)."""
    name = project_name(path)
    wanted = canonical(name) if name else None
    declared = python_source(path)
    bases = ([declared] if declared is not None else []) + [path / "src", path / "lib", path]
    for base in bases:
        packages = sorted(p.parent for p in base.glob("*/__init__.py") if not p.parent.name.startswith("."))
        named = [p for p in packages if canonical(p.name) == wanted]
        if named:
            return named[0], "package"
        candidates = [p for p in packages if not p.name.startswith("test") and p.name not in _NOT_THE_LIBRARY]
        if len(candidates) == 1:
            return candidates[0], "package"
        if len(candidates) > 1:
            names = ", ".join(c.name for c in candidates)
            unnamed = f", none named like the project ({name})" if name else ""
            raise TargetNotFound(f"{base} holds several packages ({names}){unnamed}; name one of their folders")
    for base in bases:
        folder = base / name if name else None  # spelt as the project spells itself, then as an import name
        for candidate in (folder, base / wanted if wanted else None):
            if candidate is not None and candidate.is_dir() and any(candidate.glob("**/*.py")):
                return candidate, "namespace"
        module = base / f"{wanted}.py" if wanted else None  # a single-module distribution (six, typing_extensions)
        if module is not None and module.is_file():
            return module, "module"
    return None


def _checkout_namespace(folder: Path) -> bool:
    """The namespace package of a checkout, given as its own folder (``optimum-2.3.0/optimum``, whose
    subpackages are not several packages to choose from): the checkout above it finds this very folder."""
    if not folder.name.isidentifier() or any((folder / name).exists() for name in PROJECT_FILES):
        return False
    for base in (folder.parent, folder.parent.parent):  # the checkout's top, or its src/ or lib/
        if any((base / name).is_file() for name in PROJECT_FILES):
            try:
                return _checkout_package(base) == (folder, "namespace")
            except TargetNotFound:
                return False
    return False


def _installed_namespace_portion(folder: Path) -> bool:
    """A folder without ``__init__.py`` in an installation (its parent holds ``*.dist-info``), named like a
    package and not a project checkout: a namespace package (``site-packages/optimum``), not a folder of
    several packages to choose from."""
    if not folder.name.isidentifier() or any((folder / name).exists() for name in PROJECT_FILES):
        return False
    try:
        return any(folder.parent.glob("*.dist-info")) or any(folder.parent.glob("*.egg-info"))
    except OSError:
        return False


def _target_from_name(name: str, search_path: list[str], python: str | None) -> Target:
    top = name.partition(".")[0]
    portions: list[str] = []
    for entry in search_path:
        base = Path(entry)
        if not base.is_dir():
            continue
        pkg = base / top
        if (pkg / "__init__.py").is_file():
            return _whole_package(name, _make_target(top, (str(pkg),), entry, search_path, "package", python))
        module = base / f"{top}.py"
        if module.is_file():
            return _whole_package(name, _make_target(top, (str(module),), entry, search_path, "module", python))
        if pkg.is_dir() and any(pkg.iterdir()):
            portions.append(str(pkg))
    if portions:
        target = _make_target(top, tuple(portions), str(Path(portions[0]).parent), search_path, "namespace", python)
        return _whole_package(name, target)
    raise TargetNotFound(_not_found_message(top, search_path, python))


def _whole_package(name: str, target: Target) -> Target:
    """``target`` for an import name given as TARGET: a top-level package. A dotted name (``numpy.linalg``) is
    refused rather than silently analysed as its top-level package; whether it exists is said too."""
    if name == target.name:
        return target
    inner = name.split(".")[1:]
    exists = any((Path(root, *inner[:-1]) / f"{inner[-1]}.py").is_file() or Path(root, *inner).is_dir()
                 for root in target.roots if Path(root).is_dir())
    if not exists:
        raise TargetNotFound(f"{target.name} has no module {name} (looked in {', '.join(target.roots)})")
    # Lazy maps and imports cross subpackages (transformers' init serves every model's names), so the unit of
    # analysis is the top-level package; explain answers for one name or module inside it.
    raise TargetNotFound(
        f"{name} is a module inside {target.name}; TARGET is a top-level package, as the lazy maps and imports "
        f"of its subpackages depend on each other. Run `importgraph analyze {target.name}` (and `importgraph "
        f"explain {target.name} {'.'.join(inner)}` for that module).")


def _not_found_message(name: str, search_path: list[str], python: str | None) -> str:
    known: set[str] = set()
    zipped: list[str] = []
    for entry in search_path:
        base = Path(entry)
        if base.is_file() and base.suffix in (".zip", ".egg", ".whl"):
            zipped.append(entry)
        if not base.is_dir():
            continue
        try:
            for child in base.iterdir():
                stem = child.name.split(".")[0].split("-")[0]
                if child.is_dir() or child.suffix == ".py":
                    known.add(stem)
        except OSError:
            continue
    where = f"the sys.path of {python}" if python else "this interpreter's sys.path"
    lines = [f"package {name!r} not found on {where}. Searched:"]
    lines += [f"  {p}" for p in search_path]
    close = difflib.get_close_matches(name, sorted(known), n=5, cutoff=0.6)
    if close:
        lines.append("Did you mean: " + ", ".join(close) + "?")
    if zipped:
        lines.append("Zip/egg entries on the path are not analysed: " + ", ".join(zipped))
    return "\n".join(lines)


def _make_target(
    name: str, roots: tuple[str, ...], entry: str, search_path: list[str], kind: str, python: str | None
) -> Target:
    # A checkout's requirements are installed wherever the interpreter has them (a path given: its sys.path too),
    # and theirs count in turn: trl requires accelerate, which requires torch.
    def environment() -> list[str]:
        return [*search_path, *_search_path(python, None)] if search_path == [entry] else search_path

    found = installed_metadata(name, Path(entry), namespace=kind == "namespace") or checkout_metadata(
        name, Path(entry), environment)
    return Target(
        name=name,
        roots=roots,
        search_path=tuple(p for p in search_path if os.path.exists(p)),
        sys_path_entry=entry,
        kind=kind,
        version=found.version or None if found is not None else None,
        distribution=found.name or None if found is not None else None,
        requires=found.requires if found is not None else (),
        requirements_from=found.source if found is not None else None,
        requirements_unread=found.unread if found is not None else (),
        requires_python=found.requires_python if found is not None else None,
        shared_by=found.shared_by if found is not None else (),
        python=python,
    )


def walk_package(target: Target) -> list[SourceFile]:
    """Every module of the target, in a stable order. Follows no symlinked directories."""
    files: list[SourceFile] = []
    for root in target.roots:
        root_path = Path(root)
        if root_path.is_file():
            files.append(SourceFile(target.name, str(root_path), False))
            continue

        def unlistable(error: OSError, root_path: Path = root_path) -> None:
            # Called by os.walk, in walk order, for a folder it cannot list (no read permission, or gone since
            # its parent was listed). The import system cannot list it either: every module under it is missing.
            rel = Path(error.filename).relative_to(root_path)
            files.append(SourceFile(".".join((target.name, *rel.parts)), str(error.filename), True, kind="unlistable"))

        for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and d.isidentifier())
            rel = Path(dirpath).relative_to(root_path)
            package = ".".join((target.name, *rel.parts))
            if "__init__.py" in filenames:
                files.append(SourceFile(package, os.path.join(dirpath, "__init__.py"), True))
            elif "__init__.pyc" in filenames:  # a sourceless package: importable, nothing to read
                files.append(SourceFile(package, os.path.join(dirpath, "__init__.pyc"), True, kind="bytecode"))
            elif any(f.endswith(".py") for f in filenames) or rel.parts == ():
                files.append(SourceFile(package, dirpath, True, kind="namespace"))
            for filename in sorted(filenames):
                full = os.path.join(dirpath, filename)
                if filename == "__init__.py":
                    continue
                if filename.endswith(".py"):
                    stem = filename[:-3]
                    if stem.isidentifier():
                        files.append(SourceFile(f"{package}.{stem}", full, False))
                elif filename.endswith(".pyc") and filename[:-1] not in filenames:
                    # Legacy sourceless module (x.pyc beside the package's files, not in __pycache__): the
                    # import system loads it, so it exists; its names cannot be read (undecided, not IG001).
                    stem = filename[:-4]
                    if stem.isidentifier() and stem != "__init__":
                        files.append(SourceFile(f"{package}.{stem}", full, False, kind="bytecode"))
                elif filename.endswith(EXTENSION_SUFFIXES):
                    stem = filename.split(".")[0]
                    if stem.isidentifier():
                        files.append(SourceFile(f"{package}.{stem}", full, False, kind="extension"))
    return _with_namespace_parents(files)


def _with_namespace_parents(files: list[SourceFile]) -> list[SourceFile]:
    """A folder without ``__init__.py`` that holds no module itself but a package deeper down (mistralai's
    ``azure/client/``) is a namespace package too: ``import mistralai.azure.client`` imports ``mistralai.azure``
    first. Each such folder is listed before the first module below it."""
    known = {f.module for f in files}
    out: list[SourceFile] = []
    for source_file in files:
        parts = source_file.module.split(".")
        folder = os.path.dirname(source_file.path)  # the parent package's folder (a module's own folder)
        if source_file.is_package and source_file.kind not in ("namespace", "unlistable"):
            folder = os.path.dirname(folder)  # .../a/b/__init__.py: the package a/b, in the folder a
        missing = []
        for depth in range(len(parts) - 1, 0, -1):
            parent = ".".join(parts[:depth])
            if parent in known:
                break
            missing.append(SourceFile(parent, folder, True, kind="namespace"))
            known.add(parent)
            folder = os.path.dirname(folder)
        out.extend(reversed(missing))
        out.append(source_file)
    return out
