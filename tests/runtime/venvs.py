"""Cached, pinned virtual environments for the runtime side of the parity tests.

The static analyzer never imports the code it reads; the parity tests need a
*runtime* ground truth instead, obtained by importing a pinned release of the
analyzed package inside its own interpreter.  Building such an environment
costs a pip download and install (tens of seconds), so environments are built
once and reused across test runs, keyed by a marker that records exactly what
they were built from.

Layout::

    <cache>/test-venvs/<name>/                 the venv
    <cache>/test-venvs/<name>/importgraph-venv.json   marker, written last
    <cache>/test-venvs/<name>.lock             serialises concurrent builders

``<cache>`` is ``$IMPORTGRAPH_TEST_CACHE`` or the platform user cache dir of
"importgraph".

Why the venv is built in place rather than in a temp dir that is then renamed:
venvs are not relocatable (pip writes the absolute build path into the
shebangs of console scripts, and ``pyvenv.cfg``'s ``command`` line records
it).  Interruption-safety comes from the marker instead: it is written only
after pip succeeded, and a directory without a matching marker is deleted and
rebuilt from scratch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Sequence

import platformdirs

__all__ = [
    "DIFFUSERS",
    "GENERATED_SDKS",
    "HUGGINGFACE_HUB_VERSION",
    "LANGCHAIN_CORE",
    "MNE",
    "OTHER_RELEASES",
    "PLOTLY",
    "PYDANTIC",
    "SCIKIT_IMAGE",
    "TRANSFORMERS_4",
    "TRANSFORMERS_5",
    "VenvError",
    "cache_root",
    "ensure_venv",
    "installed_packages",
    "site_packages",
    "venv_python",
]

# Pinned environments.  Deliberately without torch / tensorflow / flax: the
# runtime truth we want is "what the lazy module declares", including which
# names land in ``_object_missing_backend`` because a backend is absent.
HUGGINGFACE_HUB_VERSION = "2.4.0"
"""Pinned in transformers 5.23.0's venv (its dependency): its own lazy maps are checked against the runtime too."""
TRANSFORMERS_5: tuple[str, list[str]] = ("transformers-5.23.0", ["transformers==5.23.0",
                                                                 f"huggingface_hub=={HUGGINGFACE_HUB_VERSION}"])
# 4.44.2 needs no extra pins: pip resolves numpy 2.4.6 and huggingface_hub 0.36.2
# (its own metadata caps huggingface-hub<1.0, tokenizers<0.20), and
# `import transformers; transformers.BertConfig` works with them (checked
# 2026-11).  If a future numpy/hub release breaks that import, add pins here
# (e.g. "numpy<3"); the marker hash includes the list, so venvs rebuild.
TRANSFORMERS_4: tuple[str, list[str]] = ("transformers-4.44.2", ["transformers==4.44.2"])
# Releases between them, whose define_import_structure walks folders differently (4.45-5.0 drop ``modular_``
# files only beside a ``modeling_`` file and skip no ``convert_`` file; before 4.52 its line scanner reads
# ``@export`` instead of ``@requires``) and whose inits guard entries with ``is_torch_greater_or_equal(...)``.
DIFFUSERS: tuple[str, list[str]] = ("diffusers-0.42.1", ["diffusers==0.42.1"])
# lazy_loader.attach_stub with ``.pyi`` stubs in 15 packages, names served by compiled extension modules. scipy
# (a dependency, pinned with numpy) serves its submodules from PEP 562 lists.
SCIKIT_IMAGE: tuple[str, list[str]] = ("scikit-image-0.26.0", ["scikit-image==0.26.0", "scipy==1.17.1",
                                                               "numpy==2.4.6"])
# lazy_loader.attach_stub in 21 packages of pure Python. scikit-learn is there because mne.decoding's modules import
# it at module level; scipy and numpy pinned as for scikit-image (mne 1.9 still imported scipy's removed sph_harm).
MNE: tuple[str, list[str]] = ("mne-1.13.2", ["mne==1.13.2", "scikit-learn==1.9.1", "scipy==1.17.1", "numpy==2.4.6",
                                             "matplotlib==3.11.2"])
# A hand-written PEP 562 ``__getattr__`` over ``{name: (__spec__.parent, ".module")}`` pairs.
PYDANTIC: tuple[str, list[str]] = ("pydantic-2.14.4", ["pydantic==2.14.4"])
# PEP 562 ``__getattr__`` in 19 packages, each delegating to the package's ``import_attr`` helper. langsmith and
# pydantic pinned too: langchain_core imports them at run time (``tracers.Run`` is langsmith's ``RunTree``).
# langchain-classic (with what it imports: langchain-text-splitters, SQLAlchemy and its greenlet) hands names to an
# importer ``create_importer`` returns, in 842 modules; langchain-community, where most of them point, is left out.
LANGCHAIN_CORE: tuple[str, list[str]] = ("langchain-core-1.8.3", [
    "langchain-core==1.8.3", "langsmith==0.15.1", "pydantic==2.14.4", "langchain-classic==1.0.8",
    "langchain-text-splitters==1.1.3", "SQLAlchemy==2.1.9", "greenlet==3.5.6"])
# plotly's own ``relative_import(__name__, [".sub"], ["._module.Name"])`` in 387 packages (narwhals and packaging
# are its two dependencies; pinned so that the venv does not drift).
PLOTLY: tuple[str, list[str]] = ("plotly-7.1.0", ["plotly==7.1.0", "narwhals==2.29.0", "packaging==26.4"])
# A generated SDK and anyio, each with a PEP 562 form of its own: cohere's Fern table answering submodule keys with
# the module itself, anyio's importer reading the TYPE_CHECKING half. (mistralai's Speakeasy helper and stripe's
# (module, is_submodule) table were checked the same way outside the suite: their probes take ~35 s together.)
GENERATED_SDKS: tuple[str, list[str]] = ("generated-sdks-2", ["anyio==4.16.0", "cohere==7.3.1"])
OTHER_RELEASES: list[tuple[str, list[str]]] = [
    ("transformers-4.48.3", ["transformers==4.48.3"]),
    ("transformers-4.57.1", ["transformers==4.57.1"]),
    ("transformers-5.0.0", ["transformers==5.0.0"]),
    ("transformers-5.24.0", ["transformers==5.24.0"]),  # the newest release on 2026-11-26
]

MARKER_NAME = "importgraph-venv.json"
# Bump to force every cached venv to be rebuilt after a change to the build recipe.
_RECIPE_VERSION = 1


class VenvError(RuntimeError):
    """Creating a venv or installing into it failed; the message carries the tool's stderr."""


def cache_root() -> Path:
    """Root of everything the runtime tests cache (venvs, probe results)."""
    override = os.environ.get("IMPORTGRAPH_TEST_CACHE")
    return Path(override or platformdirs.user_cache_dir("importgraph"))


def venv_python(venv_dir: Path) -> Path:
    """Path of the interpreter inside ``venv_dir`` (POSIX and Windows layouts)."""
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def _fingerprint(requirements: Sequence[str]) -> dict:
    """What a venv depends on: the requirement list and the base interpreter.

    The base interpreter matters because a venv's ``python`` is a symlink to it;
    a different Python version (or a removed pyenv build) means a broken or
    different environment.
    """
    return {
        "recipe": _RECIPE_VERSION,
        "requirements": list(requirements),
        "python_version": sys.version,
        "base_executable": os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
    }


def _hash(fingerprint: dict) -> str:
    blob = json.dumps(fingerprint, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def _read_marker(venv_dir: Path) -> dict | None:
    try:
        return json.loads((venv_dir / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _build_lock(lock_path: Path) -> Iterator[None]:
    """Exclusive lock so that parallel test workers do not build the same venv twice.

    Uses ``fcntl`` where available; elsewhere building is simply unserialised
    (acceptable: the marker check still prevents reuse of a half-built venv).
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run(cmd: list[str], what: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a build step quietly; on failure raise VenvError with its stderr."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip()
        raise VenvError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{detail}")
    return proc


def _clean_env() -> dict:
    """Environment for pip: no PYTHONPATH / PYTHONHOME leaking from the test run."""
    env = dict(os.environ)
    for var in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PIP_USER", "VIRTUAL_ENV"):
        env.pop(var, None)
    return env


def installed_packages(python: Path) -> dict[str, str]:
    """``{distribution: version}`` of what is installed in the interpreter's environment."""
    code = (
        "import json, importlib.metadata as m;"
        "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
    )
    proc = _run([str(python), "-c", code], "listing installed packages", env=_clean_env())
    return dict(sorted(json.loads(proc.stdout).items(), key=lambda kv: kv[0].lower()))


def ensure_venv(name: str, requirements: list[str]) -> Path:
    """Return the python of venv ``name`` (for this Python version) with ``requirements`` installed, building it
    if needed.

    Idempotent: when the marker matches (same requirements, same base Python)
    the venv is reused without running pip at all, so the common path costs a
    file read.  Otherwise any existing directory is discarded and rebuilt with
    ``python -m venv`` + ``pip install``; the marker is written last, so an
    interrupted build is detected and redone next time.
    """
    root = cache_root() / "test-venvs"
    # One directory per Python version: running the tests on another Python builds venvs beside these, instead
    # of replacing them (the marker would make every switch a rebuild).
    name = f"{name}-py{sys.version_info[0]}.{sys.version_info[1]}"
    venv_dir = root / name
    python = venv_python(venv_dir)
    fingerprint = _fingerprint(requirements)
    digest = _hash(fingerprint)

    def usable() -> bool:
        marker = _read_marker(venv_dir)
        return bool(marker) and marker.get("hash") == digest and python.exists()

    if usable():
        return python
    with _build_lock(root / f"{name}.lock"):
        if usable():  # another worker finished the build while we waited
            return python
        if venv_dir.exists():
            shutil.rmtree(venv_dir)
        root.mkdir(parents=True, exist_ok=True)
        env = _clean_env()
        try:
            _run([sys.executable, "-m", "venv", str(venv_dir)], "python -m venv", env=env)
            _run(
                [str(python), "-m", "pip", "install", "--quiet", "--no-input",
                 "--disable-pip-version-check", *requirements],
                f"pip install into {name}",
                env=env,
            )
            installed = installed_packages(python)
        except BaseException:
            # Leave nothing that looks half-usable; the marker is absent anyway.
            shutil.rmtree(venv_dir, ignore_errors=True)
            raise
        marker = {"hash": digest, **fingerprint, "installed": installed}
        tmp = venv_dir / (MARKER_NAME + ".tmp")
        tmp.write_text(json.dumps(marker, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, venv_dir / MARKER_NAME)
    return python


def site_packages(python: Path) -> Path:
    """The purelib directory of ``python``, asked from that interpreter itself.

    Asked rather than computed because the layout differs across platforms,
    distro patches and Python versions (``lib/python3.11/site-packages`` vs
    ``Lib/site-packages`` ...).
    """
    proc = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        "asking for purelib",
        env=_clean_env(),
    )
    return Path(proc.stdout.strip())
