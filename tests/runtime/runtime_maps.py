"""Run ``probe_lazy.py`` inside a target interpreter and return (and cache) its JSON.

The probe must run in the interpreter that has the package installed (a pinned
test venv), never in the test process: the test process has its own, possibly
different, set of installed backends, and importing transformers there would
leave global state behind.

Caching: a probe of transformers 5.23 costs ~2.5 s, and the result only
depends on the installed files, so results for packages installed in the
interpreter's site-packages are cached under ``<cache>/probe-results/``.
Runs with ``extra_paths`` (test fixtures on disk, edited freely) are never
cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

from .venvs import cache_root

__all__ = ["PROBE_SCRIPT", "ProbeError", "runtime_lazy_maps"]

PROBE_SCRIPT = Path(__file__).with_name("probe_lazy.py")

# Variables that change what the probed package does at import time; a test
# result must not depend on the developer's shell.
_DROPPED_ENV = (
    "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV",
    "USE_TORCH", "USE_TF", "USE_FLAX", "USE_JAX", "USE_TORCH_XLA",
    "DIFFUSERS_SLOW_IMPORT", "TRANSFORMERS_NO_ADVISORY_WARNINGS",
)
_TIMEOUT_S = 600


class ProbeError(RuntimeError):
    """The probe subprocess failed or printed something that is not one JSON object."""


def _probe_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env["TRANSFORMERS_VERBOSITY"] = "error"
    return env


def _locate(python: Path, package: str) -> dict:
    """Ask ``python`` where ``package``'s ``__init__.py`` is and where its purelib is.

    ``find_spec`` on a top-level name locates the package without executing it.
    """
    code = (
        "import importlib.util, json, sys, sysconfig\n"
        "spec = importlib.util.find_spec(sys.argv[1])\n"
        "print(json.dumps({'origin': spec and spec.origin,"
        " 'purelib': sysconfig.get_paths()['purelib']}))\n"
    )
    proc = subprocess.run(
        [str(python), "-I", "-c", code, package],
        capture_output=True, text=True, env=_probe_env(), cwd=tempfile.gettempdir(),
    )
    if proc.returncode != 0:
        raise ProbeError(f"locating {package} with {python} failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout)


def _cache_key(python: Path, package: str, import_pep562: bool) -> str | None:
    """Key for a site-packages install, or None when the result must not be cached.

    Besides the brief's (interpreter, package, ``__init__.py`` mtime/size) it
    covers the probe script itself (a changed probe means different output)
    and the purelib directory's mtime, which changes when a top-level package
    is added or removed -- e.g. installing torch, which flips backend
    availability without touching transformers' files.
    """
    where = _locate(python, package)
    origin, purelib = where["origin"], where["purelib"]
    if not origin or not os.path.isfile(origin):
        return None
    try:
        inside = os.path.commonpath([os.path.realpath(origin), os.path.realpath(purelib)]) == os.path.realpath(purelib)
    except ValueError:  # different drives
        inside = False
    if not inside:
        return None
    init_stat = os.stat(origin)
    parts = {
        "python": str(python),
        "package": package,
        "import_pep562": import_pep562,
        "init": [origin, init_stat.st_mtime_ns, init_stat.st_size],
        "purelib_mtime_ns": os.stat(purelib).st_mtime_ns,
        "probe_sha256": hashlib.sha256(PROBE_SCRIPT.read_bytes()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _run_probe(python: Path, package: str, extra_paths: Sequence[str], import_pep562: bool) -> dict:
    # -I: ignore PYTHON* variables and user site-packages, and do not put the
    # probe's own directory on sys.path; -B (fixture runs): no __pycache__ litter
    # (PYTHONDONTWRITEBYTECODE is ignored under -I).
    cmd = [str(python), "-I", *(["-B"] if extra_paths else []), str(PROBE_SCRIPT), package]
    for path in extra_paths:
        cmd += ["--path", os.path.abspath(path)]
    if import_pep562:
        cmd.append("--import-pep562")
    # cwd is a fresh temp dir so nothing in the caller's cwd can shadow the package.
    with tempfile.TemporaryDirectory(prefix="importgraph-probe-") as cwd:
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, env=_probe_env(),
                cwd=cwd, timeout=_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            raise ProbeError(f"probe of {package} timed out after {_TIMEOUT_S}s") from exc
    if proc.returncode != 0:
        raise ProbeError(
            f"probe of {package} with {python} exited {proc.returncode}:\n{proc.stderr.strip()[-4000:]}"
        )
    try:
        return json.loads(proc.stdout)
    except ValueError as exc:
        raise ProbeError(
            f"probe of {package} printed non-JSON output: {proc.stdout[:500]!r}\n"
            f"stderr: {proc.stderr.strip()[-2000:]}"
        ) from exc


def runtime_lazy_maps(
    python: Path,
    package: str,
    extra_paths: Sequence[str | os.PathLike] = (),
    *,
    import_pep562: bool = False,
) -> dict:
    """The probe's JSON for ``package`` as seen by ``python`` (see probe_lazy.py for the format).

    ``extra_paths`` are prepended to the probed interpreter's ``sys.path``
    (fixture packages); such runs are never cached because fixtures change.
    ``import_pep562`` also imports packages with a hand-written ``def __getattr__``
    (off by default: in transformers that is ``pipelines``, which loads model code).
    """
    extra = [os.fspath(p) for p in extra_paths]
    key = None if extra else _cache_key(Path(python), package, import_pep562)
    cache_file = cache_root() / "probe-results" / f"{key}.json" if key else None
    if cache_file is not None:
        try:
            return json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    result = _run_probe(Path(python), package, extra, import_pep562)
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        os.replace(tmp, cache_file)
    return result
