"""The init evaluator on small sources: structure mutations, guards, undecidable code, broken files.

The expected structures come from Python: each snippet is run for real in a subprocess, with the availability
helpers answering like the modelled environment, and must give the same dict the evaluator computes.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap

import pytest

import importgraph
from importgraph.lazy.evaluator import Evaluator
from importgraph.model import Environment
from tests.conftest import fixture_package

RUNTIME_PREAMBLE = """
import os
class OptionalDependencyNotAvailable(BaseException):
    pass
_AVAILABLE = set(os.environ["AVAILABLE"].split(",")) - {""}
def is_torch_available(): return "torch" in _AVAILABLE
def is_tokenizers_available(): return "tokenizers" in _AVAILABLE
def is_sentencepiece_available(): return "sentencepiece" in _AVAILABLE
def is_transformers_version(op, version): return "transformers" in _AVAILABLE
"""

MUTATIONS = """
from .utils import OptionalDependencyNotAvailable, is_sentencepiece_available, is_tokenizers_available
_import_structure = {"configuration_utils": ["PretrainedConfig"], "utils": []}
_import_structure["models.albert"] = ["AlbertConfig"]
_import_structure["utils"].append("is_torch_available")
_import_structure["utils"].extend(["is_tokenizers_available", "logging"])
_import_structure["utils"] += ["is_sentencepiece_available"]
_import_structure.setdefault("utils.versions", []).append("require_version")
_import_structure.setdefault("configuration_utils", ["NotAName"])
_import_structure.update({"pipelines": ["pipeline"], "utils.hub": ["cached_file"]})
try:
    if not is_torch_available():
        raise OptionalDependencyNotAvailable()
except OptionalDependencyNotAvailable:
    _import_structure["utils.dummy_pt_objects"] = ["PreTrainedModel"]
else:
    _import_structure["modeling_utils"] = ["PreTrainedModel"]
if is_tokenizers_available():
    _import_structure["tokenization_utils_fast"] = ["PreTrainedTokenizerFast"]
if not (is_sentencepiece_available() and is_tokenizers_available()):
    _import_structure["utils.dummy_sentencepiece_and_tokenizers_objects"] = ["convert_slow_tokenizer"]
else:
    _import_structure["convert_slow_tokenizer"] = ["convert_slow_tokenizer"]
if is_transformers_version(">=", "4.27.0"):
    _import_structure["pipelines.new"] = ["NewPipeline"]
for _name in ("a", "b"):
    _import_structure["extras"] = _import_structure.get("extras", []) + [_name.upper()]
_import_structure = {k: set(v) for k, v in _import_structure.items()}
import_structure = {frozenset({"torch"}): {"modeling_x": {"XModel"}}, frozenset(): {}}
import_structure[frozenset({})].update(_import_structure)
"""

ENVIRONMENTS = [(), ("torch",), ("tokenizers", "sentencepiece"), ("torch", "tokenizers", "sentencepiece",
                                                                   "transformers")]


def evaluate(source: str, available=None, module: str = "pkg", path: str = "/src/pkg/__init__.py"):
    env = Environment(available=None if available is None else frozenset(available))
    tree = ast.parse(textwrap.dedent(source))
    return Evaluator(module, path, True, env).run(tree.body)


def run_for_real(source: str, available: tuple[str, ...], expression: str) -> object:
    lines = [line for line in textwrap.dedent(source).splitlines() if not line.startswith("from .utils")]
    code = RUNTIME_PREAMBLE + "\n".join(lines) + f"\nimport json\nprint(json.dumps({expression}))\n"
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True,
                         env={"AVAILABLE": ",".join(available)})
    return json.loads(out.stdout)


def as_json(structure: dict) -> dict:
    """The structure with sets as sorted lists and frozenset keys as comma-joined names (JSON-comparable)."""
    def key(k):
        return ",".join(sorted(k)) if isinstance(k, frozenset) else str(k)

    def value(v):
        if isinstance(v, dict):
            return {key(k): value(x) for k, x in v.items()}
        if isinstance(v, (set, frozenset)):
            return sorted(str(x) for x in v)
        return [str(x) for x in v]

    return value(structure)


JSON_OF_STRUCTURE = ("{(','.join(sorted(k))): {m: sorted(v) for m, v in d.items()} "
                     "for k, d in import_structure.items()}")


@pytest.mark.parametrize("available", ENVIRONMENTS, ids=lambda e: "+".join(e) or "none")
def test_every_mutation_gives_what_python_gives(available):
    result = evaluate(MUTATIONS, available)
    static = as_json(result.scope["import_structure"])
    assert static == run_for_real(MUTATIONS, available, JSON_OF_STRUCTURE)
    assert result.undecided == []


def test_mutations_keep_the_declaring_line_and_guard():
    result = evaluate(MUTATIONS, ("torch", "tokenizers", "sentencepiece"))
    structure = result.scope["_import_structure"]
    model = next(iter(structure["modeling_utils"]))
    line = MUTATIONS.splitlines().index('    _import_structure["modeling_utils"] = ["PreTrainedModel"]') + 1
    assert (model.line, model.guard) == (line, frozenset({"torch"}))
    fast = next(iter(structure["tokenization_utils_fast"]))
    assert fast.guard == frozenset({"tokenizers"})
    convert = next(iter(structure["convert_slow_tokenizer"]))
    assert convert.guard == frozenset({"sentencepiece", "tokenizers"})


def test_version_guard_follows_the_backend():
    """``is_x_version(...)`` is true when x is modelled available (the environment has no versions)."""
    assert "pipelines.new" in evaluate(MUTATIONS, ("transformers",)).scope["_import_structure"]
    assert "pipelines.new" not in evaluate(MUTATIONS, ()).scope["_import_structure"]


def test_backend_import_fails_when_the_backend_is_absent():
    source = """
        _s = {}
        try:
            import torch
            _s["with_torch"] = ["A"]
        except ImportError:
            _s["without_torch"] = ["A"]
    """
    # ``import torch`` is only known to be a backend import when the package guards on torch somewhere.
    tree = ast.parse(textwrap.dedent(source))
    from importgraph.lazy.evaluator import Hooks

    for available, key in ((("torch",), "with_torch"), ((), "without_torch")):
        env = Environment(available=frozenset(available))
        result = Evaluator("pkg", "/p/__init__.py", True, env, Hooks(backends=frozenset({"torch"}))).run(tree.body)
        assert list(result.scope["_s"]) == [key]


def test_undecidable_condition_is_reported_with_file_and_line_not_guessed():
    result = evaluate("""
        import os
        _s = {"a": ["A"]}
        if os.environ.get("EAGER"):
            _s["b"] = ["B"]
        else:
            _s["c"] = ["C"]
    """, path="/src/pkg/__init__.py")
    assert result.scope["_s"] == {"a": ["A"]}  # neither branch taken
    [undecided] = result.undecided
    assert (undecided.path, undecided.line) == ("/src/pkg/__init__.py", 4)
    assert "not decidable" in undecided.reason


def test_loop_over_unknown_is_undecided():
    result = evaluate("_s = {}\nfor name in helper():\n    _s[name] = [name]\n")
    assert result.scope["_s"] == {} and [u.line for u in result.undecided] == [2]


def test_module_level_raise_stops_the_runtime_but_not_the_reading():
    result = evaluate("_s = {'a': ['A']}\nraise RuntimeError('no')\n_s['b'] = ['B']\n")
    assert result.raised is not None and result.raised.line == 2
    assert [u.line for u in result.undecided] == [2]


def test_type_checking_half_does_not_change_the_runtime_scope():
    result = evaluate("""
        from typing import TYPE_CHECKING
        _s = {"a": ["A"]}
        if TYPE_CHECKING:
            from .a import A
            _s["typing_only"] = ["X"]
    """)
    assert result.scope["_s"] == {"a": ["A"]}
    assert [(t.module, t.name) for t in result.type_checking] == [("pkg.a", "A")]


SETATTR_LOOPS = {
    "dummies": "for name, value in _dummy_objects.items():\n    setattr(sys.modules[__name__], name, value)\n",
    "list of pairs": "for k, v in [('C', 3), ('D', 4)]:\n    setattr(sys.modules[__name__], k, v)\n",
    "loop name in the object": "for name, value in _dummy_objects.items():\n    setattr(sys.modules[name], name, value)\n",
    "two statements": ("for name, value in _dummy_objects.items():\n    setattr(sys.modules[__name__], name, value)\n"
                       "    _seen.append(name)\n"),
    "not pairs": "for name, value in [('A', 1), ('B', 2, 3)]:\n    setattr(sys.modules[__name__], name, value)\n",
    "setattr shadowed": ("def setattr(*args):\n    pass\n"
                         "for name, value in _dummy_objects.items():\n    setattr(sys.modules[__name__], name, value)\n"),
}


@pytest.mark.parametrize("loop", SETATTR_LOOPS, ids=str)
def test_the_setattr_loop_shortcut_is_the_loop(loop, monkeypatch):
    """diffusers' ``for name, value in _dummy_objects.items(): setattr(sys.modules[__name__], name, value)`` runs
    without evaluating its loop-invariant target per item (``Evaluator.setattr_loop``); what it leaves (attributes,
    their lines, the loop names, undecided notes) is what the general loop leaves, and other shapes take the
    general loop."""
    source = ("import sys\nfrom .utils import _LazyModule\n_dummy_objects = {'A': 1, 'B': 2}\n_seen = []\n"
              "sys.modules[__name__] = _LazyModule(__name__, globals()['__file__'], {'x': ['X']})\n"
              + SETATTR_LOOPS[loop])
    tree = ast.parse(source)  # one tree for both runs: a ``def`` in the scope is the same node
    taken = []
    shortcut = Evaluator.setattr_loop
    monkeypatch.setattr(Evaluator, "setattr_loop", lambda self, *a: taken.append(shortcut(self, *a)) or taken[-1])
    fast = Evaluator("pkg", "/src/pkg/__init__.py", True, Environment()).run(tree.body)
    monkeypatch.setattr(Evaluator, "setattr_loop", lambda self, *a: False)
    general = Evaluator("pkg", "/src/pkg/__init__.py", True, Environment()).run(tree.body)

    def left(result):
        [build] = result.builds
        scope = {k: getattr(v, "node", v) for k, v in result.scope.items() if k != "__spec__"}  # a def: its node
        return build.attributes, build.attribute_lines, scope, [(u.line, u.reason) for u in result.undecided]

    assert left(fast) == left(general)
    assert taken == [loop in ("dummies", "list of pairs")]
    if taken[0]:
        assert sorted(fast.builds[0].attributes) in (["A", "B"], ["C", "D"])


# ------------------------------------------------------------------------------------- whole packages


def make_package(tmp_path, name: str, files: dict[str, str]):
    for relative, text in files.items():
        path = tmp_path / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
    return tmp_path / name


LAZY_INIT = """
import os
import sys
from .utils import _LazyModule, is_torch_available
_import_structure = {"core": ["Core"]}
if is_torch_available():
    _import_structure["broken"] = ["Broken"]
if os.environ.get("EXTRA"):
    _import_structure["extra"] = ["Extra"]
sys.modules[__name__] = _LazyModule(__name__, globals()["__file__"], _import_structure, module_spec=__spec__)
"""


def test_undecided_constructs_listed_on_a_built_lazy_module(tmp_path):
    package = make_package(tmp_path, "undecidedpkg", {
        "__init__.py": LAZY_INIT, "utils.py": "def is_torch_available(): return True\nclass _LazyModule: pass\n",
        "core.py": "class Core: pass\n", "broken.py": "class Broken(:\n", "latin.py": b"x = '\xe9'\n",
    })
    report = importgraph.analyze(str(package))
    lazy = report.lazy_modules["undecidedpkg"]
    assert set(lazy.names) == {"Core", "Broken"}
    assert [(u.path, u.line) for u in lazy.undecided] == [(str(package / "__init__.py"), 8)]
    # unparsable files are recorded (path, line, reason) and the analysis goes on
    problems = {m: f.problem for m, f in report.modules.items() if f.problem is not None}
    assert set(problems) == {"undecidedpkg.broken", "undecidedpkg.latin"}
    assert problems["undecidedpkg.broken"].line == 1 and "SyntaxError" in problems["undecidedpkg.broken"].reason
    assert report.stats.unparsable == 2 and report.stats.undecided >= 1
    assert {f.rule for f in report.findings} >= {"IG009"}
    from importgraph.render.json_report import report_dict

    listed = report_dict(report)["lazy_modules"]["undecidedpkg"]["undecided"]
    assert listed == [{"path": "undecidedpkg/__init__.py", "line": 8, "reason": lazy.undecided[0].reason}]


def test_vendored_attach_under_another_name(tmp_path):
    """huggingface_hub's idiom: a copy of lazy_loader.attach defined in the init under another name."""
    package = make_package(tmp_path, "vendored", {
        "__init__.py": textwrap.dedent('''
            import importlib
            _SUBMOD_ATTRS = {"alpha": ["a_func"], "sub.beta": ["BetaClass"]}
            def _make_lazy(package_name, submodules=None, submod_attrs=None):
                submodules = set(submodules or ())
                attr_to_modules = {a: m for m, attrs in (submod_attrs or {}).items() for a in attrs}
                def __getattr__(name):
                    if name in submodules:
                        return importlib.import_module(f"{package_name}.{name}")
                    if name in attr_to_modules:
                        return getattr(importlib.import_module(f"{package_name}.{attr_to_modules[name]}"), name)
                    raise AttributeError(name)
                return __getattr__, lambda: sorted(attr_to_modules)
            __getattr__, __dir__ = _make_lazy(__name__, ["sub"], submod_attrs=_SUBMOD_ATTRS)
        '''),
        "alpha.py": "def a_func(): pass\n", "sub/__init__.py": "", "sub/beta.py": "class BetaClass: pass\n",
    })
    report = importgraph.analyze(str(package))
    lazy = report.lazy_modules["vendored"]
    assert lazy.style == "lazy_loader"
    assert {n: e.module for n, e in lazy.names.items()} == {"a_func": "vendored.alpha",
                                                           "BetaClass": "vendored.sub.beta"}
    assert lazy.submodules == ["vendored.sub"]
    code = (f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import vendored; "
            "print(vendored.a_func.__module__, vendored.BetaClass.__module__, vendored.sub.__name__)")
    out = subprocess.run([sys.executable, "-B", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["vendored.alpha", "vendored.sub.beta", "vendored.sub"]


@pytest.mark.runtime
def test_huggingface_hub_vendored_attach_equals_runtime(transformers5):
    """The real huggingface_hub of the transformers 5 venv: ``_attach(__name__, submodules=[],
    submod_attrs=_SUBMOD_ATTRS)`` rebuilt statically equals lazy_loader's closure at runtime."""
    from tests.runtime.runtime_maps import runtime_lazy_maps

    python, _site = transformers5
    runtime = runtime_lazy_maps(python, "huggingface_hub")["lazy_modules"]["huggingface_hub"]
    assert runtime["kind"] == "lazy_loader"
    report = importgraph.analyze("huggingface_hub", python=str(python), select=set())
    lazy = report.lazy_modules["huggingface_hub"]
    static = {name: entry.module for name, entry in lazy.names.items()}
    expected = {name: f"huggingface_hub.{module}" for name, module in runtime["attr_to_modules"].items()}
    assert static == expected and len(expected) > 400
    assert lazy.submodules == sorted(f"huggingface_hub.{s}" for s in runtime["submodules"])
    # ``if os.environ.get("EAGER_IMPORT", ""):`` below the map cannot be decided: listed with file:line
    eager = [u for u in lazy.undecided if "not decidable" in u.reason]
    assert eager and all(u.path.endswith("huggingface_hub/__init__.py") and u.line > 0 for u in eager)


def test_unevaluable_base_file_rule_is_undecided_not_no_match():
    """``touch(...) or "modeling_" in name`` calls a function of the package: we never call it, and the
    file's base backends are then recorded as undecided instead of silently taken as "no rule matched"."""
    report = importgraph.analyze(str(fixture_package("sideeffect_lazy")))
    undecided = [u for lazy in report.lazy_modules.values() for u in lazy.undecided]
    assert [(os.path.basename(u.path), u.reason.split(" could ")[0]) for u in undecided] == [
        ("modeling_widget.py", f"BASE_FILE_REQUIREMENTS rule 1 ({report.structure_rules})")]
    assert report.stats.undecided >= 1
