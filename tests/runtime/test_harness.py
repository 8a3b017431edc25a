"""Sanity checks of the runtime harness itself (venvs + probe), against real pinned releases.

These do not test importgraph; they make sure the runtime ground truth the
parity tests compare against is what we think it is.  First run builds two
venvs from PyPI (~35 s + ~25 s); later runs reuse them and the cached probe
results (well under a second).
"""

from __future__ import annotations

import json
import subprocess
import textwrap

import pytest

from . import runtime_maps
from .runtime_maps import PROBE_SCRIPT, runtime_lazy_maps
from .venvs import TRANSFORMERS_4, TRANSFORMERS_5, ensure_venv

pytestmark = pytest.mark.runtime


@pytest.fixture(scope="module")
def t5_python():
    return ensure_venv(*TRANSFORMERS_5)


@pytest.fixture(scope="module")
def t4_python():
    return ensure_venv(*TRANSFORMERS_4)


@pytest.fixture(scope="module")
def t5(t5_python):
    return runtime_lazy_maps(t5_python, "transformers")


@pytest.fixture(scope="module")
def t4(t4_python):
    return runtime_lazy_maps(t4_python, "transformers")


def _resolve(result: dict, package: str, name: str) -> str:
    """Absolute module that ``package``'s lazy table points ``name`` at (keys are relative)."""
    return f"{package}.{result['lazy_modules'][package]['class_to_module'][name]}"


def _common_sanity(result: dict, version: str) -> None:
    assert result["version"] == version
    modules = result["lazy_modules"]
    errors = {name: m["error"] for name, m in modules.items() if "error" in m}
    assert errors == {}
    top = modules["transformers"]
    assert top["kind"] == "lazymodule"
    assert len(top["class_to_module"]) > 100
    assert "__version__" in top["objects"]
    # Keys are relative to the lazy package, never absolute or dotted-relative.
    for m in modules.values():
        for key in m.get("class_to_module", {}).values():
            assert not key.startswith(("transformers.", "."))
    # Probing builds lazy tables only; it must not pull in a framework or model code.
    assert result["heavy_modules_loaded"] == []
    assert result["model_code_loaded"] == []
    assert result["backends"]["torch"] is False


def test_transformers5_tables(t5):
    _common_sanity(t5, "5.23.0")
    assert len(t5["lazy_modules"]) > 500
    # One hop at every level: the top level points straight at the module file.
    for package in ("transformers", "transformers.models", "transformers.models.bert"):
        assert _resolve(t5, package, "BertModel") == "transformers.models.bert.modeling_bert"
    bert = t5["lazy_modules"]["transformers.models.bert"]
    assert bert["class_to_module"]["BertModel"].endswith("modeling_bert")
    assert bert["object_missing_backend"]["BertModel"] == ["torch"]
    assert "BertConfig" not in bert["object_missing_backend"]
    assert t5["lazy_modules"]["transformers"]["object_missing_backend"]["BertModel"] == ["torch"]


def test_transformers4_tables(t4):
    _common_sanity(t4, "4.44.2")
    top = t4["lazy_modules"]["transformers"]
    # 4.x has no missing-backend table: without torch the name is routed to the dummies,
    # and the model package's own structure does not list it at all.
    assert top["object_missing_backend"] is None
    assert top["class_to_module"]["BertModel"] == "utils.dummy_pt_objects"
    assert top["class_to_module"]["BertConfig"] == "models.bert"  # key is a package: two hops
    bert = t4["lazy_modules"]["transformers.models.bert"]
    assert "BertModel" not in bert["class_to_module"]
    assert bert["class_to_module"]["BertConfig"] == "configuration_bert"


def test_second_call_is_served_from_the_probe_cache_and_equal(t5_python, t5, monkeypatch):
    """The probe ran once (the ``t5`` fixture); asking again reads its cached result: the probe, which imports
    the package in a subprocess, does not run again, and the answer is the same."""
    def no_probe(*args, **kwargs):
        raise AssertionError("the probe ran again instead of reading its cached result")

    monkeypatch.setattr(runtime_maps, "_run_probe", no_probe)
    assert runtime_lazy_maps(t5_python, "transformers") == t5


def test_fixture_kinds_and_stdout_hygiene(t5_python, tmp_path):
    """lazy_loader closure reading, PEP 562 skipping, import errors, and JSON-only stdout."""
    pkg = tmp_path / "fixpkg"
    files = {
        "__init__.py": 'print("noise that must not reach the JSON")\n',
        "ll/__init__.py": """
            import importlib

            def attach(package_name, submodules=None, submod_attrs=None):
                submodules = set(submodules or ())
                attr_to_modules = {a: m for m, attrs in (submod_attrs or {}).items() for a in attrs}

                def __getattr__(name):
                    if name in submodules:
                        return importlib.import_module(f"{package_name}.{name}")
                    if name in attr_to_modules:
                        module = importlib.import_module(f"{package_name}.{attr_to_modules[name]}")
                        return getattr(module, name)
                    raise AttributeError(name)

                return __getattr__, None, sorted(submodules | attr_to_modules.keys())

            __getattr__, _, __all__ = attach(__name__, ["sub"], {"mod_a": ["A", "B"]})
        """,
        "p562/__init__.py": """
            __all__ = ["X"]

            def __getattr__(name):
                raise AttributeError(name)
        """,
        "broken/__init__.py": "from ._nope import _LazyModule(\n",
    }
    for rel, text in files.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))

    result = runtime_lazy_maps(t5_python, "fixpkg", extra_paths=[tmp_path])
    modules = result["lazy_modules"]
    assert modules["fixpkg"]["kind"] == "not_lazy"
    assert modules["fixpkg.ll"]["kind"] == "lazy_loader"
    assert modules["fixpkg.ll"]["attr_to_modules"] == {"A": "mod_a", "B": "mod_a"}
    assert modules["fixpkg.ll"]["submodules"] == ["sub"]
    assert modules["fixpkg.broken"]["error"].startswith("SyntaxError")
    assert result["pep562_not_imported"] == ["fixpkg.p562"]
    assert not list(tmp_path.rglob("__pycache__"))

    with_pep562 = runtime_lazy_maps(t5_python, "fixpkg", extra_paths=[tmp_path], import_pep562=True)
    assert with_pep562["lazy_modules"]["fixpkg.p562"] == {
        "type": "builtins.module",
        "file": str(pkg / "p562" / "__init__.py"),
        "kind": "pep562",
        "all": ["X"],
    }


def test_probe_stdout_is_one_json_object(t5_python, tmp_path):
    """Direct run with transformers' logging turned up: the warnings go to stderr, stdout stays JSON."""
    # The probe defaults TRANSFORMERS_NO_ADVISORY_WARNINGS to "1"; an empty value (falsy for
    # transformers, but "set" for the probe's setdefault) lets the "PyTorch was not found" advice through.
    env = {"PATH": "/usr/bin:/bin", "TRANSFORMERS_VERBOSITY": "warning", "TRANSFORMERS_NO_ADVISORY_WARNINGS": ""}
    proc = subprocess.run(
        [str(t5_python), str(PROBE_SCRIPT), "transformers"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    )
    assert "PyTorch was not found" in proc.stderr
    assert json.loads(proc.stdout)["version"] == "5.23.0"
