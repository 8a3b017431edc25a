"""Hostile and broken inputs: the analysis finishes, reports the bad file, and nothing else changes.

Every case starts from the same small, healthy lazy package (written to ``tmp_path``), adds one bad input
and analyses it. Three things are checked each time: the run finishes (no exception, JSON renders); the bad
input is reported with its file (and line where one exists) as an IG009 finding, or deliberately not, when
Python itself would not see it either; and the rest of the result (lazy maps, other findings) is exactly the
healthy package's. Inputs are generated at test time (a 20 MB file, NUL bytes, FIFOs, symlink loops, non-UTF-8
file names), never committed.

Unreadable files: the tests run as root, and ``chmod 000`` does not stop root from reading, so the permission
cases run the analysis in a child process without the capabilities that let root override permissions. The
other unreadable inputs are covered as they are: a FIFO named ``x.py`` (an ``open`` would block forever), a
symlink to a character device, and a file that vanishes between listing and reading.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

import importgraph
from importgraph.discover import TargetNotFound, find_target
from importgraph.render.json_report import to_json
from importgraph.render.text import print_summary

HEALTHY = {
    "__init__.py": """\
        import importlib

        __version__ = "1.0"

        # PEP 562 lazy map: name -> submodule
        _NAME_TO_MODULE = {
            "Alpha": ".alpha",
            "Beta": ".beta",
            "Gamma": ".sub.gamma",
            "Ghost": ".alpha",
        }


        def __getattr__(name):
            if name in _NAME_TO_MODULE:
                module = importlib.import_module(_NAME_TO_MODULE[name], __name__)
                return getattr(module, name)
            raise AttributeError(name)
        """,
    "alpha.py": "class Alpha:\n    pass\n",
    "beta.py": "from .alpha import Alpha\n\n\nclass Beta(Alpha):\n    pass\n",
    "sub/__init__.py": "",
    "sub/gamma.py": "def Gamma():\n    return 1\n",
}
"""``Ghost`` is the one planted defect (IG002): alpha.py does not define it."""

HEALTHY_MAP = {"Alpha": "pkg.alpha", "Beta": "pkg.beta", "Gamma": "pkg.sub.gamma", "Ghost": "pkg.alpha"}


def write_package(root: Path, files: dict[str, str] = HEALTHY) -> Path:
    package = root / "pkg"
    for relative, text in files.items():
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return package


def outcome(report: importgraph.Report) -> tuple[dict, set]:
    """(lazy maps, findings) with paths relative to the package, for comparing runs."""
    base = Path(report.target.roots[0])
    maps = {m: {n: e.module for n, e in lazy.names.items()} for m, lazy in report.lazy_modules.items()}
    findings = {(f.rule, os.path.relpath(f.path, base), f.line, f.symbol) for f in report.findings}
    return maps, findings


def analyse(package: Path, **kwargs) -> importgraph.Report:
    report = importgraph.analyze(str(package), **kwargs)
    json.loads(to_json(report))  # every report renders, whatever odd paths and messages it holds
    return report


@pytest.fixture(scope="module")
def healthy(tmp_path_factory) -> tuple[dict, set]:
    report = analyse(write_package(tmp_path_factory.mktemp("healthy")))
    maps, findings = outcome(report)
    # Written from HEALTHY above by hand: the map, and the planted Ghost as the only finding.
    assert maps == {"pkg": HEALTHY_MAP}
    assert {(rule, symbol) for rule, _, _, symbol in findings} == {("IG002", "Ghost")}
    return maps, findings


@pytest.fixture
def package(tmp_path) -> Path:
    return write_package(tmp_path)


def assert_only_extra(report: importgraph.Report, healthy: tuple[dict, set], *expected: tuple) -> None:
    """The run equals the healthy one plus exactly ``expected`` findings (rule, relative path, line)."""
    maps, findings = outcome(report)
    assert maps == healthy[0]
    assert healthy[1] <= findings
    extra = findings - healthy[1]
    assert {(rule, path, line) for rule, path, line, _ in extra} == set(expected), extra


def ig009(report: importgraph.Report, relative: str):
    base = Path(report.target.roots[0])
    found = [f for f in report.findings if f.rule == "IG009" and os.path.relpath(f.path, base) == relative]
    assert len(found) == 1, report.findings
    return found[0]


# ----------------------------------------------------------------------------------------------- contents


@pytest.mark.parametrize("content, line, reason", [
    (b"x = 1\ndef broken(:\n    pass\n", 2, "SyntaxError"),
    (b'x = 1\nprint "python 2"\n', 2, "SyntaxError"),  # Python 2 print statement
    (b"x = 1\nexec 'y = 2'\n", 2, "SyntaxError"),  # Python 2 exec statement
    (b"x = 1\ntry:\n    pass\nexcept Exception, e:\n    pass\n", 4, "SyntaxError"),  # Python 2 except
    (b"name = '\xe9t\xe9'\n", 1, "utf-8"),  # latin-1 bytes without a coding cookie
    (b"x = 1\n\x00\ny = 2\n", None, "null bytes"),
], ids=["syntax-error", "py2-print", "py2-exec", "py2-except", "undecodable", "nul-bytes"])
def test_unparsable_file_is_reported_and_nothing_else_changes(package, healthy, content, line, reason):
    (package / "broken.py").write_bytes(content)
    report = analyse(package)
    finding = ig009(report, "broken.py")
    assert reason in finding.message
    if line is not None:
        assert finding.line == line
    assert_only_extra(report, healthy, ("IG009", "broken.py", finding.line))


NEWER_SYNTAX = "type Pair = tuple[int, int]\n"  # PEP 695: Python 3.12


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python parses PEP 695: nothing to report")
@pytest.mark.parametrize("requires_python, severity", [(">=3.12", "warning"), (">=3.10", "error"), (None, "error")])
def test_syntax_newer_than_this_python_is_told_apart(package, healthy, requires_python, severity):
    """Files are parsed by the Python importgraph runs on. A package that declares it needs a newer one
    (bokeh 3.10, sphinx 9 use ``type X = ...``) is not broken: a warning saying so. One that declares this
    Python and does not parse on it is broken here (the import fails, checked): an error."""
    (package / "newer.py").write_text(NEWER_SYNTAX)
    if requires_python is not None:
        (package.parent / "pyproject.toml").write_text(
            f'[project]\nname = "pkg"\nversion = "1.0"\nrequires-python = "{requires_python}"\ndependencies = []\n')
    report = analyse(package)
    assert report.target.requires_python == requires_python
    finding = ig009(report, "newer.py")
    assert (finding.severity.value, finding.line) == (severity, 1)
    newer = "pkg requires Python >=3.12: most likely newer syntax, not a broken file"
    assert (newer in finding.message) == (severity == "warning")
    assert_only_extra(report, healthy, ("IG009", "newer.py", 1))
    imported = subprocess.run([sys.executable, "-c", "import pkg.newer"], cwd=package.parent, capture_output=True,
                              text=True)
    assert "SyntaxError" in imported.stderr
    summary = io.StringIO()
    print_summary(report, Console(file=summary, width=200))
    assert ("pkg requires Python >=3.12; importgraph runs on" in summary.getvalue()) == (severity == "warning")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="PEP 695 syntax: parsed from Python 3.12 on")
def test_a_type_alias_binds_its_name(package, healthy):
    """``type Alpha = ...`` (PEP 695) binds ``Alpha`` like an assignment: the lazy name it serves is found (checked:
    the import works on this Python)."""
    (package / "alpha.py").write_text("type Alpha = tuple[int, int]\n\n\nclass Box[T]:\n    item: T\n")
    report = analyse(package)
    assert report.modules["pkg.alpha"].bindings["Alpha"].kind == "assign"
    assert outcome(report) == healthy
    imported = subprocess.run([sys.executable, "-c", "from pkg import Alpha; print(Alpha.__value__)"],
                              cwd=package.parent, capture_output=True, text=True)
    assert imported.stdout.strip() == "tuple[int, int]", imported.stderr


def test_latin1_coding_cookie_is_honoured(package, healthy):
    """A PEP 263 cookie makes the bytes valid: the module parses and serves its name (no finding)."""
    (package / "alpha.py").write_bytes(b"# -*- coding: latin-1 -*-\nNAME = '\xe9t\xe9'\n\n\nclass Alpha:\n    pass\n")
    report = analyse(package)
    assert report.modules["pkg.alpha"].problem is None
    assert "NAME" in report.modules["pkg.alpha"].bindings
    assert_only_extra(report, healthy)


def test_bom_and_crlf(package, healthy):
    """A UTF-8 BOM and Windows line endings, in the lazy init itself and in a target: same map, same lines."""
    init = package / "__init__.py"
    init.write_bytes(b"\xef\xbb\xbf" + init.read_bytes().replace(b"\n", b"\r\n"))
    (package / "beta.py").write_bytes(b"\xef\xbb\xbf" + (package / "beta.py").read_bytes().replace(b"\n", b"\r\n"))
    report = analyse(package)
    assert_only_extra(report, healthy)


INVALID_ESCAPES = 'PATTERN = "\\/"  # an invalid escape: the parser warns, the module imports\n'


def test_parser_warnings_of_the_package_are_neither_shown_nor_errors(package, healthy):
    """Python warns when it parses an invalid escape sequence (``SyntaxWarning`` from 3.12, shown by default;
    ``DeprecationWarning`` before). That is the analysed code's business: nothing is shown, and a caller running
    with warnings as errors (``-W error``, pytest's ``filterwarnings = error``) still gets the module's facts,
    not a SyntaxError for a file that imports fine (checked under ``-W error`` itself)."""
    alpha, init = package / "alpha.py", package / "__init__.py"
    alpha.write_text(INVALID_ESCAPES + alpha.read_text())
    init.write_text(init.read_text() + INVALID_ESCAPES)  # after the lazy map: its lines stay
    imported = subprocess.run([sys.executable, "-c", "from pkg import Alpha, PATTERN; print(PATTERN)"],
                              cwd=package.parent, capture_output=True, text=True)
    assert imported.stdout.strip() == "\\/", imported.stderr  # it imports and serves its name
    assert "invalid escape sequence" in subprocess.run(  # and the parser does warn about it
        [sys.executable, "-W", "always", "-c", "import pkg.alpha"], cwd=package.parent, capture_output=True,
        text=True).stderr

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("error")
        report = analyse(package)
    assert caught == []
    assert report.modules["pkg.alpha"].bindings["PATTERN"].line == 1
    assert report.stats.unparsable == 0
    assert_only_extra(report, healthy)

    cli = subprocess.run([sys.executable, "-W", "error", "-m", "importgraph", "analyze", str(package), "--no-cache",
                          "--no-html"], capture_output=True, text=True)
    assert (cli.returncode, cli.stderr) == (0, "")
    assert "0 unparsable" in cli.stdout


def test_twenty_megabyte_file(package, healthy):
    """A 20 MB generated module (a data table) is analysed, or reported as too large, in bounded time."""
    line = b"TABLE_%07d = ('%s', %d)\n"
    with open(package / "table.py", "wb") as handle:
        count = 0
        while handle.tell() < 20 * 2**20:
            handle.write(line % (count, b"x" * 40, count))
            count += 1
    report = analyse(package)
    table = report.modules["pkg.table"]
    if table.problem is None:
        assert f"TABLE_{count - 1:07d}" in table.bindings
        assert_only_extra(report, healthy)
    else:
        assert "too large" in table.problem.reason
        assert_only_extra(report, healthy, ("IG009", "table.py", 1))


@pytest.mark.parametrize("expression, error", [
    ("+".join(["1"] * 100_000), "RecursionError"),
    ("-" * 100_000 + "1", "MemoryError"),
], ids=["recursion", "memory"])
@pytest.mark.parametrize("where", ["target", "lazy-init"])
def test_deeply_nested_expression(package, healthy, expression, error, where):
    """ast raises RecursionError/MemoryError on these (checked below): reported, never a crash."""
    with pytest.raises((RecursionError, MemoryError)):
        compile(expression, "<x>", "eval", flags=0x400)  # ast.PyCF_ONLY_AST
    if where == "target":
        (package / "deep.py").write_text(f"x = 1\nvalue = {expression}\n")
        report = analyse(package)
        assert error in ig009(report, "deep.py").message
        assert_only_extra(report, healthy, ("IG009", "deep.py", ig009(report, "deep.py").line))
    else:
        init = package / "__init__.py"
        init.write_text(init.read_text() + f"\nvalue = {expression}\n")
        report = analyse(package)
        assert error in ig009(report, "__init__.py").message
        assert report.lazy_modules == {}  # the init that builds the map does not parse: no map, said so


# ----------------------------------------------------------------------------------------------- the file system


def test_symlink_loops(package, healthy):
    """A directory symlink to its own parent, a self-referencing file symlink and a two-link cycle."""
    os.symlink(package, package / "again")
    os.symlink("loop.py", package / "loop.py")
    os.symlink("ping.py", package / "pong.py")
    os.symlink("pong.py", package / "ping.py")
    report = analyse(package)
    assert not any(name.startswith("pkg.again") for name in report.modules)  # symlinked folders: not followed
    for name in ("loop.py", "ping.py", "pong.py"):
        assert "unreadable" in ig009(report, name).message
    assert_only_extra(report, healthy, *(("IG009", n, 1) for n in ("loop.py", "ping.py", "pong.py")))


def test_symlinks_pointing_outside(package, healthy, tmp_path):
    """A file symlink to a module elsewhere is what the import system loads, so it is read like any module
    (here it defines ``Ghost``, fixing the planted defect); a symlinked folder outside is not walked."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "real_alpha.py").write_text("class Alpha:\n    pass\n\n\nclass Ghost:\n    pass\n")
    os.symlink("/", package / "rootfs")
    (package / "alpha.py").unlink()
    os.symlink(outside / "real_alpha.py", package / "alpha.py")
    report = analyse(package)
    assert not any(name.startswith("pkg.rootfs") for name in report.modules)
    maps, findings = outcome(report)
    assert maps == healthy[0]
    assert findings == set()


@pytest.mark.timeout(120)  # the bug this guards against is a hang
def test_fifo_and_device_named_like_modules(package, healthy):
    """An ``open`` of a FIFO blocks until a writer comes: reading one would hang the run forever."""
    os.mkfifo(package / "pipe.py")
    os.symlink("/dev/zero", package / "zeros.py")  # a read that never ends
    report = analyse(package)
    assert "FIFO" in ig009(report, "pipe.py").message
    assert "character device" in ig009(report, "zeros.py").message
    assert_only_extra(report, healthy, ("IG009", "pipe.py", 1), ("IG009", "zeros.py", 1))


def test_directory_named_like_a_module_is_not_a_module(package, healthy):
    (package / "odd.py").mkdir()
    assert_only_extra(analyse(package), healthy)


# Root reads a ``chmod 000`` file all the same, through the capabilities that override file permissions: the
# analysis runs in a child without them (util-linux ``setpriv``), where permissions bind root too.
_UNPRIVILEGED = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
_OUTCOME_IN_CHILD = """
import json, os, sys
import importgraph
report = importgraph.analyze(sys.argv[1])
base = report.target.roots[0]
print(json.dumps({
    "maps": {m: {n: e.module for n, e in lazy.names.items()} for m, lazy in report.lazy_modules.items()},
    "findings": [[f.rule, os.path.relpath(f.path, base), f.line, f.symbol, f.message] for f in report.findings],
}))
"""


def analyse_unprivileged(package: Path) -> tuple[dict, set, dict]:
    """(lazy maps, findings as :func:`outcome` gives them, message per relative path) of an analysis run where
    file permissions bind, whoever runs the tests."""
    if _UNPRIVILEGED and shutil.which("setpriv") is None:
        pytest.skip("running as root without util-linux setpriv: permissions cannot be made to bind")
    done = subprocess.run([*_UNPRIVILEGED, sys.executable, "-c", _OUTCOME_IN_CHILD, str(package)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    findings = {(rule, path, line, symbol) for rule, path, line, symbol, _ in result["findings"]}
    return result["maps"], findings, {path: message for _, path, _, _, message in result["findings"]}


def test_permission_denied(package, healthy):
    secret = package / "secret.py"
    secret.write_text("x = 1\n")
    secret.chmod(0)
    maps, findings, messages = analyse_unprivileged(package)
    assert "unreadable: Permission denied" in messages["secret.py"]
    assert maps == healthy[0]
    assert {(rule, path, line) for rule, path, line, _ in findings - healthy[1]} == {("IG009", "secret.py", 1)}
    assert healthy[1] <= findings


def test_folder_that_cannot_be_listed(package, healthy):
    """Python imports a folder it cannot list as a package and finds no module under it: a lazy name served
    from there breaks (IG001, as the runtime says), and the folder itself is reported (IG009)."""
    (package / "__init__.py").write_text((package / "__init__.py").read_text().replace(
        '"Gamma": ".sub.gamma"', '"Gamma": ".sub.gamma", "Delta": ".locked.delta"'))
    locked = package / "locked"
    locked.mkdir()
    (locked / "__init__.py").write_text("")
    (locked / "delta.py").write_text("Delta = 1\n")
    locked.chmod(0)
    try:
        maps, findings, messages = analyse_unprivileged(package)
        runtime = subprocess.run([*_UNPRIVILEGED, sys.executable, "-c", "import pkg; pkg.Delta"],
                                 cwd=package.parent, capture_output=True, text=True, timeout=60)
    finally:
        locked.chmod(0o755)  # or tmp_path cannot be removed
    assert "ModuleNotFoundError: No module named 'pkg.locked.delta'" in runtime.stderr
    assert maps == {"pkg": {**HEALTHY_MAP, "Delta": "pkg.locked.delta"}}
    extra = {(rule, path, symbol) for rule, path, _, symbol in findings - healthy[1]}
    assert extra == {("IG001", "__init__.py", "locked.delta"), ("IG009", "locked", "pkg.locked")}, extra
    assert messages["locked"].startswith("cannot list the folder: Permission denied; ")
    assert "every module under pkg.locked is missing" in messages["locked"]


def test_file_deleted_between_listing_and_reading(package, healthy):
    """The progress callback runs after each file is scanned (in order, in this process for a small
    package), so deleting a later file there opens a real window: listed, then gone when read."""
    (package / "zz_doomed.py").write_text("x = 1\n")

    def progress(done: int, total: int) -> None:
        if done == 1:  # __init__.py has been read; zz_doomed.py is listed and not read yet
            (package / "zz_doomed.py").unlink()

    report = analyse(package, progress=progress)
    assert "No such file" in ig009(report, "zz_doomed.py").message
    assert_only_extra(report, healthy, ("IG009", "zz_doomed.py", 1))


def test_lazy_init_deleted_after_scanning(package, tmp_path):
    """With the init's facts from the scan cache, the lazy stage reads the init again after the scan: a
    site-packages upgraded meanwhile is reported (and the result is not cached as valid)."""
    cache = tmp_path / "cache"
    analyse(package, cache_dir=cache)
    (package / "mod_new.py").write_text("x = 1\n")  # the stored result no longer holds; the scan cache does

    def progress(done: int, total: int) -> None:
        if done == total:
            (package / "__init__.py").unlink()

    init = (package / "__init__.py").read_bytes()
    report = analyse(package, progress=progress, cache_dir=cache)
    assert report.lazy_modules == {}
    assert "unreadable" in ig009(report, "__init__.py").message
    (package / "__init__.py").write_bytes(init)  # the same bytes back: the result above must not be reused
    again = analyse(package, cache_dir=cache)
    assert not again.from_cache
    assert outcome(again)[0] == {"pkg": HEALTHY_MAP}


def test_lazy_init_deleted_after_scanning_it(package, healthy):
    """An init the scan parsed is evaluated from that very tree: the run describes one snapshot of the files
    (the bytes its facts came from), even when the init is deleted once scanned."""
    def progress(done: int, total: int) -> None:
        if done == total:
            (package / "__init__.py").unlink()

    assert_only_extra(analyse(package, progress=progress), healthy)


def test_non_utf8_file_names(package, healthy):
    """Names Python cannot import (not valid identifiers once decoded) are skipped like Python skips them."""
    raw = os.fsencode(package)
    with open(os.path.join(raw, b"caf\xe9.py"), "wb") as handle:
        handle.write(b"x = 1\n")
    os.mkdir(os.path.join(raw, b"d\xe9j\xe0"))
    with open(os.path.join(raw, b"d\xe9j\xe0", b"mod.py"), "wb") as handle:
        handle.write(b"x = 1\n")
    report = analyse(package)
    assert all(name.isascii() for name in report.modules)
    assert_only_extra(report, healthy)


# ----------------------------------------------------------------------------------------------- module kinds


def test_pyi_next_to_py_is_not_a_module(package, healthy):
    """The stub declares Ghost, but the runtime imports alpha.py: the finding stays."""
    (package / "alpha.pyi").write_text("class Alpha: ...\nclass Ghost: ...\n")
    report = analyse(package)
    assert report.modules["pkg.alpha"].path.endswith("alpha.py")
    assert_only_extra(report, healthy)


def test_compiled_extension_as_lazy_target(package, healthy):
    """alpha.py replaced by an extension module: it exists (no IG001); its names cannot be read, so
    Ghost is undecided rather than reported (the healthy run's IG002 goes)."""
    (package / "alpha.py").unlink()
    (package / "alpha.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    report = analyse(package)
    maps, findings = outcome(report)
    assert maps == healthy[0]
    assert not [f for f in findings if f[0] in ("IG001", "IG009")]
    assert not [f for f in findings if f[3] in ("Alpha", "Ghost")]
    assert report.stats.undecided_by_rule.get("IG002", 0) >= 1


def test_sourceless_pyc_modules_and_packages(package, healthy):
    """Legacy ``.pyc`` beside the sources (not in __pycache__) are importable: they exist, nothing read."""
    compiled = compile("class Alpha: pass\n", "alpha.py", "exec")
    import importlib.util
    import marshal

    (package / "alpha.py").unlink()
    (package / "alpha.pyc").write_bytes(importlib.util.MAGIC_NUMBER + b"\0" * 12 + marshal.dumps(compiled))
    shutil.rmtree(package / "sub")
    (package / "sub").mkdir()
    for name in ("__init__", "gamma"):
        code = compile("def Gamma():\n    return 1\n" if name == "gamma" else "", f"{name}.py", "exec")
        (package / "sub" / f"{name}.pyc").write_bytes(importlib.util.MAGIC_NUMBER + b"\0" * 12 + marshal.dumps(code))
    report = analyse(package)
    assert {"pkg.alpha", "pkg.sub", "pkg.sub.gamma"} <= set(report.modules)
    maps, findings = outcome(report)
    assert maps == healthy[0]
    assert not [f for f in findings if f[0] in ("IG001", "IG009")]


def test_namespace_subpackage_as_lazy_target(package, healthy):
    """``sub`` without an ``__init__.py`` is a namespace package: ``pkg.sub.gamma`` still exists."""
    (package / "sub" / "__init__.py").unlink()
    report = analyse(package)
    assert report.modules["pkg.sub.gamma"].problem is None
    assert_only_extra(report, healthy)


def test_namespace_package_with_two_portions(tmp_path):
    for portion, module in (("one", "left"), ("two", "right")):
        folder = tmp_path / portion / "nspkg"
        folder.mkdir(parents=True)
        (folder / f"{module}.py").write_text(f"VALUE = {module!r}\n")
    target = find_target("nspkg", search_path=[str(tmp_path / "one"), str(tmp_path / "two")])
    assert target.kind == "namespace" and len(target.roots) == 2
    report = importgraph.analyze(target)
    assert {"nspkg.left", "nspkg.right"} <= set(report.modules)


def test_zip_and_egg_installs_are_said_not_analysed(tmp_path):
    """importgraph reads plain files only; a package that exists only inside a zip/egg on sys.path is
    not found, and the message says so (instead of a bare 'not found')."""
    archive = tmp_path / "zipped-1.0-py3.11.egg"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped/__init__.py", "x = 1\n")
    with pytest.raises(TargetNotFound) as error:
        find_target("zipped", search_path=[str(tmp_path), str(archive)])
    assert "not analysed" in str(error.value) and str(archive) in str(error.value)


def test_odd_lazy_code_is_read_without_a_crash(tmp_path):
    """Lazy code that is wrong or unusual: a ``__getattr__`` splitting its values at an empty separator (ValueError at
    runtime: not modelled as a split), a value with no separator, proxy classes that are not ModuleType subclasses or
    whose ``__init__`` takes nothing. The analysis finishes and reads what it can."""
    package = tmp_path / "odd"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent("""\
        import importlib
        import types

        _M = {"A": ".a:A", "B": ".a"}


        def __getattr__(name):
            module, attr = _M[name].split(":")
            module, attr = _M[name].split("")
            return getattr(importlib.import_module(module, __name__), attr)


        class LazyLoader(types.ModuleType):
            def __init__(self):
                super().__init__("odd.a")

            def __getattr__(self, item):
                return getattr(importlib.import_module(self.__name__), item)


        class LazyImport:
            def __init__(self, name):
                self._name = name

            def __getattr__(self, item):
                return getattr(importlib.import_module(self._name), item)


        first = LazyLoader()
        second = LazyImport("odd.a")
        """))
    (package / "a.py").write_text("class A:\n    pass\n")
    report = importgraph.analyze(str(package))
    lazy = report.lazy_modules["odd"]
    assert {n: (e.module, e.attribute) for n, e in lazy.names.items()} == {"A": ("odd.a", None)}
    assert [u.reason for u in lazy.undecided] == ["_M['B']: __getattr__ cannot split '.a' at ':'"]
    assert lazy.proxies == {}  # neither class hands a constructor argument to the module it imports


# ----------------------------------------------------------------------------------------------- whole site-packages

SCRIPT = Path(__file__).parent.parent / "scripts" / "analyze-all-installed.py"


def test_analyze_all_installed_script(tmp_path):
    """The loop over a site-packages: every package analysed in a child process, archives and bare
    extension modules listed as not analysed, a package that breaks the analysis would be reported as failed."""
    import subprocess
    import sys

    site = tmp_path / "site-packages"
    write_package(site)
    (site / "single.py").write_text("x = 1\n")
    (site / "fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    with zipfile.ZipFile(site / "old-1.0-py3.11.egg", "w") as zf:
        zf.writestr("old/__init__.py", "")
    out = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--path", str(site), "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures = json.loads(out.read_text())
    assert {p["name"] for p in figures["packages"]} == {"pkg", "single"}
    assert figures["totals"]["packages_analysed"] == 2 and figures["totals"]["packages_failed"] == 0
    assert figures["totals"]["findings"] == 1  # the planted Ghost
    skipped = "\n".join(figures["totals"]["not_analysed"])
    assert "old-1.0-py3.11.egg: zip/egg archive (not analysed" in skipped
    assert "fast.cpython-311-x86_64-linux-gnu.so: compiled extension module" in skipped
    assert "2 packages analysed, 0 failed" in proc.stdout


def test_odd_delegating_getattr_is_read_without_a_crash(tmp_path):
    """litellm's form gone wrong: a helper whose "tables" are a list and a name bound to nothing, an importer that is
    a class, a helper that does not exist, one imported from a module that does not parse. Nothing is read from them
    (no lazy module), and the analysis finishes."""
    package = tmp_path / "odd_delegation"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent("""\
        def __getattr__(name):
            from ._lazy import resolve

            return resolve(__name__, name)
        """))
    (package / "_lazy.py").write_text(textwrap.dedent("""\
        import importlib

        LISTED = ["a", "b"]


        class Importer:
            pass


        def resolve(module_name, name):
            first = LISTED.get(name)
            if first is not None:
                return Importer(first)
            second = UNBOUND.get(name)
            if second is not None:
                return importlib.import_module(second)
            raise AttributeError(name)
        """))
    (package / "missing.py").write_text(textwrap.dedent("""\
        def __getattr__(name):
            from ._nowhere import resolve

            return resolve(__name__, name)
        """))
    (package / "broken.py").write_text(textwrap.dedent("""\
        def __getattr__(name):
            from ._unparsable import resolve

            return resolve(name)
        """))
    (package / "_unparsable.py").write_text("def resolve(name:\n")
    report = importgraph.analyze(str(package), cache_dir=tmp_path / "cache")
    assert not {"odd_delegation", "odd_delegation.missing", "odd_delegation.broken"} & set(report.lazy_modules)
