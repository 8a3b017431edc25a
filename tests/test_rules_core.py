"""Core rules IG001 (lazy-missing-module), IG002 (lazy-missing-name), IG003 (lazy-duplicate-name),
IG004 (type-checking-mismatch), IG009 (unparsable-file) on fixture packages that really run.

Fixture packages: tests/fixtures/packages/rule_ig00N_<pos|neg>_<k> (each has an EXPECTED.md saying what
breaks). They use different lazy styles: a dict ``_import_structure`` with a vendored minimal ``_LazyModule``,
``lazy_loader.attach`` and a PEP 562 ``__getattr__`` map. Where the runtime can tell the truth, the claim is
checked in a fresh subprocess with the fixture's parent directory first on sys.path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import importgraph
from tests.conftest import FIXTURES, fixture_package


def findings(fixture: str, code: str, package=None) -> list[tuple[str, str, str, str, str, int]]:
    """(rule, severity, module, symbol, file name, line) of the ``code`` findings."""
    path = package if package is not None else fixture_package(fixture)
    report = importgraph.analyze(str(path), select={code})
    return [(f.rule, f.severity.value, f.module, f.symbol, os.path.basename(f.path), f.line) for f in report.findings]


def messages(fixture: str, code: str) -> list[str]:
    return [f.message for f in importgraph.analyze(str(fixture_package(fixture)), select={code}).findings]


def run_in_fixture(fixture: str, code: str, root=None) -> str:
    """Run ``code`` in a fresh interpreter, sys.path = the fixture's parent dir; the exception class name, or
    the line ``code`` printed, or ``ok``."""
    body = textwrap.indent(textwrap.dedent(code).strip(), "    ")
    wrapped = f"try:\n{body}\n    print('ok')\nexcept BaseException as exc:\n    print(type(exc).__name__)\n"
    cwd = root if root is not None else FIXTURES / fixture
    out = subprocess.run([sys.executable, "-c", wrapped], cwd=cwd, capture_output=True, text=True, timeout=60,
                         env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(cwd)})
    lines = out.stdout.strip().splitlines() or [out.stderr]
    return lines[-2] if len(lines) > 1 and lines[-1] == "ok" else lines[-1]


MISSING = {"ImportError", "ModuleNotFoundError", "AttributeError", "RuntimeError"}


# ----------------------------------------------------------------------------- IG001 lazy-missing-module
@pytest.mark.parametrize("fixture,symbol,line,runtime_check", [
    # dict _import_structure: key `modeling_missing` has no file (the TYPE_CHECKING import of the same
    # module at line 12 is the same defect: one finding per module)
    ("rule_ig001_pos_1", "modeling_missing", 7, "from rule_ig001_pos_1 import Model"),
    # lazy_loader attach: TYPE_CHECKING half imports from `.engine`, which does not exist
    ("rule_ig001_pos_2", "engine", 8, "import rule_ig001_pos_2.engine"),
    # scipy-style PEP 562 submodule list: `signal` has no file
    ("rule_ig001_pos_3", "signal", 7, "import rule_ig001_pos_3 as p\np.signal"),
])
def test_ig001_positive(fixture, symbol, line, runtime_check):
    assert findings(fixture, "IG001") == [("IG001", "error", fixture, symbol, "__init__.py", line)]
    assert run_in_fixture(fixture, runtime_check) == "ModuleNotFoundError"


def test_ig001_target_in_another_installed_package():
    """A lazy entry pointing into another top-level package on the analysed sys.path (langchain_classic's shims
    into langchain_community) is judged there: its missing module is IG001, and it really fails; a package that
    is not installed at all is undecided, not a finding."""
    report = importgraph.analyze(str(fixture_package("rule_ig001_pos_4")), select={"IG001"})
    assert [(f.symbol, f.line) for f in report.findings] == [("Gone", 8)]
    assert "which the installed rule_ig001_pos_4_other does not have" in report.findings[0].message
    assert report.stats.undecided_by_rule == {"IG001": 1}
    assert run_in_fixture("rule_ig001_pos_4", "import rule_ig001_pos_4 as p\np.Gone") == "ModuleNotFoundError"
    assert run_in_fixture("rule_ig001_pos_4", "import rule_ig001_pos_4 as p\np.Elsewhere") == "ModuleNotFoundError"
    assert run_in_fixture("rule_ig001_pos_4", "from rule_ig001_pos_4 import Present") == "ok"


def test_ig001_relative_key_under_a_plain_module():
    """semantic-kernel 1.45: a plain module's ``__getattr__`` imports ``import_module(".chroma", package=__name__)``,
    which resolves under the module itself: every name fails, and the fix names the sibling the key meant (which,
    resolved against ``__package__``, works)."""
    assert findings("rule_ig001_pos_5", "IG001") == [
        ("IG001", "error", "rule_ig001_pos_5.stores", "chroma", "stores.py", 5)]
    message = messages("rule_ig001_pos_5", "IG001")[0]
    assert "rule_ig001_pos_5.stores is a module, not a package" in message
    assert "rule_ig001_pos_5.chroma exists: resolve the key against the package (`package=__package__`" in message
    check = "from rule_ig001_pos_5 import stores\nstores.ChromaStore"
    assert run_in_fixture("rule_ig001_pos_5", check) == "ModuleNotFoundError"
    fixed = ("from rule_ig001_pos_5 import stores\nimport importlib\n"
             "assert importlib.import_module(stores._IMPORTS['ChromaStore'], package=stores.__package__).ChromaStore")
    assert run_in_fixture("rule_ig001_pos_5", fixed) == "ok"


def test_ig001_missing_module_caught_by_the_getattr_is_undecided():
    """imagecodecs: ``try: import_module(...)`` / ``except ImportError: module = None`` then a stub: the missing
    ``_exotic`` is counted undecided, once, rather than reported (before: 7 false IG001 errors on imagecodecs)."""
    report = importgraph.analyze(str(fixture_package("rule_ig001_neg_7")), select={"IG001"})
    assert report.findings == [] and report.stats.undecided_by_rule == {"IG001": 1}
    assert report.lazy_modules["rule_ig001_neg_7"].import_fallback == 14


def test_ig001_module_proxy_of_a_missing_module():
    """mlflow's ``LazyLoader``: ``charts`` is bound to a proxy of ``rule_ig001_pos_6.charts``, which does not exist;
    the import works, the proxy's first use fails (reported at the proxy's own line), ``plots`` works. A proxy into
    another installed package is judged on the analysed sys.path; one into a package not installed is undecided."""
    assert findings("rule_ig001_pos_6", "IG001") == [
        ("IG001", "error", "rule_ig001_pos_6", "charts", "__init__.py", 5),
        ("IG001", "error", "rule_ig001_pos_6", "rule_ig001_pos_6_other.gone", "__init__.py", 9),
        ("IG001", "error", "rule_ig001_pos_6", "sketches", "__init__.py", 12)]  # bound through globals()["sketches"]
    first, second, _ = messages("rule_ig001_pos_6", "IG001")
    assert "rule_ig001_pos_6.charts is a proxy of module rule_ig001_pos_6.charts, which does not exist" in first
    assert "proxy of module rule_ig001_pos_6_other.gone, which the installed rule_ig001_pos_6_other does not have" \
        in second
    report = importgraph.analyze(str(fixture_package("rule_ig001_pos_6")), select={"IG001"})
    assert report.stats.undecided_by_rule == {"IG001": 1}  # rule_ig001_pos_6_absent is not installed at all
    assert run_in_fixture("rule_ig001_pos_6", "import rule_ig001_pos_6 as p\np.gone.x") == "ModuleNotFoundError"
    assert run_in_fixture("rule_ig001_pos_6", "import rule_ig001_pos_6 as p\nassert p.other.VALUE == 1") == "ok"
    assert run_in_fixture("rule_ig001_pos_6", "import rule_ig001_pos_6 as p\np.charts.bar") == "ModuleNotFoundError"
    assert run_in_fixture("rule_ig001_pos_6", "import rule_ig001_pos_6 as p\np.sketches.x") == "ModuleNotFoundError"
    works = "import rule_ig001_pos_6 as p\nassert p.plots.plot() == 'plotted'"
    assert run_in_fixture("rule_ig001_pos_6", works) == "ok"


def test_ig001_positive_other_names_work():
    assert run_in_fixture("rule_ig001_pos_1", "from rule_ig001_pos_1 import Config") == "ok"
    assert run_in_fixture("rule_ig001_pos_2", "from rule_ig001_pos_2 import Engine") == "ok"
    assert run_in_fixture("rule_ig001_pos_3", "import rule_ig001_pos_3 as p\np.fft.rfft()") == "ok"


@pytest.mark.parametrize("fixture,runtime_check", [
    # legacy alias table + meta-path finder (transformers 5.23): key `tokenization_old` has no file
    ("rule_ig001_neg_1", "import rule_ig001_neg_1 as p, rule_ig001_neg_1.tokenization_old as old\n"
                         "assert old.Tokenizer is p.Tokenizer and p.tokenization_old is old"),
    # namespace subpackage (folder without __init__.py) registered as a lazy submodule
    ("rule_ig001_neg_2", "import rule_ig001_neg_2 as p\nfrom rule_ig001_neg_2 import Extra\n"
                         "assert p.plugins.__file__ is None and Extra.__module__ == 'rule_ig001_neg_2.plugins.extra'"),
    # astropy's __all__ as a PEP 562 submodule list, holding names the init binds itself (log, __version__)
    ("rule_ig001_neg_3", "import rule_ig001_neg_3 as p\nassert type(p.log).__name__ == '_Logger'\n"
                         "assert p.__version__ == '1.0' and p.units.METRE == 1.0"),
    # torch.ao.nn.intrinsic: the same, the names bound by the init's star import
    ("rule_ig001_neg_4", "import rule_ig001_neg_4 as p\n"
                         "assert p.ConvBn1d.__module__ == 'rule_ig001_neg_4.modules.fused'\n"
                         "assert p.LinearReLU and p.qat.TRAINING"),
    # torch: the TYPE_CHECKING half star-imports a module that exists only as a stub (.pyi)
    ("rule_ig001_neg_5", "import rule_ig001_neg_5 as p\nassert p.Tool.__module__ == 'rule_ig001_neg_5.tools'"),
    # imagecodecs: the __getattr__ catches the ImportError and serves a stub for a codec not built
    ("rule_ig001_neg_7", "import rule_ig001_neg_7 as p\nassert not p.EXOTIC and p.FAST.available"),
    # pyvista-validation: a helper imports f"{root}.{_SUBMODULES[name]}", root chosen at runtime
    ("rule_ig001_neg_6", "import rule_ig001_neg_6 as p\n"
                         "assert p.Matrix.__module__ == 'rule_ig001_neg_6.backends.stock.matrix' and p.Transform"),
])
def test_ig001_negative(fixture, runtime_check):
    assert findings(fixture, "IG001") == []
    assert run_in_fixture(fixture, runtime_check) == "ok"


def test_ig001_type_checking_import_needs_the_stub(tmp_path):
    """Without its ``.pyi`` stub the TYPE_CHECKING import of ``_native._functions`` is reported (type checkers
    cannot resolve it); the stub of the package (``a/b/__init__.pyi``) counts too."""
    package = tmp_path / "rule_ig001_neg_5"
    shutil.copytree(fixture_package("rule_ig001_neg_5"), package)
    (package / "_native" / "_functions.pyi").unlink()
    assert findings("", "IG001", package) == [("IG001", "error", "rule_ig001_neg_5", "_native._functions",
                                               "__init__.py", 5)]
    (package / "_native" / "_functions").mkdir()
    (package / "_native" / "_functions" / "__init__.pyi").write_text("def add(a: int, b: int) -> int: ...\n")
    assert findings("", "IG001", package) == []


def test_ig001_negative_compiled_extension(tmp_path):
    """A lazy key served by a compiled extension module (``fast.<abi>.so``, no .py) exists."""
    import sysconfig

    include = sysconfig.get_paths()["include"]
    if shutil.which("cc") is None or not os.path.exists(os.path.join(include, "Python.h")):
        pytest.skip("no C compiler or Python headers to build the extension")
    package = tmp_path / "ig001_ext"
    shutil.copytree(fixture_package("rule_ig001_pos_1"), package)
    init = package / "__init__.py"
    init.write_text(init.read_text().replace("rule_ig001_pos_1", "ig001_ext").replace('"modeling_missing"', '"fast"')
                    .replace(".modeling_missing", ".fast"))
    source = tmp_path / "fast.c"
    source.write_text(textwrap.dedent("""\
        #include <Python.h>
        static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "fast", NULL, -1, NULL};
        PyMODINIT_FUNC PyInit_fast(void) {
            PyObject *m = PyModule_Create(&def);
            PyObject *t = (PyObject *)&PyBaseObject_Type;
            if (m && PyModule_AddObjectRef(m, "Model", t) < 0) { Py_DECREF(m); return NULL; }
            return m;
        }
        """))
    target = package / f"fast{sysconfig.get_config_var('EXT_SUFFIX')}"
    subprocess.run(["cc", "-shared", "-fPIC", f"-I{include}", str(source), "-o", str(target)], check=True, timeout=120)
    assert findings("", "IG001", package) == []
    assert run_in_fixture("", "from ig001_ext import Model\nassert Model is object", root=tmp_path) == "ok"


def test_ig001_attach_from_another_package():
    """jax's ``attach("jaxlib.mlir.dialects", [...])`` serves another package's submodules from this module:
    the lazy module is the caller, the targets are the named package's; a missing one is reported, another
    distribution's (here the stdlib's ``json``) is not judged but counted undecided."""
    report = importgraph.analyze(str(fixture_package("lazyloader_foreign")), select={"IG001"})
    assert {name: lazy.submodules for name, lazy in report.lazy_modules.items()} == {
        "lazyloader_foreign.facade": ["lazyloader_foreign.impl.alpha", "lazyloader_foreign.impl.beta"],
        "lazyloader_foreign.outside": ["json.decoder"],
    }
    assert [(f.module, f.symbol) for f in report.findings] == [
        ("lazyloader_foreign.facade", "lazyloader_foreign.impl.beta")]
    assert report.stats.undecided_by_rule == {"IG001": 1}
    code = "import lazyloader_foreign.facade as f, lazyloader_foreign.outside as o\nf.alpha.VALUE, o.decoder\n"
    assert run_in_fixture("lazyloader_foreign", code) == "ok"
    assert run_in_fixture("lazyloader_foreign", "import lazyloader_foreign.facade as f\nf.beta") == \
        "ModuleNotFoundError"


# ----------------------------------------------------------------------------- IG002 lazy-missing-name
def test_ig002_missing_and_undeclared_backend_guard():
    assert findings("rule_ig002_pos_1", "IG002") == [
        ("IG002", "error", "rule_ig002_pos_1", "Pipline", "__init__.py", 6),     # typo: core binds Pipeline
        ("IG002", "error", "rule_ig002_pos_1", "FastKernel", "__init__.py", 7),  # bound only if fakebackend
    ]
    for name in ("Pipline", "FastKernel"):  # fakebackend is never installed
        assert run_in_fixture("rule_ig002_pos_1", f"from rule_ig002_pos_1 import {name}") in MISSING
    assert run_in_fixture("rule_ig002_pos_1", "from rule_ig002_pos_1 import Pipeline") == "ok"
    assert "fakebackend" in messages("rule_ig002_pos_1", "IG002")[1]


def test_ig002_type_checking_half_missing_name():
    assert findings("rule_ig002_pos_2", "IG002") == [("IG002", "error", "rule_ig002_pos_2", "Appender", "__init__.py", 7)]
    # the TYPE_CHECKING import, executed for real, fails; the lazy names work
    assert run_in_fixture("rule_ig002_pos_2", "from rule_ig002_pos_2.io_tools import Appender") == "ImportError"
    assert run_in_fixture("rule_ig002_pos_2", "from rule_ig002_pos_2 import Reader, Writer") == "ok"


def test_ig002_name_mapped_to_its_own_submodule_fails_on_first_access():
    """langsmith 0.15.1's ``{"types": "langsmith.types"}`` + ``getattr(module, name)``: the first access fails, the
    import it did sets the attribute, the second access and the from-import work."""
    assert findings("rule_ig002_pos_3", "IG002") == [("IG002", "error", "rule_ig002_pos_3", "types", "__init__.py", 5)]
    assert "the first `rule_ig002_pos_3.types` raises AttributeError" in messages("rule_ig002_pos_3", "IG002")[0]
    twice = "import rule_ig002_pos_3 as p\ntry:\n    p.types\nexcept AttributeError:\n    print(p.types.Run.__name__)"
    assert run_in_fixture("rule_ig002_pos_3", twice) == "Run"
    assert run_in_fixture("rule_ig002_pos_3", "from rule_ig002_pos_3 import types, Client") == "ok"


@pytest.mark.parametrize("fixture,names", [
    ("rule_ig002_neg_1", "Pipeline, make_pipeline"),  # re-exports (explicit + star); guarded entry declared
    ("rule_ig002_neg_2", "Circle, Square, UNIT"),     # lazy_loader; import-as, class, assignment
])
def test_ig002_negative(fixture, names):
    assert findings(fixture, "IG002") == []
    assert run_in_fixture(fixture, f"from {fixture} import {names}") == "ok"


def test_ig002_guarded_entry_is_not_advertised_without_backend():
    assert run_in_fixture("rule_ig002_neg_1", "import rule_ig002_neg_1 as p\nassert 'FastKernel' not in dir(p)") == "ok"


# ----------------------------------------------------------------------------- IG003 lazy-duplicate-name
WINNER = {
    # lazy_loader: two different classes; the object's own module is the winner
    "rule_ig003_pos_1": "import rule_ig003_pos_1 as p\nprint(p.Scheduler.__module__)",
    # _LazyModule: one re-exported object; the winner is the key the runtime maps the name to
    "rule_ig003_pos_2": "import rule_ig003_pos_2 as p\nprint(p.__name__ + '.' + p._class_to_module['Config'])",
}


@pytest.mark.parametrize("fixture,expected", [
    ("rule_ig003_pos_1", ("IG003", "warning", "rule_ig003_pos_1", "Scheduler", "__init__.py", 7)),
    ("rule_ig003_pos_2", ("IG003", "info", "rule_ig003_pos_2", "Config", "__init__.py", 7)),
])
def test_ig003_positive_names_the_runtime_winner(fixture, expected):
    assert findings(fixture, "IG003") == [expected]
    winner = run_in_fixture(fixture, WINNER[fixture])
    assert winner == f"{fixture}.{'modern' if fixture.endswith('1') else 'compat'}"
    (message,) = messages(fixture, "IG003")
    assert (f"serves {winner}" if expected[1] == "warning" else f"uses {winner}") in message


def test_ig003_benign_reexport_is_the_same_object():
    code = "import rule_ig003_pos_2 as p, rule_ig003_pos_2.configuration as c\nassert p.Config is c.Config"
    assert run_in_fixture("rule_ig003_pos_2", code) == "ok"


def test_ig003_real_duplicate_hides_the_other_definition():
    code = "import rule_ig003_pos_1 as p, rule_ig003_pos_1.legacy as old\nassert p.Scheduler is not old.Scheduler"
    assert run_in_fixture("rule_ig003_pos_1", code) == "ok"


@pytest.mark.parametrize("fixture,names", [
    ("rule_ig003_neg_1", "Config, load"),                       # compat imports Config but does not export it
    ("rule_ig003_neg_2", "Scheduler, LegacyScheduler, Trainer"),  # PEP 562 map: same class name, one export
])
def test_ig003_negative(fixture, names):
    assert findings(fixture, "IG003") == []
    assert run_in_fixture(fixture, f"from {fixture} import {names}") == "ok"


# ----------------------------------------------------------------------------- IG004 type-checking-mismatch
def test_ig004_name_in_one_half_only():
    assert findings("rule_ig004_pos_1", "IG004") == [
        ("IG004", "warning", "rule_ig004_pos_1", "ModelForCausalLM", "__init__.py", 7),  # lazy half only
        ("IG004", "warning", "rule_ig004_pos_1", "ConfigMixin", "__init__.py", 11),      # TYPE_CHECKING only
    ]
    assert run_in_fixture("rule_ig004_pos_1", "from rule_ig004_pos_1 import ModelForCausalLM") == "ok"
    assert run_in_fixture("rule_ig004_pos_1", "from rule_ig004_pos_1 import ConfigMixin") == "ImportError"


def test_ig004_halves_name_different_modules():
    assert findings("rule_ig004_pos_2", "IG004") == [
        ("IG004", "warning", "rule_ig004_pos_2", "FastTokenizer", "__init__.py", 7)]
    code = ("import rule_ig004_pos_2 as p, rule_ig004_pos_2.tokenization as checked\n"
            "assert p.FastTokenizer is not checked.FastTokenizer")
    assert run_in_fixture("rule_ig004_pos_2", code) == "ok"


def test_ig004_submodule_of_the_key_is_another_object():
    assert findings("rule_ig004_pos_3", "IG004") == [
        ("IG004", "warning", "rule_ig004_pos_3", "Tokenizer", "__init__.py", 9)]
    code = ("import rule_ig004_pos_3 as p, rule_ig004_pos_3.tokenizers.legacy as checked\n"
            "assert p.Tokenizer is not checked.Tokenizer")
    assert run_in_fixture("rule_ig004_pos_3", code) == "ok"


@pytest.mark.parametrize("fixture,names", [
    ("rule_ig004_neg_1", "Config, Model, models"),             # same guard both halves, dummy fallback
    ("rule_ig004_neg_2", "BertModel, Pipeline, pipeline"),     # package re-export, star import
    ("rule_ig004_neg_3", "FeatureExtractor, ImageProcessor"),  # a sibling module re-exports the same class
])
def test_ig004_negative(fixture, names):
    assert findings(fixture, "IG004") == []
    assert run_in_fixture(fixture, f"from {fixture} import {names}") == "ok"


def test_ig004_re_export_reaches_the_very_object():
    code = ("import rule_ig004_neg_3 as p, rule_ig004_neg_3.feature_extraction as checked\n"
            "assert p.ImageProcessor is checked.ImageProcessor")
    assert run_in_fixture("rule_ig004_neg_3", code) == "ok"


# ----------------------------------------------------------------------------- IG009 unparsable-file
def test_ig009_syntax_error():
    assert findings("rule_ig009_pos_1", "IG009") == [
        ("IG009", "error", "rule_ig009_pos_1.broken", "rule_ig009_pos_1.broken", "broken.py", 5)]
    assert run_in_fixture("rule_ig009_pos_1", "import rule_ig009_pos_1.broken") == "SyntaxError"
    assert run_in_fixture("rule_ig009_pos_1", "from rule_ig009_pos_1 import helper") == "ok"


def test_ig009_undecodable_file(tmp_path):
    shutil.copytree(FIXTURES / "rule_ig009_pos_2", tmp_path, dirs_exist_ok=True)
    package = tmp_path / "rule_ig009_pos_2"
    assert findings("", "IG009", package) == []  # as committed: no defect
    # Latin-1 bytes without a coding cookie: not UTF-8
    (package / "legacy_codec.py").write_bytes(b'"""Written by a Latin-1 editor."""\nGREETING = "caf\xe9"\n')
    assert findings("", "IG009", package) == [
        ("IG009", "error", "rule_ig009_pos_2.legacy_codec", "rule_ig009_pos_2.legacy_codec", "legacy_codec.py", 2)]
    assert run_in_fixture("", "import rule_ig009_pos_2.legacy_codec", root=tmp_path) == "SyntaxError"


def test_ig009_parses_but_does_not_compile():
    """ast.parse accepts these three modules; the compiler, and so ``import``, does not."""
    assert findings("rule_ig009_pos_3", "IG009") == [
        ("IG009", "error", f"rule_ig009_pos_3.{module}", f"rule_ig009_pos_3.{module}", f"{module}.py", line)
        for module, line in (("late_future", 4), ("plugin", 5), ("setup_hook", 5))]
    reasons = "\n".join(messages("rule_ig009_pos_3", "IG009"))
    for reason in ("from __future__ imports must occur at the beginning of the file",
                   "duplicate argument 'name' in function definition", "'return' outside function"):
        assert f"SyntaxError: {reason}" in reasons
    for module in ("late_future", "plugin", "setup_hook"):
        assert run_in_fixture("rule_ig009_pos_3", f"import rule_ig009_pos_3.{module}") == "SyntaxError"
    assert run_in_fixture("rule_ig009_pos_3", "from rule_ig009_pos_3 import helper") == "ok"


@pytest.mark.parametrize("fixture,modules", [
    ("rule_ig009_neg_1", "rule_ig009_neg_1.latin, rule_ig009_neg_1.bom"),  # PEP 263 cookie, UTF-8 BOM
    ("rule_ig009_neg_2", "rule_ig009_neg_2.modern"),                       # match / walrus / except*
    ("rule_ig009_neg_3", "rule_ig009_neg_3.compiles"),                     # look-alikes of compile errors
])
def test_ig009_negative(fixture, modules):
    assert findings(fixture, "IG009") == []
    assert run_in_fixture(fixture, f"import {modules}") == "ok"
