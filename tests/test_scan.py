"""The one-pass scanner on small sources: import contexts, relative imports, bindings, ``__all__``, ``@requires``.

Where Python itself can tell the truth cheaply (what ``__all__`` evaluates to, which names a module binds), the
expected value comes from running the snippet in a subprocess, not from the scanner.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from importgraph.model import Scope
from importgraph.scan import scan_source


def scan(source: str, module: str = "top.pkg.mod", is_package: bool = False):
    return scan_source(module, f"/src/{module.replace('.', '/')}.py", is_package,
                       textwrap.dedent(source).encode())


def run_python(source: str, expression: str) -> object:
    """Evaluate ``expression`` after executing ``source`` (stdlib only), in a subprocess."""
    code = textwrap.dedent(source) + f"\nimport json as _j\nprint(_j.dumps({expression}))\n"
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def imports_by_module(facts):
    return {i.module: i for i in facts.imports}


# ----------------------------------------------------------------------------------------------- imports


def test_import_contexts():
    facts = scan("""
        from typing import TYPE_CHECKING
        from .utils import OptionalDependencyNotAvailable, is_torch_available, is_vision_available
        import json
        if TYPE_CHECKING:
            from .typing_only import T
        if is_torch_available() and is_vision_available():
            import torch
        try:
            import numpy
        except ImportError:
            numpy = None
        try:
            if not is_torch_available():
                raise OptionalDependencyNotAvailable()
        except OptionalDependencyNotAvailable:
            from .dummies import Model
        else:
            from .modeling import Model
        def f():
            import csv
            from .late import x
        class C:
            import zlib
            def method(self):
                import gzip
    """)
    by = imports_by_module(facts)
    assert by["json"].scope is Scope.MODULE and by["json"].guarded_by == () and not by["json"].in_try
    assert by["top.pkg.typing_only"].scope is Scope.TYPE_CHECKING
    assert by["torch"].scope is Scope.MODULE and by["torch"].guarded_by == ("torch", "vision")
    assert by["numpy"].in_try and by["numpy"].guarded_by == ()
    assert by["top.pkg.modeling"].guarded_by == ("torch",)  # the try/raise/except/else idiom
    assert by["top.pkg.dummies"].guarded_by == ()
    assert by["csv"].scope is Scope.FUNCTION and by["top.pkg.late"].scope is Scope.FUNCTION
    assert by["zlib"].scope is Scope.MODULE  # a class body runs at import time
    assert by["gzip"].scope is Scope.FUNCTION
    assert by["top.pkg.late"].names == ("x",) and by["json"].names == ()


def test_relative_imports_resolve_against_the_package():
    module = scan("from . import a\nfrom .b import c\nfrom .. import d\nfrom ..e.f import g\n", "top.pkg.mod")
    assert [i.module for i in module.imports] == ["top.pkg", "top.pkg.b", "top", "top.e.f"]
    init = scan("from . import a\nfrom .b import c\nfrom .. import d\n", "top.pkg", is_package=True)
    assert [i.module for i in init.imports] == ["top.pkg", "top.pkg.b", "top"]
    # climbing above the top-level package is an ImportError at runtime: no edge
    assert scan("from ... import x\n", "top.mod").imports == []


def test_star_imports_are_recorded_for_later():
    facts = scan("from .impl import *\nfrom os.path import *\nif TYPE_CHECKING:\n    from .t import *\n")
    assert facts.star_imports == [("top.pkg.impl", 1), ("os.path", 2)]  # a TYPE_CHECKING star import binds nothing


# ----------------------------------------------------------------------------------------------- bindings

BINDINGS = """
    import os.path
    import collections.abc as cabc
    from json import dumps as to_json, loads
    a, (b, [c, *d]) = 1, (2, [3, 4, 5])
    e: int = 1
    f: int
    alias_of_e = e
    class K:
        inner_attr = 1
        import zlib
    def g():
        local = 1
    if len("x") == 1:
        both = 1
        only_if = 1
    else:
        both = 2
        only_else = 2
    try:
        import csv as maybe
        t = 1
    except ImportError:
        t = None
    try:
        u = 1
    except ImportError:
        raise
    try:
        from . import wrapped
    except BaseException as exc:
        wrapped = exc
    try:
        from json import dumps as fallback
    except ImportError:
        def fallback(value):
            return str(value)
    for loop_var in range(2):
        pass
    with open(os.devnull) as handle:
        pass
"""


def test_bindings_match_python():
    """Every name Python binds is a binding; the only extra one is bound in the branch not taken."""
    facts = scan(BINDINGS)
    real = run_python(BINDINGS, "sorted(n for n in dir() if not n.startswith('__') and n != '_j')")
    assert set(real) <= set(facts.bindings)
    assert set(facts.bindings) - set(real) == {"only_else"}


def test_binding_details():
    b = scan(BINDINGS).bindings
    assert b["os"].kind == "import" and b["os"].source is None  # ``import os.path`` binds ``os``
    assert b["cabc"].source == "collections.abc"
    assert b["to_json"].source == "json:dumps" and b["loads"].source == "json:loads"
    assert (b["a"].kind, b["d"].kind, b["e"].kind) == ("assign", "assign", "assign")
    assert (b["alias_of_e"].kind, b["alias_of_e"].source, b["e"].source) == ("assign", "e", None)
    assert "f" not in b  # annotation without a value binds nothing
    assert b["K"].kind == "class" and "inner_attr" not in b and "zlib" not in b
    assert b["g"].kind == "def" and "local" not in b
    # bound on every path -> unconditional; on one path -> conditional
    assert not b["both"].conditional
    assert b["only_if"].conditional and b["only_else"].conditional
    assert not b["t"].conditional and b["maybe"].conditional
    assert not b["u"].conditional  # the handler re-raises: if the import succeeds, u is bound
    # trimesh's ``from . import path`` / ``except: path = ExceptionWrapper(E)``: an import of the package's own
    # module is what a run binds, the handler's assignment only what a broken install does
    assert (b["wrapped"].kind, b["wrapped"].source, b["wrapped"].conditional) == ("import", "top.pkg:wrapped", False)
    # another package's import may fail where it is not installed (skimage's pooch): the fallback is recorded
    assert (b["fallback"].kind, b["t"].kind) == ("def", "assign") and not b["fallback"].conditional


def test_guarded_binding_carries_the_backend():
    b = scan("""
        from .utils import is_torch_available
        if is_torch_available():
            from .modeling import Model
        else:
            Model = None
        if is_torch_available():
            from .modeling import Only
    """).bindings
    assert b["Only"].guarded_by == ("torch",) and b["Only"].conditional
    assert b["Model"].guarded_by == () and not b["Model"].conditional


# ----------------------------------------------------------------------------------------------- __all__

ALL_FORMS = {
    "literal": "__all__ = ['a', 'b']",
    "tuple": "__all__ = ('a', 'b')",
    "augmented": "__all__ = ['a']\n__all__ += ['b']\n__all__ += ('c',)",
    "extend_append": "__all__ = ['a']\n__all__.extend(['b', 'c'])\n__all__.append('d')",
    "concatenation": "__all__ = ['a'] + ['b'] + list(('c',))",
    "self_reference": "__all__ = ['a']\n__all__ = __all__ + ['b']",
    "starred": "__all__ = [*('a', 'b'), 'c']",
    "list_call": "__all__ = list(('a', 'b'))",
    "remove": "__all__ = ['a', 'b']\n__all__.remove('a')",
    # names the file assigns once above, at module level, and never changes in place
    "name_once": "_PUBLIC = ['x', 'y']\n__all__ = _PUBLIC + ['z']",
    "name_list_call": "_NAMES = ('p', 'q')\n__all__ = list(_NAMES)",
    "name_chain": "_A = ['a']\n_B = _A + ['b']\n__all__ = _B",
    "dict_keys": "_MAP = {'a': 1, 'b': 2}\n__all__ = ['z'] + list(_MAP.keys())",
    "sorted_name": "_N = ['b', 'a']\n__all__ = sorted(_N)",
}

UNDECIDED_ALL_FORMS = {  # computed at run time: the value Python gets is not written anywhere
    "appended": ("_N = ['a']\n_N.append('b')\n__all__ = _N", "changes in place"),
    "function": ("def f():\n    x = []\n    x.append('a')\n    return x\n__all__ = f()", "built from Call"),
    "unpacked": ("a, b = ['x'], ['y']\n__all__ = a + b", "not a list assigned once"),
    "dir_comprehension": ("import os\n__all__ = [s for s in dir() if not s.startswith('_')]", "built from ListComp"),
    "loop_variable": ("for _X in (['a'],):\n    pass\n__all__ = _X", "not a list assigned once"),
    # scipy's array_api_compat: a dict filled by exec (astroid, which read this before, answered [])
    "exec_filled": ("_n = {}\nexec('x = 1', _n)\ndel _n['__builtins__']\n__all__ = list(_n)", "changes in place"),
}


@pytest.mark.parametrize("form", sorted(ALL_FORMS))
def test_dunder_all_as_python_computes_it(form):
    source = ALL_FORMS[form]
    facts = scan(source)
    assert facts.dunder_all_undecided is None, facts.dunder_all_undecided
    assert facts.dunder_all == run_python(source, "list(__all__)")
    assert facts.dunder_all_line == source.count("\n", 0, source.index("__all__")) + 1


@pytest.mark.parametrize("form", sorted(UNDECIDED_ALL_FORMS))
def test_dunder_all_computed_at_run_time_is_undecided_never_guessed(form):
    source, reason = UNDECIDED_ALL_FORMS[form]
    facts = scan(source)
    assert facts.dunder_all is None and reason in facts.dunder_all_undecided
    assert run_python(source, "list(__all__)")  # Python does get a value: only we cannot read it


def test_dunder_all_imported_from_another_module_is_a_reference():
    """``from .cli import __all__ as cli_all`` (prompt_toolkit) and ``_private.utils.__all__`` (numpy.testing)
    name other modules' ``__all__``: references, read later from those modules' own facts."""
    facts = scan("from . import _private\nfrom .cli import __all__ as cli_all\n"
                 "__all__ = ['a'] + _private.utils.__all__\n__all__.extend(cli_all)\n", "top.pkg", is_package=True)
    assert facts.dunder_all == ["a"] and facts.dunder_all_undecided is None
    assert facts.dunder_all_refs == ["top.pkg._private.utils", "top.pkg.cli"]


def test_dunder_all_concatenating_another_modules_all():
    facts = scan("from . import sub\nfrom .other import impl as alias\n"
                 "__all__ = ['a'] + sub.__all__\n__all__ += alias.__all__\n", "top.pkg", is_package=True)
    assert facts.dunder_all == ["a"]
    assert facts.dunder_all_refs == ["top.pkg.sub", "top.pkg.other.impl"]


def test_dunder_all_star_names_follow_the_reference(tmp_path):
    """End to end: ``from pkg import *`` names include the other module's ``__all__`` (resolve.star_names)."""
    from importgraph.discover import find_target, walk_package
    from importgraph.resolve import star_names
    from importgraph.scan import scan_files

    pkg = tmp_path / "allref"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from . import sub\n__all__ = ['top_name'] + sub.__all__\ntop_name = 1\n")
    (pkg / "sub.py").write_text("__all__ = ['inner']\ninner = 2\n")
    modules = scan_files(walk_package(find_target(str(pkg))))
    expected = run_python(f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import allref",
                          "list(allref.__all__)")
    assert star_names(modules["allref"], modules) == expected == ["top_name", "inner"]


@pytest.mark.parametrize("source", [
    "__all__ = [n for n in dir() if not n.startswith('_')]",
    "__all__ = compute_names()",
    "names = ['a']\n__all__ = ['x']\n__all__.append(names[0])",
])
def test_undecidable_dunder_all_is_recorded_not_guessed(source):
    facts = scan(source)
    assert facts.dunder_all is None
    assert facts.dunder_all_undecided is not None and facts.dunder_all_undecided.startswith("line ")


def test_dunder_all_in_a_class_or_function_is_not_the_modules():
    facts = scan("class K:\n    __all__ = ['no']\ndef f():\n    __all__ = ['no']\n")
    assert facts.dunder_all is None and facts.dunder_all_undecided is None


# ----------------------------------------------------------------------------------------------- @requires


def test_requires_decorators():
    facts = scan("""
        from .utils import requires
        @requires(backends=("torch", "vision"))
        class A: ...
        @requires(backends="torch")
        def b(): ...
        @requires()
        def c(): ...
        @other
        class D: ...
        if x:
            @requires(backends=("tf",))
            class E: ...
        class F:
            @requires(backends=("torch",))
            def method(self): ...
        @requires(backends=BACKENDS)
        class G: ...
    """)
    assert facts.requires == {"A": ("torch", "vision"), "b": ("torch",), "c": (), "G": ("?",)}


# ----------------------------------------------------------------------------------------------- problems


@pytest.mark.parametrize("source, reason", [
    (b"def broken(:\n    pass\n", "SyntaxError"),
    (b"x = '\xff\xfe'\n", "SyntaxError"),  # not UTF-8 and no coding cookie
    (b"x = 1\x00\n", "SyntaxError"),
])
def test_unparsable_source_is_a_problem_not_an_exception(source, reason):
    facts = scan_source("top.bad", "/src/top/bad.py", False, source)
    assert facts.problem is not None and facts.problem.reason.startswith(reason)
    assert facts.problem.path == "/src/top/bad.py"
    assert facts.imports == [] and facts.bindings == {}


def test_lazy_markers():
    assert "lazymodule" in scan("sys.modules[__name__] = _LazyModule(__name__, __file__, {})").lazy_markers
    assert "getattr" in scan("def __getattr__(name):\n    raise AttributeError(name)\n").lazy_markers
    assert scan("x = 1").lazy_markers == ()
