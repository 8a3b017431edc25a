"""Dump the runtime lazy-import tables of a package as one JSON object on stdout.

Run by the *target* interpreter (a pinned test venv), never imported by the
test process::

    python probe_lazy.py PACKAGE [--path DIR]... [--import-pep562]

This is the runtime ground truth the static analyzer is compared against, so
it reads the tables the lazy machinery actually built instead of re-deriving
them.  Standard library only, because it runs inside venvs that contain
nothing but the package under test and its dependencies.

What it does:

* imports PACKAGE, then walks its directories on disk and imports every
  subpackage whose ``__init__.py`` looks like it builds a lazy module
  (``_LazyModule(`` or a ``__getattr__`` produced by a factory such as
  ``lazy_loader.attach``).  Importing such a package only builds its lazy
  table; it does not import torch or modeling code.
* packages with a hand-written PEP 562 ``def __getattr__`` are *not* imported
  unless ``--import-pep562`` is given: in transformers, ``pipelines`` is one,
  and importing it pulls in the auto-model machinery.  They are listed under
  ``pep562_not_imported`` instead (unless something else imported them, in
  which case they are described).
* describes each module by what is in its ``__dict__`` (never ``getattr``,
  which on a lazy module would trigger imports):

  - ``kind: "lazymodule"`` (has ``_class_to_module``; transformers/diffusers
    style): ``class_to_module``, ``modules``, ``object_missing_backend``
    (``null`` for implementations without that table, e.g. transformers 4.x),
    ``objects``, ``import_structure``, ``explicit_import_shortcut``;
  - ``kind: "lazy_loader"`` (``__getattr__`` closure holds ``attr_to_modules``):
    ``attr_to_modules``, ``submodules``, ``package_name``;
  - ``kind: "pep562"``: ``all`` (the module's ``__all__`` or ``null``);
  - ``kind: "not_lazy"`` for a candidate that turned out to be an ordinary module;
  - ``{"error": "<type>: <message>"}`` when the import raised.

stdout carries the JSON and nothing else: file descriptor 1 is pointed at
stderr while the package is imported, so prints, logging and C-level output
of the package cannot corrupt it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
import time
import types

# Packages whose mere presence in sys.modules after probing means the probe
# imported far more than the lazy tables.
HEAVY_MODULES = ("torch", "tensorflow", "jax", "flax", "torchvision")

# ``__getattr__`` bound at module level from a factory call, e.g.
# ``__getattr__, __dir__, __all__ = lazy.attach(...)`` or huggingface_hub's
# ``__getattr__, __dir__ = _attach(...)``.
_FACTORY_GETATTR = re.compile(r"^__getattr__\s*[,=]", re.MULTILINE)
_DEF_GETATTR = re.compile(r"^def __getattr__\s*\(", re.MULTILINE)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _render_key(key) -> str:
    """JSON object keys must be strings; frozenset backend keys become 'a,b' (sorted)."""
    if isinstance(key, (frozenset, set)):
        return ",".join(sorted(str(k) for k in key))
    return str(key)


def _normalize(value):
    """Make an import structure JSON-friendly and deterministic.

    dict -> dict with rendered keys (recursively); set/list/tuple of names ->
    sorted list (duplicates kept: they are part of what is stored).
    """
    if isinstance(value, dict):
        return {_render_key(k): _normalize(v) for k, v in sorted(value.items(), key=lambda kv: _render_key(kv[0]))}
    if isinstance(value, (set, frozenset, list, tuple)):
        items = [_normalize(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _closure_vars(func) -> dict:
    """Name -> value of the closure cells of ``func`` (empty cells skipped)."""
    code = getattr(func, "__code__", None)
    cells = getattr(func, "__closure__", None) or ()
    if code is None:
        return {}
    out = {}
    for name, cell in zip(code.co_freevars, cells):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # empty cell
            pass
    return out


def describe(module: types.ModuleType) -> dict:
    """Describe the lazy tables of ``module`` without triggering any lazy import."""
    d = vars(module)
    out: dict = {"type": f"{type(module).__module__}.{type(module).__qualname__}",
                 "file": d.get("__file__")}
    if "_class_to_module" in d:
        missing = d.get("_object_missing_backend")
        shortcut = d.get("_explicit_import_shortcut")
        out.update(
            kind="lazymodule",
            class_to_module=dict(sorted(d["_class_to_module"].items())),
            modules=sorted(d.get("_modules", ())),
            object_missing_backend=None if missing is None else {
                name: sorted(str(b) for b in backends) for name, backends in sorted(missing.items())
            },
            objects=sorted(d.get("_objects", {}) or {}),
            # public attributes set on the module object after it was built (diffusers' ``setattr`` of its
            # dummy objects); submodules the import system set on it are left out
            attributes=sorted(k for k, v in d.items() if not k.startswith("_") and not isinstance(v, types.ModuleType)),
            import_structure=_normalize(d.get("_import_structure")),
        )
        if shortcut is not None:
            out["explicit_import_shortcut"] = _normalize(shortcut)
        return out
    getattr_fn = d.get("__getattr__")
    if callable(getattr_fn):
        cells = _closure_vars(getattr_fn)
        if isinstance(cells.get("attr_to_modules"), dict):
            out.update(
                kind="lazy_loader",
                package_name=cells.get("package_name"),
                attr_to_modules=dict(sorted(cells["attr_to_modules"].items())),
                submodules=sorted(cells.get("submodules") or ()),
            )
            return out
        all_ = d.get("__all__")
        out.update(kind="pep562", all=None if all_ is None else [str(x) for x in all_])
        return out
    out["kind"] = "not_lazy"
    return out


def find_candidates(package: str, roots: list[str]) -> tuple[list[str], list[str]]:
    """Subpackages (dotted names) under ``roots`` that build lazy tables, and PEP 562 ones.

    Reads ``__init__.py`` text rather than importing, so nothing is imported
    just to find out whether it is lazy.  Directories without ``__init__.py``
    are still descended into (namespace subpackages).
    """
    lazy, pep562 = [], []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            # Only identifier-named directories can be subpackages; __pycache__ never is one.
            dirnames[:] = sorted(n for n in dirnames if n.isidentifier() and n != "__pycache__")
            if dirpath == root or "__init__.py" not in filenames:
                continue
            rel = os.path.relpath(dirpath, root)
            name = ".".join([package, *rel.split(os.sep)])
            try:
                with open(os.path.join(dirpath, "__init__.py"), encoding="utf-8", errors="replace") as fh:
                    text = fh.read()
            except OSError:
                continue
            if "_LazyModule(" in text or _FACTORY_GETATTR.search(text):
                lazy.append(name)
            elif _DEF_GETATTR.search(text):
                pep562.append(name)
    return sorted(set(lazy)), sorted(set(pep562))


def backend_availability(package: str) -> dict | None:
    """``{backend: bool}`` from ``PACKAGE.utils.import_utils.BACKENDS_MAPPING``, if that exists.

    Mirrors what ``_LazyModule`` itself does with the mapping: call the
    availability function; an exception counts as unavailable.
    """
    try:
        mod = importlib.import_module(f"{package}.utils.import_utils")
    except Exception:
        return None
    mapping = vars(mod).get("BACKENDS_MAPPING")
    if not isinstance(mapping, dict):
        return None
    result = {}
    for key, value in mapping.items():
        func = value[0] if isinstance(value, (tuple, list)) else value
        try:
            result[str(key)] = bool(func())
        except Exception:
            result[str(key)] = False
    return result


def _import(name: str):
    """Import ``name``; return (module-or-None, error-or-None).

    BaseException is caught because transformers' OptionalDependencyNotAvailable
    derives from it; KeyboardInterrupt / SystemExit still propagate.
    """
    try:
        importlib.import_module(name)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - recorded, not swallowed
        return None, _error(exc)
    return sys.modules.get(name), None


def probe(package: str, import_pep562: bool) -> dict:
    t_start = time.perf_counter()
    lazy_modules: dict[str, dict] = {}

    top, err = _import(package)
    t_top = time.perf_counter()
    if err is not None:
        lazy_modules[package] = {"error": err}
        roots: list[str] = []
    else:
        lazy_modules[package] = describe(top)
        roots = [str(p) for p in (vars(top).get("__path__") or [])]

    lazy, pep562 = find_candidates(package, roots)
    t_walk = time.perf_counter()
    to_import = lazy + (pep562 if import_pep562 else [])
    slowest = []
    for name in sorted(to_import):
        t0 = time.perf_counter()
        mod, err = _import(name)
        slowest.append((time.perf_counter() - t0, name))
        lazy_modules[name] = {"error": err} if err is not None else describe(mod)
    not_imported = []
    for name in pep562:
        if name in lazy_modules:
            continue
        if name in sys.modules:  # imported as a side effect: describing it is free
            lazy_modules[name] = describe(sys.modules[name])
        else:
            not_imported.append(name)
    t_subs = time.perf_counter()

    backends = backend_availability(package) if top is not None else None
    version = None
    if top is not None:
        version = vars(top).get("__version__")
        if version is None:
            objects = vars(top).get("_objects")
            if isinstance(objects, dict):
                version = objects.get("__version__")
    t_end = time.perf_counter()

    prefix = package + "."
    return {
        "package": package,
        "version": None if version is None else str(version),
        "python": sys.version,
        "sys_path": list(sys.path),
        "backends": backends,
        "lazy_modules": dict(sorted(lazy_modules.items())),
        "pep562_not_imported": not_imported,
        "heavy_modules_loaded": sorted(m for m in HEAVY_MODULES if m in sys.modules),
        # Model code = a ``modeling_*`` module inside a ``models`` package (not e.g.
        # transformers.modeling_gguf_pytorch_utils, a utility the core imports eagerly).
        "model_code_loaded": sorted(
            m for m in sys.modules
            if m.startswith(prefix) and ".models." in m and m.rpartition(".")[2].startswith("modeling_")
        ),
        "modules_loaded": sum(1 for m in sys.modules if m == package or m.startswith(prefix)),
        "timing": {
            "import_top_s": round(t_top - t_start, 3),
            "walk_s": round(t_walk - t_top, 3),
            "subpackages_s": round(t_subs - t_walk, 3),
            "backends_s": round(t_end - t_subs, 3),
            "total_s": round(t_end - t_start, 3),
            "slowest": [[name, round(s, 3)] for s, name in sorted(slowest, reverse=True)[:5]],
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("package")
    parser.add_argument("--path", action="append", default=[],
                        help="directory prepended to sys.path (repeatable; first given is searched first)")
    parser.add_argument("--import-pep562", action="store_true",
                        help="also import packages with a hand-written PEP 562 __getattr__")
    args = parser.parse_args(argv)

    sys.path[:0] = [os.path.abspath(p) for p in args.path]
    # Quiet transformers' logger (it writes to stderr anyway, but less noise is cheaper).
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

    # Keep fd 1 for the JSON; everything the package writes goes to stderr.
    sys.stdout.flush()
    json_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        result = probe(args.package, args.import_pep562)
    finally:
        sys.stderr.flush()
    with os.fdopen(json_fd, "w", encoding="utf-8") as out:
        json.dump(result, out, default=str)
        out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
