"""What installs the analysed package: its distribution's name, version and hard requirements, read, never run.

Hard requirements are the packages that are there wherever the package is (rule IG007 does not ask a lazy name
to declare them as backends). An installed package has its metadata beside it: the ``*.dist-info`` of the
``sys.path`` entry it was found in (:func:`installed_metadata`). A *checkout* has none there: ``importgraph check
src/diffusers`` in the repository, or an editable install found on ``sys.path``; without its requirements every
top-level ``import PIL`` of diffusers reads as an undeclared optional backend (1,534 IG007 findings on the
diffusers 0.42.1 sources against 4 on its wheel). :func:`checkout_metadata` reads them from the project itself,
first of:

1. the ``*.dist-info`` an editable install of this very checkout left on the search path (its
   ``direct_url.json`` points at the project folder);
2. ``pyproject.toml``'s ``[project]`` table, unless its ``dependencies`` are dynamic (PEP 621), or are
   requirement files (``[tool.setuptools.dynamic]``'s ``{file = [...]}``, the ``hatch-requirements-txt`` hook);
   else ``[tool.poetry.dependencies]``;
3. ``PKG-INFO`` at the project root (an unpacked sdist), else a ``*.egg-info`` beside the package (setuptools
   writes one on ``pip install -e .``);
4. ``setup.cfg``'s ``[options] install_requires``;
5. ``setup.py``'s ``setup(install_requires=...)``, read from the tree (:mod:`importgraph.setup_reader`).

The project folder is the ``sys.path`` entry the package sits in, or its parent when that entry is ``src/`` or
``lib/``. The same files give the project's name (:func:`project_name`: discovery picks a checkout's package by
it) and the Python versions it supports (:func:`python_requirement`: IG009 tells newer syntax from a broken file).
"""

from __future__ import annotations

import ast
import configparser
import json
import platform
import re
import tomllib
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from urllib.parse import unquote, urlparse

from .model import ImportgraphWarning
from .setup_reader import SetupReader

PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


@dataclass(frozen=True)
class PackageMetadata:
    name: str | None
    version: str | None
    requires: tuple[str, ...]
    """Canonical names of the unconditional requirements, and those of the installed ones in turn."""
    source: str
    """Where they were read: a ``*.dist-info`` or ``*.egg-info`` folder, or a project file."""
    requires_python: str | None = None
    """The Python versions the distribution supports (``Requires-Python``, ``requires-python``,
    ``python_requires``) as the same source declares them."""
    unread: tuple[str, ...] = ()
    """Those of ``requires`` not installed on the path looked at: what they require in turn is unknown."""
    shared_by: tuple[str, ...] = ()
    """For a namespace package several distributions install parts of (``google``): each, as ``name version``;
    ``name`` and ``version`` are then None and ``requires`` is everything any of them requires."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def requirement_names(specs: Iterable[str]) -> list[str]:
    """Canonical names of the requirement strings that hold without an extra (``x; extra == "y"`` is optional;
    other markers, ``python_version < "3.8"``, are taken as holding)."""
    names = []
    for spec in specs:
        text, _, marker = spec.partition(";")
        if "extra" in marker:
            continue
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
        if match:
            names.append(canonical(match.group(1)))
    return names


def conditional_names(specs: Iterable[str]) -> set[str]:
    """Canonical names of the requirements that hold only under a marker other than an extra (``tomli;
    python_version < "3.11"``, ``colorama; platform_system == "Windows"``): installed or not, depending on where."""
    names = set()
    for spec in specs:
        text, _, marker = spec.partition(";")
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
        if marker.strip() and "extra" not in marker and match:
            names.add(canonical(match.group(1)))
    return names


# --------------------------------------------------------------------------- installed metadata


def installed_metadata(top_level: str, entry: Path, namespace: bool = False) -> PackageMetadata | None:
    """The ``*.dist-info`` in ``entry`` that installed ``top_level``: name, version and hard requirements —
    its own (``Requires-Dist`` without an extra) and, through the metadata installed beside it, theirs (trl
    requires accelerate, which requires torch: torch is there wherever trl is). A ``namespace`` package may be
    installed by several (google-auth, google-api-core, protobuf... all install ``google``): each of them is
    installed, so are all their requirements."""
    by_name = _dist_infos([entry])
    wanted = canonical(top_level)
    best = by_name.get(wanted)
    if best is not None:
        return _from_dist_info(best, by_name)
    claiming = [info for info in _sorted_dist_infos(entry) if wanted in {canonical(n) for n in top_level_names(info)}]
    found = [meta for meta in (_from_dist_info(info, by_name) for info in claiming[:None if namespace else 1])
             if meta is not None]
    if len(found) <= 1:
        return found[0] if found else None
    requires = tuple(sorted({r for meta in found for r in meta.requires}))
    unread = tuple(sorted({r for meta in found for r in meta.unread}))
    return PackageMetadata(None, None, requires, str(entry), None, unread,
                           shared_by=tuple(f"{meta.name} {meta.version}".strip() for meta in found))


def top_level_names(info: Path) -> set[str]:
    """The top-level modules a distribution installed: its ``top_level.txt`` (setuptools), else the first part
    of the paths in its ``RECORD`` (wheels built by meson-python, flit, hatch, ... have no ``top_level.txt``:
    scikit-image installs ``skimage``)."""
    top_file = info / "top_level.txt"
    if top_file.is_file():
        return {line.strip() for line in top_file.read_text(errors="replace").split() if line.strip()}
    record = info / "RECORD"
    names: set[str] = set()
    if record.is_file():
        for line in record.read_text(errors="replace").splitlines():
            first = line.split(",")[0].split("/")[0]
            if not first or first.endswith((".dist-info", ".data", ".pth")) or first.startswith(("..", "__")):
                continue
            stem = first.split(".")[0]
            if stem.isidentifier() and (first.endswith((".py", ".so", ".pyd")) or "/" in line.split(",")[0]):
                names.add(stem)
    return names


def _dist_infos(entries: Iterable[Path]) -> dict[str, Path]:
    """Canonical distribution name -> its ``*.dist-info``, the first entry that has one winning (as on
    ``sys.path``)."""
    by_name: dict[str, Path] = {}
    for entry in entries:
        # Within one folder the last in name order wins (two versions of one distribution: the newer, mostly).
        in_entry = {canonical(info.name[: -len(".dist-info")].split("-")[0]): info
                    for info in _sorted_dist_infos(entry)}
        for name, info in in_entry.items():
            by_name.setdefault(name, info)
    return by_name


def _sorted_dist_infos(entry: Path) -> list[Path]:
    try:
        return sorted(entry.glob("*.dist-info"))
    except OSError:
        return []


def _from_dist_info(info: Path, by_name: dict[str, Path]) -> PackageMetadata | None:
    metadata = _read_metadata(info / "METADATA")
    if metadata is None:
        return None
    name, version, direct, conditional = metadata
    requires, unread = _with_theirs(direct, by_name, conditional)
    return PackageMetadata(name or info.name, version, requires, str(info), python_requirement(info), unread)


def _read_metadata(path: Path) -> tuple[str, str, list[str], set[str]] | None:
    """Name, version, hard requirements of a core-metadata file (``METADATA``, ``PKG-INFO``), and which of them
    hold only under a marker (:func:`conditional_names`)."""
    if not path.is_file():
        return None
    meta = HeaderParser().parsestr(path.read_text(encoding="utf-8", errors="replace"))
    specs = meta.get_all("Requires-Dist") or []
    return meta.get("Name", ""), meta.get("Version", ""), requirement_names(specs), conditional_names(specs)


def _with_theirs(direct: Iterable[str], by_name: dict[str, Path],
                 conditional: set[str] = frozenset()) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``direct`` and, transitively, the hard requirements of those installed (``by_name``); then those of them
    whose metadata is not there (not installed: what they require is unknown), but for the requirements that hold
    only under a marker (``conditional``, and those of the metadata read on the way): their absence is expected."""
    requires, queue, unread, conditional = set(direct), list(direct), set(), set(conditional)
    while queue:
        requirement = queue.pop()
        info = by_name.get(requirement)
        found = _read_metadata(info / "METADATA") if info is not None else None
        if found is None:
            unread.add(requirement)
            continue
        conditional |= found[3]
        for theirs in found[2]:
            if theirs not in requires:
                requires.add(theirs)
                queue.append(theirs)
    return tuple(sorted(requires)), tuple(sorted(unread - conditional))


def runs_here(requires_python: str | None) -> bool:
    """Whether the Python importgraph runs on is one the package declares it supports (True when it declares
    nothing, or something :mod:`packaging` cannot read)."""
    if not requires_python:
        return True
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # here: only a declared range needs it

    try:
        return SpecifierSet(requires_python).contains(platform.python_version(), prereleases=True)
    except InvalidSpecifier:
        return True


# --------------------------------------------------------------------------- checkouts


def checkout_metadata(top_level: str, entry: Path,
                      environment: Callable[[], Iterable[str]]) -> PackageMetadata | None:
    """A checkout's name, version and hard requirements from its project files (the module docstring says
    which, in what order); the requirements of those installed on the ``environment()`` path (asked only for
    a checkout) are added in turn."""
    root = project_root(entry)
    if root is None:
        return None
    _warn_if_unreadable(root / "pyproject.toml")
    by_name = _dist_infos(Path(p) for p in environment())
    editable = _editable_install(top_level, root, by_name)
    if editable is not None:
        return editable
    for read in (_from_pyproject, _from_pkg_info, _from_egg_info, _from_setup_cfg, _from_setup_py):
        found = read(top_level, root, entry)
        if found is not None:
            name, version, direct, conditional, source = found
            requires, unread = _with_theirs(direct, by_name, conditional)
            return PackageMetadata(name, version, requires, str(source), python_requirement(source), unread)
    return None


def python_requirement(source: Path) -> str | None:
    """The ``Requires-Python`` of the metadata folder or project file requirements were read from."""
    if source.is_dir():  # *.dist-info, *.egg-info
        source = source / ("METADATA" if source.suffix == ".dist-info" else "PKG-INFO")
    value: object = None
    if source.name in ("METADATA", "PKG-INFO"):
        lines = _lines(source)
        value = HeaderParser().parsestr("\n".join(lines)).get("Requires-Python") if lines else None
    elif source.name == "pyproject.toml":
        value = _toml(source).get("project", {}).get("requires-python")
    elif source.name == "setup.cfg":
        parser = _config(source)
        value = parser.get("options", "python_requires", fallback=None) if parser is not None else None
    elif source.name == "setup.py":
        reader = SetupReader.read(source)
        value = reader.literal(reader.arguments.get("python_requires")) if reader is not None else None
    return value.strip() or None if isinstance(value, str) else None


class ProjectFileWarning(ImportgraphWarning):
    """A checkout's project file cannot be read: what it declares (requirements, name, Python version, source
    folder) is not known to the analysis."""


def _warn_if_unreadable(path: Path) -> None:
    """Say so when ``path`` exists but is not TOML: its requirements are then unknown and every third-party import
    of the package counts as an optional backend (rule IG007 reports them)."""
    if not path.is_file():
        return
    error = _read_toml(path)[1]
    if error is not None:
        warnings.warn(f"{path} cannot be read ({error}): the requirements, name and Python version it declares are "
                      "not used", ProjectFileWarning, stacklevel=3)


def _toml(path: Path) -> dict:
    """A TOML file's top table; empty when the file is missing or unreadable."""
    return _read_toml(path)[0]


def _read_toml(path: Path) -> tuple[dict, Exception | None]:
    """A TOML file's top table, or an empty one and why it could not be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, exc


def _config(path: Path) -> configparser.ConfigParser | None:
    """A ``setup.cfg``, parsed; None when it is missing or unreadable."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    return parser


def project_name(root: Path) -> str | None:
    """The distribution name a project folder declares (``pyproject.toml``, an sdist's ``PKG-INFO``,
    ``setup.cfg``, ``setup(name=...)``), read, never run; None when it has none of them or none says."""
    data = _toml(root / "pyproject.toml")
    for table in (data.get("project"), data.get("tool", {}).get("poetry")):
        if isinstance(table, dict) and isinstance(table.get("name"), str):
            return table["name"]
    metadata = _read_metadata(root / "PKG-INFO")
    if metadata is not None and metadata[0]:
        return metadata[0]
    parser = _config(root / "setup.cfg")
    if parser is not None and parser.has_option("metadata", "name"):
        return parser.get("metadata", "name")
    reader = SetupReader.read(root / "setup.py")
    return reader.literal(reader.arguments.get("name")) if reader is not None else None


def project_root(entry: Path) -> Path | None:
    """The folder with the project files: the package's ``sys.path`` entry, or its parent for ``src/``, ``lib/``
    or the folder the parent's ``pyproject.toml`` names as its Python source (:func:`python_source`)."""
    for folder in (entry, entry.parent):
        if not any((folder / name).is_file() for name in PROJECT_FILES):
            continue
        if folder == entry or entry.name in ("src", "lib") or python_source(folder) == entry.resolve():
            return folder
    return None


def python_source(root: Path) -> Path | None:
    """The folder inside ``root`` that its ``pyproject.toml`` says holds the Python packages, when it says one:
    maturin's ``[tool.maturin] python-source`` (tokenizers and safetensors keep theirs in ``py_src/``, beside a
    Rust crate), setuptools' ``[tool.setuptools] package-dir = {"" = ...}``."""
    tool = _toml(root / "pyproject.toml").get("tool")
    tool = tool if isinstance(tool, dict) else {}
    maturin, setuptools = tool.get("maturin"), tool.get("setuptools")
    package_dir = setuptools.get("package-dir") if isinstance(setuptools, dict) else None
    for value in (maturin.get("python-source") if isinstance(maturin, dict) else None,
                  package_dir.get("") if isinstance(package_dir, dict) else None):
        if not isinstance(value, str) or value.strip("./") == "":
            continue
        folder = (root / value).resolve()
        if folder.is_dir() and folder.is_relative_to(root.resolve()):
            return folder
    return None


_Found = tuple[str | None, str | None, list[str], set[str], Path]
"""``(name, version, direct requirements, those of them that hold only under a marker, the file read)``."""


def _editable_install(top_level: str, root: Path, by_name: dict[str, Path]) -> PackageMetadata | None:
    for info in by_name.values():
        try:
            direct_url = json.loads((info / "direct_url.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        url = direct_url.get("url", "") if isinstance(direct_url, dict) else ""
        if not url.startswith("file:") or not (direct_url.get("dir_info") or {}).get("editable"):
            continue
        if _same_folder(Path(unquote(urlparse(url).path)), root):
            found = _from_dist_info(info, by_name)
            if found is not None and (canonical(found.name or "") == canonical(top_level)
                                      or top_level in top_level_names(info)):
                return found
    return None


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _from_pyproject(top_level: str, root: Path, entry: Path) -> _Found | None:
    path = root / "pyproject.toml"
    data = _toml(path)
    project = data.get("project")
    if not isinstance(project, dict):
        return _from_poetry(data, path)
    dynamic = project.get("dynamic") or []
    version = None if "version" in dynamic else project.get("version")
    if "dependencies" not in dynamic:
        specs = [d for d in project.get("dependencies") or [] if isinstance(d, str)]
        return project.get("name"), version, requirement_names(specs), conditional_names(specs), path
    files = _requirement_files(data.get("tool", {}))
    if files is None:
        return _from_poetry(data, path)
    lines: list[str] = []
    for name in files:
        try:
            lines += (root / name).read_text(encoding="utf-8").splitlines()
        except OSError:
            return None
    specs = [line.split("#")[0] for line in lines if not line.lstrip().startswith(("#", "-"))]
    specs = [spec for spec in specs if spec.strip()]
    return project.get("name"), version, requirement_names(specs), conditional_names(specs), path


def _requirement_files(tool: dict) -> list[str] | None:
    """The requirement files dynamic ``dependencies`` come from: setuptools' ``dependencies = {file = [...]}``,
    or the ``hatch-requirements-txt`` hook (gradio)."""
    spec = tool.get("setuptools", {}).get("dynamic", {}).get("dependencies")
    files = spec.get("file") if isinstance(spec, dict) else None
    if files is None:
        hook = tool.get("hatch", {}).get("metadata", {}).get("hooks", {}).get("requirements_txt")
        if isinstance(hook, dict):
            files = hook.get("files", hook.get("filename", "requirements.txt"))
    if isinstance(files, str):
        return [files]
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else None


def _from_poetry(data: dict, path: Path) -> _Found | None:
    """Poetry's own table (before poetry 2 read ``[project]``): ``[tool.poetry.dependencies]``, name -> constraint,
    ``python`` and ``optional = true`` entries (extras) left out."""
    poetry = data.get("tool", {}).get("poetry")
    dependencies = poetry.get("dependencies") if isinstance(poetry, dict) else None
    if not isinstance(dependencies, dict):
        return None
    names, conditional = [], set()
    for name, constraint in dependencies.items():
        constraints = constraint if isinstance(constraint, list) else [constraint]
        if name.lower() != "python" and any(not (isinstance(c, dict) and c.get("optional")) for c in constraints):
            names.append(canonical(name))
            if all(isinstance(c, dict) and (c.get("markers") or c.get("python") or c.get("platform"))
                   for c in constraints):
                conditional.add(canonical(name))  # installed or not depending on the Python or platform
    version = poetry.get("version")
    return poetry.get("name"), version if isinstance(version, str) else None, names, conditional, path


def _from_pkg_info(top_level: str, root: Path, entry: Path) -> _Found | None:
    found = _read_metadata(root / "PKG-INFO")
    if found is None or not any(line.startswith("Requires-Dist") for line in _lines(root / "PKG-INFO")):
        return None  # an old sdist's PKG-INFO lists no requirements: not "none"; try the files below
    return found[0], found[1], found[2], found[3], root / "PKG-INFO"


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _from_egg_info(top_level: str, root: Path, entry: Path) -> _Found | None:
    for info in sorted(entry.glob("*.egg-info")):
        name_part = canonical(info.name[: -len(".egg-info")].split("-")[0])
        if name_part != canonical(top_level) and top_level not in top_level_names(info):
            continue
        specs, conditional = [], set()
        marked = False
        for line in _lines(info / "requires.txt"):
            if line.startswith("["):
                if not line.startswith("[:"):  # [extra] or [extra:marker]: optional from here on
                    break
                marked = True  # [:marker]: environment markers only, still a requirement, installed or not
                continue
            if line.strip():
                specs.append(line)
                if marked:
                    conditional.update(requirement_names([line]))
        metadata = _read_metadata(info / "PKG-INFO")
        name, version = (metadata[0], metadata[1]) if metadata is not None else (None, None)
        return name, version, requirement_names(specs), conditional | conditional_names(specs), info
    return None


def _from_setup_cfg(top_level: str, root: Path, entry: Path) -> _Found | None:
    path = root / "setup.cfg"
    parser = _config(path)
    if parser is None or not parser.has_option("options", "install_requires"):
        return None
    specs = [line for line in parser.get("options", "install_requires").splitlines() if line.strip()]
    version = parser.get("metadata", "version", fallback=None)
    if version is not None and version.startswith(("attr:", "file:")):
        version = None
    name = parser.get("metadata", "name", fallback=None)
    return name, version, requirement_names(specs), conditional_names(specs), path


def _from_setup_py(top_level: str, root: Path, entry: Path) -> _Found | None:
    path = root / "setup.py"
    reader = SetupReader.read(path)
    value = reader.arguments.get("install_requires") if reader is not None else None
    if value is None:
        return None
    specs = reader.strings(value)
    if not specs and not (isinstance(value, (ast.List, ast.Tuple)) and not value.elts):
        return None  # computed some other way: unknown, not "none"
    name, version = (reader.literal(reader.arguments.get(key)) for key in ("name", "version"))
    return name, version, requirement_names(specs), conditional_names(specs), path
