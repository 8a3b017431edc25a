"""`importgraph explain` / `importgraph path`: the static chain and import cost, checked against the runtime.

The import cost is compared with what really lands in ``sys.modules`` in a subprocess, for a fixture
package and for the pinned transformers 5.23.0 wheel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import importgraph
from importgraph.cli import app
from importgraph.explain import UnknownName, explain, import_path
from importgraph.installed import BackendDetector
from tests.conftest import fixture_package
from tests.runtime.venvs import DIFFUSERS, ensure_venv

HF4 = fixture_package("hf4_dict")
RUNTIME_NEW_MODULES = (
    "import sys, json; before = set(sys.modules); from {package} import {name}; "
    "print(json.dumps(sorted(set(sys.modules) - before)))"
)


def runtime_own_modules(python: str, package: str, name: str, extra_path: str | None = None) -> set[str]:
    """The package's modules that `from package import name` really adds to sys.modules (no backends)."""
    env = {"PATH": "/usr/bin:/bin", "TRANSFORMERS_VERBOSITY": "error"}
    if extra_path:
        env["PYTHONPATH"] = extra_path
    out = subprocess.run([python, "-c", RUNTIME_NEW_MODULES.format(package=package, name=name)],
                         capture_output=True, text=True, env=env, check=True)
    return {m for m in json.loads(out.stdout) if m == package or m.startswith(package + ".")}


def line_of(path: Path, text: str) -> int:
    """1-based line of the first line of ``path`` that contains ``text`` (the expected value, read by hand)."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def pep562_package(root: Path, name: str, table: dict[str, str], *, before: str = "",
                   modules: dict[str, str] | None = None) -> Path:
    """A package whose init serves ``table`` (name -> relative module) from a PEP 562 ``__getattr__``, with
    ``before`` at its top and ``modules`` (file stem -> source) beside it."""
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        f"import importlib\n{before}_MAP = {table!r}\n\n\ndef __getattr__(name):\n    if name in _MAP:\n"
        "        return getattr(importlib.import_module(_MAP[name], __name__), name)\n    raise AttributeError(name)\n")
    for stem, source in (modules or {}).items():
        (pkg / f"{stem}.py").write_text(source)
    return pkg


@pytest.fixture(scope="module")
def hf4():
    report = importgraph.analyze(str(HF4), backends=[])  # no FIXTURE_HAS_* set: every backend missing
    return report, BackendDetector(report.target)


# --------------------------------------------------------------------------- fixture: the chain


def test_nested_lazy_hops_end_at_the_class_statement(hf4):
    report, detector = hf4
    exp = explain(report, "AlbertConfig", detector)
    kinds = [hop.kind for hop in exp.hops]
    assert kinds == ["sys.path", "lazy-module", "lazy-entry", "package", "lazy-module", "lazy-entry", "definition"]
    assert exp.hops[1].line == line_of(HF4 / "__init__.py", "sys.modules[__name__] = _LazyModule(")
    assert exp.hops[2].line == line_of(HF4 / "__init__.py", '"models.albert": [')
    albert = HF4 / "models" / "albert"
    assert exp.hops[-1].path == "hf4_dict/models/albert/configuration_albert.py"
    assert exp.hops[-1].line == line_of(albert / "configuration_albert.py", "class AlbertConfig")
    assert exp.outcome == "object" and exp.backends == []
    assert exp.hops[0].summary.endswith("(the folder given, as its sys.path entry)")  # a path, not sys.path


def test_dotted_name_walks_the_packages(hf4):
    report, detector = hf4
    exp = explain(report, "models.albert.AlbertConfig", detector)
    assert [h.kind for h in exp.hops][:4] == ["sys.path", "lazy-module", "package", "package"]
    assert exp.qualified == "hf4_dict.models.albert.AlbertConfig"


def test_missing_backend_reroutes_to_the_dummy_module(hf4):
    report, detector = hf4
    exp = explain(report, "PreTrainedModel", detector)
    assert exp.outcome == "dummy"
    assert exp.hops[-1].path == "hf4_dict/utils/dummy_pt_objects.py"
    assert [(b.backend, b.installed) for b in exp.backends] == [("torch", False)]


def test_unknown_name_suggests_close_names(hf4):
    report, _ = hf4
    with pytest.raises(UnknownName) as info:
        explain(report, "AlbertConfg")
    assert "AlbertConfig" in info.value.suggestions


def test_cli_unknown_name_exits_2_without_traceback():
    result = CliRunner().invoke(app, ["explain", str(HF4), "PretrainedConfg", "-q"])
    assert result.exit_code == 2, result.output
    assert "PretrainedConfig" in result.output and "Traceback" not in result.output


def test_cli_header_names_the_modelled_environment():
    """The header says which backends the explanation assumes: ``--without torch`` is every backend but torch."""
    for flags, said in ((["--without", "torch"], "modelled backends: all but torch)"),
                        (["--backends", "torch,tokenizers"], "modelled backends: tokenizers, torch)"),
                        (["--all-backends"], "modelled backends: all)")):
        result = CliRunner().invoke(app, ["explain", str(HF4), "PreTrainedModel", *flags, "-q"])
        assert result.exit_code == 0, result.output
        assert said in " ".join(result.output.split()), result.output.splitlines()[0]


def test_cli_json_is_parseable_and_names_the_definition():
    result = CliRunner().invoke(app, ["explain", str(HF4), "AlbertConfig", "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["hops"][-1]["kind"] == "definition"
    assert "hf4_dict.models.albert.configuration_albert" in data["cost"]["added"]["own"]


@pytest.mark.parametrize("package, name", [(HF4, "AlbertConfig"), (fixture_package("hf5_structure"), "FooModel"),
                                           (fixture_package("hf5_structure"), "FooVisionTower")])
def test_json_does_not_depend_on_the_hash_seed(package, name, tmp_path):
    """Three processes with different hash seeds (define_import_structure builds its maps from sets, whose order
    follows the seed) write the same explanation. FooVisionTower's entry has two backends (its file's torch and
    its decorator's vision): its structure key was printed in the order of a set."""
    outputs = []
    for seed in ("1", "2", "3"):  # 1 and 3 put {'torch', 'vision'} in different orders
        done = subprocess.run([sys.executable, "-m", "importgraph", "explain", str(package), name, "-f", "json", "-q"],
                              env={**os.environ, "PYTHONHASHSEED": seed, "IMPORTGRAPH_CACHE_DIR": str(tmp_path / seed)},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert json.loads(outputs[0])["name"] == name
    assert outputs[0] == outputs[1] == outputs[2]


# --------------------------------------------------------------------------- fixture: cost vs runtime

HF4_BACKEND_FREE = ["PretrainedConfig", "AlbertConfig", "ALBERT_PRETRAINED_CONFIG_ARCHIVE_MAP", "require_version",
                    "is_torch_available", "PreTrainedModel", "AlbertModel", "PreTrainedTokenizerFast", "__version__"]


@pytest.mark.parametrize("name", HF4_BACKEND_FREE)
def test_fixture_import_cost_equals_runtime(hf4, name):
    report, detector = hf4
    exp = explain(report, name, detector)
    runtime = runtime_own_modules(sys.executable, "hf4_dict", name, str(HF4.parent))
    assert set(exp.cost_name.own) == runtime


def test_import_cost_follows_the_calls_made_at_import_time():
    """rule_ig010_neg_4's init calls ``configure()``, whose helper imports ``.registry`` in its body: the import
    cost has it, as the runtime does (and ``.constants``, which ``_setup`` imports at module level). Calls are
    followed from the modules the statement runs itself (the init here), not from every module of the closure:
    ``_setup``'s ``@fill_doc``, which imports ``.docdict``, is the one miss."""
    package = fixture_package("rule_ig010_neg_4")
    exp = explain(importgraph.analyze(str(package)), "Figure")
    runtime = runtime_own_modules(sys.executable, "rule_ig010_neg_4", "Figure", str(package.parent))
    assert {"rule_ig010_neg_4.registry", "rule_ig010_neg_4.constants"} <= runtime
    assert runtime - set(exp.cost_name.own) == {"rule_ig010_neg_4.docdict"} and set(exp.cost_name.own) < runtime
    # Figure's module comes with the name
    assert set(exp.cost_package.own) == set(exp.cost_name.own) - {"rule_ig010_neg_4._core"}


def test_fixture_package_cost_equals_runtime(hf4):
    report, detector = hf4
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(HF4.parent)}
    out = subprocess.run([sys.executable, "-c", "import sys, json, hf4_dict; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, env=env, check=True)
    runtime = {m for m in json.loads(out.stdout) if m.startswith("hf4_dict")}
    assert set(explain(report, "AlbertConfig", detector).cost_package.own) == runtime


# --------------------------------------------------------------------------- fixture: path


def test_path_reports_each_hop_with_its_statement_line(hf4):
    report, _ = hf4
    chain = import_path(report, "pipelines", "utils.import_utils")
    assert [(e.source, e.target, e.kind) for e in chain] == [
        ("hf4_dict.pipelines", "hf4_dict.utils", "module"),
        ("hf4_dict.utils", "hf4_dict.utils.import_utils", "module")]
    assert chain[0].line == line_of(HF4 / "pipelines.py", "from .utils import")


def test_path_through_a_lazy_name(tmp_path):
    pkg = tmp_path / "lazyp"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text(
        "import importlib\n_MAP = {'Thing': '.impl'}\n\n\ndef __getattr__(name):\n"
        "    if name in _MAP:\n        return getattr(importlib.import_module(_MAP[name], __name__), name)\n"
        "    raise AttributeError(name)\n")
    (pkg / "impl.py").write_text("class Thing:\n    pass\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "user.py").write_text("def f():\n    from lazyp import Thing\n    return Thing\n")
    report = importgraph.analyze(str(pkg))
    chain = import_path(report, "lazyp.sub.user", "lazyp.impl")
    assert [(e.kind, e.scope, e.via, e.line) for e in chain] == [("lazy", "function", "lazyp:Thing", 2)]
    result = CliRunner().invoke(app, ["path", str(pkg), "sub.user", "impl", "--format", "json", "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["hops"][0]["path"] == os.path.join("lazyp", "sub", "user.py")
    result = CliRunner().invoke(app, ["path", str(pkg), "sub.usr", "impl", "-q"])
    assert result.exit_code == 2 and "sub.user" in result.output


def test_a_chain_ending_in_a_module_that_does_not_exist_is_an_error():
    """The lazy map sends ``Model`` to ``modeling_missing``, which has no file: touching the name raises
    ModuleNotFoundError for certain (IG001), so explain says so rather than that it cannot tell."""
    fixture = fixture_package("rule_ig001_pos_1")
    runtime = subprocess.run([sys.executable, "-c", "from rule_ig001_pos_1 import Model"], cwd=fixture.parent,
                             capture_output=True, text=True)
    assert "ModuleNotFoundError: No module named 'rule_ig001_pos_1.modeling_missing'" in runtime.stderr
    exp = explain(importgraph.analyze(str(fixture)), "Model")
    assert exp.hops[-1].kind == "missing" and exp.outcome == "import-error"
    assert "rule_ig001_pos_1.modeling_missing does not exist" in exp.hops[-1].summary
    assert "ModuleNotFoundError" in exp.hops[-1].summary
    assert exp.outcome_text.endswith("(reported as IG001)")


def test_a_module_importing_a_missing_package_is_an_error_only_when_the_import_surely_runs(tmp_path):
    """``Real``'s module imports a package that is not installed, at module level: the lookup fails. ``Soft``'s
    imports it under an ``if`` on a variable (diffusers' ``_SHOULD_DISABLE_PEFT_INPUT_AUTOCAST = is_peft_available()``),
    ``Tried``'s in a ``try``, ``Quiet``'s under ``with contextlib.suppress(ImportError)`` (langchain_core's fake
    embeddings): they work, and explain must not predict an error for them. ``Classy``'s imports it in a class body,
    which runs whenever the module does: the lookup fails, and explain must say so."""
    missing = "import ig_not_installed_anywhere\n"
    modules = {"real": missing, "soft": "USE = False\nif USE:\n    " + missing,
               "tried": "try:\n    " + missing + "except ImportError:\n    pass\n",
               "quiet": "import contextlib\n\nwith contextlib.suppress(ImportError):\n    " + missing,
               "classy": "class Holder:\n    " + missing}
    pkg = pep562_package(tmp_path, "lazymiss", {name.title(): f".{name}" for name in modules},
                         modules={name: f"{source}\n\nclass {name.title()}:\n    pass\n"
                                  for name, source in modules.items()})
    target = importgraph.discover.find_target(str(pkg))
    detector = BackendDetector(target)
    report = importgraph.analyze(target, backends=detector.installed())  # the installed environment, as the CLI
    for name, fails in (("Real", True), ("Soft", False), ("Tried", False), ("Quiet", False), ("Classy", True)):
        runtime = subprocess.run([sys.executable, "-c", f"from lazymiss import {name}"], cwd=tmp_path,
                                 capture_output=True, text=True, check=False)
        assert (runtime.returncode != 0) is fails, runtime.stderr
        exp = explain(report, name, detector)
        assert (exp.outcome == "import-error") is fails, exp.outcome_text
    assert explain(report, "Quiet", detector).outcome == "object"
    assert explain(report, "Real", detector).outcome_text == (
        "ModuleNotFoundError at import time: ig_not_installed_anywhere is not installed, and lazymiss.real imports "
        "it at module level (lazymiss/real.py:1)")


def test_a_name_the_init_binds_itself_never_reaches_the_lazy_map(tmp_path):
    """plotly's relative_import map lists ``__version__`` -> ``.version``, a module that does not exist, but the init
    binds ``__version__`` itself: a module ``__getattr__`` runs only for names the module lacks, so the import works
    (IG001 stays silent for the same reason), and explain must say why instead of predicting ModuleNotFoundError."""
    pkg = pep562_package(tmp_path, "lazyver", {"__version__": ".version", "Thing": ".thing"},
                         before="__version__ = '1.0'\n", modules={"thing": "class Thing:\n    pass\n"})
    runtime = subprocess.run([sys.executable, "-c", "from lazyver import __version__; print(__version__)"],
                             cwd=tmp_path, capture_output=True, text=True, check=False)
    assert runtime.stdout.strip() == "1.0", runtime.stderr
    report = importgraph.analyze(str(pkg))
    assert not [f for f in report.findings if f.rule == "IG001"]
    exp = explain(report, "__version__")
    assert [h.kind for h in exp.hops[-2:]] == ["shadowed", "definition"]
    assert exp.hops[-1].line == 2 and exp.outcome == "object"
    assert exp.outcome_text == "the real object, as lazyver binds it"


def test_a_submodule_key_the_init_binds_itself_is_not_served_as_a_module():
    """astropy's ``__getattr__`` imports ``astropy.<name>`` for every name of ``__all__``, which also lists ``log``,
    an object the init assigns: ``from astropy import log`` gives that object (the IG001 negative fixture checks
    it at runtime), so explain must not promise a module."""
    from tests.conftest import fixture_package

    report = importgraph.analyze(str(fixture_package("rule_ig001_neg_3")))
    exp = explain(report, "log")
    assert [h.kind for h in exp.hops[-2:]] == ["shadowed", "definition"]
    assert "the lazy key log -> the module rule_ig001_neg_3.log is not used" in exp.hops[-2].summary
    assert exp.outcome == "object" and exp.outcome_text == "the real object, as rule_ig001_neg_3 binds it"
    assert explain(report, "units").outcome_text == "the module rule_ig001_neg_3.units"


def test_a_submodule_key_a_star_import_binds_is_not_served_as_a_module():
    """torch.ao.nn.intrinsic's ``__getattr__`` imports ``.<name>`` for every name of ``__all__``, but the init's
    ``from .modules import *`` binds those names first (the IG001 negative fixture checks it at runtime)."""
    from tests.conftest import fixture_package

    report = importgraph.analyze(str(fixture_package("rule_ig001_neg_4")))
    exp = explain(report, "ConvBn1d")
    assert [h.kind for h in exp.hops[-3:]] == ["shadowed", "re-export", "definition"] and exp.outcome == "object"
    assert exp.hops[-1].summary == "rule_ig001_neg_4.modules.fused binds ConvBn1d (class)"
    assert explain(report, "qat").outcome_text == "the module rule_ig001_neg_4.qat"


def test_a_chain_ending_in_a_module_getattr_is_undecided_not_an_error(tmp_path):
    """The lazy map sends ``Thing`` to ``impl``, which serves it from its own module-level ``__getattr__``:
    nothing in the source binds it, and the import works. explain must say it cannot tell, not predict an
    ImportError (a compiled module is the other such end: see the scikit-image runtime test)."""
    pkg = pep562_package(tmp_path, "lazyg", {"Thing": ".impl"}, modules={
        "impl": "def __getattr__(name):\n    if name == 'Thing':\n        return 42\n    raise AttributeError(name)\n"})
    runtime = subprocess.run([sys.executable, "-c", "from lazyg import Thing; print(Thing)"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert runtime.stdout.strip() == "42", runtime.stderr
    exp = explain(importgraph.analyze(str(pkg)), "Thing")
    assert exp.outcome == "undecided" and exp.hops[-1].kind == "undecided"
    assert "lazyg.impl defines a module-level __getattr__" in exp.hops[-1].summary
    result = CliRunner().invoke(app, ["explain", str(pkg), "Thing", "-q"])
    assert result.exit_code == 0 and "from lazyg import Thing" in result.output
    assert "not decided statically" in " ".join(result.output.split())


TEXTUAL_STYLE = """\
from importlib import import_module

__all__ = ["Log", "Button"]
_CACHE = {}


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def __getattr__(widget_class):
    try:
        return _CACHE[widget_class]
    except KeyError:
        pass
    if widget_class not in __all__:
        raise AttributeError(widget_class)
    module = import_module(f".{_snake(widget_class)}", package=__name__)
    _CACHE[widget_class] = getattr(module, widget_class)
    return _CACHE[widget_class]
"""


def test_a_name_a_getattr_may_serve_is_undecided_not_unknown(tmp_path):
    """textual.widgets spells each widget's module with a function of the package (``camel_to_snake``), which is
    not evaluated: explain cannot say what ``Log`` is, and says so, instead of calling it a name the package does
    not provide. The empty dict the function fills as a cache is not taken for its table."""
    pkg = tmp_path / "widgetsy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(TEXTUAL_STYLE)
    (pkg / "_log.py").write_text("class Log:\n    pass\n")
    (pkg / "_button.py").write_text("class Button:\n    pass\n")
    runtime = subprocess.run([sys.executable, "-c", "from widgetsy import Log; print(Log.__module__)"],
                             cwd=tmp_path, capture_output=True, text=True)
    assert runtime.stdout.strip() == "widgetsy._log", runtime.stderr
    report = importgraph.analyze(str(pkg))
    assert report.lazy_modules == {}
    exp = explain(report, "Log")
    assert exp.outcome == "undecided" and exp.hops[-1].kind == "undecided"
    assert "widgetsy defines a module-level __getattr__" in exp.hops[-1].summary


# --------------------------------------------------------------------------- transformers 5.23.0

# Names whose resolution needs no missing backend in the pinned venv (tokenizers is installed there),
# plus torch names that resolve to placeholders (their cost must equal `import transformers`).
T5_NAMES = ["BertConfig", "PreTrainedTokenizerFast", "AutoConfig", "AutoTokenizer", "PretrainedConfig",
            "GenerationConfig", "pipeline", "AutoProcessor", "AutoFeatureExtractor", "LlamaConfig", "T5Config",
            "BertTokenizer", "TrainingArguments", "HfArgumentParser", "set_seed", "logging", "BatchEncoding",
            "PreTrainedTokenizerBase", "is_torch_available", "AutoModelForCausalLM", "AutoImageProcessor"]
# Executed by a *function-level* import that runs while the module is imported:
# PreTrainedConfig.__init_subclass__ (configuration_utils.py) imports models.auto.configuration_auto when a
# config subclass is created. Following calls is outside a static import graph; these are the only misses.
CALLED_AT_IMPORT_TIME = {"transformers.models.auto", "transformers.models.auto.auto_mappings",
                         "transformers.models.auto.configuration_auto"}


@pytest.fixture(scope="module")
def t5(transformers5):
    python, _ = transformers5
    target = importgraph.discover.find_target("transformers", python=str(python))
    detector = BackendDetector(target)
    report = importgraph.analyze(target, backends=detector.installed())
    return python, report, detector


def test_installed_backends_match_the_runtime_probes(t5):
    from tests.test_runtime_parity import installed_backends

    python, report, detector = t5
    runtime = set(installed_backends(python))
    static = set(detector.installed())
    # every BACKENDS_MAPPING backend the runtime probes, answered from dist-info alone
    for backend in ["torch", "vision", "tokenizers", "sentencepiece", "torchvision", "pydantic", "rich", "jinja",
                    "mistral_common", "audio", "speech", "sklearn", "scipy", "accelerate", "peft"]:
        assert (backend in static) == (backend in runtime), backend


def test_auto_model_is_a_placeholder_without_torch(t5):
    _, report, detector = t5
    exp = explain(report, "AutoModelForCausalLM", detector)
    assert exp.outcome == "placeholder"
    assert exp.hops[2].path == "transformers/models/auto/modeling_auto.py"
    assert [(b.backend, b.installed) for b in exp.backends] == [("torch", False)]
    assert exp.cost_name.own == exp.cost_package.own and exp.added_third_party == ()


RUNTIME_KINDS = """
import json, sys, transformers
kinds = {}
for name in json.loads(sys.argv[1]):
    obj = getattr(transformers, name)
    stand_in = (type(obj).__name__ == "DummyObject" or obj is None  # a dummy class, or a value a dummy assigns
                or (getattr(obj, "__module__", None) or "").startswith("transformers.utils.dummy_"))  # a dummy def
    kinds[name] = ["stand-in" if stand_in else "real", callable(obj)]
print(json.dumps(kinds))
"""


def test_names_served_from_dummy_modules_agree_with_the_runtime(t5, monkeypatch):
    """Without torch, the lazy map serves ~80 names from transformers' dummy modules. Most are stand-ins (a class
    whose metaclass is DummyObject, a function that raises, a None); two are the real objects a dummy module only
    re-exports (``DummyObject``, ``requires_backends``): explain must call those the real object, needing no
    backend. Each name is resolved in one interpreter (names that are also submodules are left out: once a
    submodule is imported, the package attribute is the module, whatever the map says)."""
    python, report, detector = t5
    monkeypatch.setattr("importgraph.explain._costs", lambda *args: None)  # the import cost is not what is checked
    names = sorted(n for n, e in report.lazy_modules["transformers"].names.items()
                   if ".dummy_" in e.module and f"transformers.{n}" not in report.modules)
    out = subprocess.run([str(python), "-c", RUNTIME_KINDS, json.dumps(names)], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "TRANSFORMERS_VERBOSITY": "error"}, check=True)
    runtime = json.loads(out.stdout)
    static, values = {}, set()
    for name in names:
        exp = explain(report, name, detector)
        static[name] = "stand-in" if exp.outcome in ("dummy", "placeholder") else exp.outcome
        if exp.outcome_text.startswith("the value "):  # not a class or function raising ImportError
            values.add(name)
        if static[name] == "object":
            static[name] = "real"
            assert exp.backends == [], name
    assert len(names) > 70
    assert static == {name: kind for name, (kind, _) in runtime.items()}
    assert {name for name, (kind, _) in runtime.items() if kind == "real"} == {"DummyObject", "requires_backends"}
    # ROPE_INIT_FUNCTIONS and SLOW_TO_FAST_CONVERTERS: None, which raises no ImportError when used
    assert values == {name for name, (_, is_callable) in runtime.items() if not is_callable} == {
        "ROPE_INIT_FUNCTIONS", "SLOW_TO_FAST_CONVERTERS"}


RUNTIME_LOOKUPS = """
import importlib, json, sys
outcome = {}
for module, name in json.loads(sys.argv[1]):
    try:
        getattr(importlib.import_module(module), name)
        outcome[f"{module}.{name}"] = "ok"
    except Exception as exc:  # diffusers' _LazyModule re-raises a failed import as RuntimeError
        outcome[f"{module}.{name}"] = f"{type(exc).__name__}: {exc}"
print(json.dumps(outcome))
"""


def test_real_names_that_fail_on_a_missing_package_agree_with_the_runtime():
    """diffusers 0.42.1 without torch: names whose lazy entry declares no backend are served by their real module,
    and some of those modules import torch (or transformers) at module level, so the lookup fails (IG007 reports
    them). explain must predict that error, and the real object for the others: every such name (60), each looked
    up in one interpreter."""
    python = ensure_venv(*DIFFUSERS)
    target = importgraph.discover.find_target("diffusers", python=str(python))
    detector = BackendDetector(target)
    report = importgraph.analyze(target, backends=detector.installed())
    pairs = sorted((lazy.name, entry.name) for lazy in report.lazy_modules.values()
                   for entry in lazy.names.values()
                   if entry.origin == "structure" and not entry.backends and ".dummy_" not in entry.module)
    out = subprocess.run([str(python), "-c", RUNTIME_LOOKUPS, json.dumps(pairs)], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"}, check=True)
    runtime = json.loads(out.stdout)
    static, texts = {}, {}
    for module, name in pairs:
        exp = explain(report, f"{module}.{name}", detector)
        static[f"{module}.{name}"] = "ok" if exp.outcome in ("object", "module") else exp.outcome
        texts[f"{module}.{name}"] = exp.outcome_text
    fails = {qualified for qualified, outcome in runtime.items() if outcome != "ok"}
    assert static == {q: "ok" if q not in fails else "import-error" for q in runtime}
    no_module = {q: m.group(1) for q in fails if (m := re.search(r"No module named '(\w+)'", runtime[q]))}
    for qualified, package in no_module.items():  # the rest: names the module does not bind (IG002)
        assert texts[qualified].startswith(f"ModuleNotFoundError at import time: {package} is not installed")
    assert len(pairs) >= 50 and len(no_module) >= 5


def test_a_name_whose_module_raises_name_error_without_torch_is_an_error(t5):
    """transformers.integrations.higgs binds ``torch`` only under ``is_torch_available()`` and uses it in
    annotations while it executes (IG012): without torch, looking up its names raises NameError. Of the 12,065
    names of the pinned venv, these four were the only ones explain called real objects that fail."""
    python, report, detector = t5
    pairs = [["transformers.integrations", name] for name in
             ("HiggsLinear", "dequantize_higgs", "quantize_with_higgs", "replace_with_higgs_linear")]
    out = subprocess.run([str(python), "-c", RUNTIME_LOOKUPS, json.dumps(pairs)], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "TRANSFORMERS_VERBOSITY": "error"}, check=True)
    for qualified, outcome in json.loads(out.stdout).items():
        assert outcome == "NameError: name 'torch' is not defined"
        exp = explain(report, qualified, detector)
        assert exp.outcome == "import-error"
        assert exp.outcome_text.startswith("NameError at import time: transformers.integrations.higgs uses torch ")
        assert exp.outcome_text.endswith("(reported as IG012)")


def test_transformers_import_cost_agrees_with_runtime(t5):
    python, report, detector = t5
    true_pos = static_only = runtime_only = 0
    for name in T5_NAMES:
        static = set(explain(report, name, detector).cost_name.own)
        runtime = runtime_own_modules(str(python), "transformers", name)
        assert static <= runtime, (name, sorted(static - runtime))
        assert runtime - static <= CALLED_AT_IMPORT_TIME, (name, sorted(runtime - static))
        true_pos += len(static & runtime)
        static_only += len(static - runtime)
        runtime_only += len(runtime - static)
    print(f"\nimport cost vs runtime, {len(T5_NAMES)} names: precision "
          f"{true_pos / (true_pos + static_only):.3f}, recall {true_pos / (true_pos + runtime_only):.3f}")


def test_module_explanation_and_path_on_transformers(t5):
    _, report, detector = t5
    exp = explain(report, "models.bert.configuration_bert", detector)
    assert exp.kind == "module" and "transformers.models.bert.configuration_bert" in exp.added_own
    chain = import_path(report, "transformers.models.bert.configuration_bert", "transformers.utils.import_utils")
    assert chain is not None and chain[0].source == "transformers.models.bert.configuration_bert"
    assert all(e.kind in {"module", "function", "lazy", "parent"} for e in chain)
