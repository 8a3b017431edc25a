"""Static lazy maps of the fixture packages equal what the fixtures really build and serve at runtime.

Every fixture under ``tests/fixtures/packages`` is imported for real, in a subprocess, by
``tests/fixtures/runtime_resolve.py`` with the backends switched on and off through its ``FIXTURE_*``
environment variables; ``importgraph.analyze(<package dir>, backends=...)`` models the same environment
without running anything. For every lazy module we compare the declared names and their target modules,
the registered submodules, the extra objects, the missing-backend placeholders (names and module keys)
and the ``setattr`` dummies; then every name the runtime resolves must resolve statically
(:func:`importgraph.resolve.locate`) to the same defining module, placeholders included, and every name
that fails at runtime must be one the analysis predicts to fail or a defect planted on purpose (the
fixtures' ``EXPECTED.md``).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap

import pytest

import importgraph
from importgraph.explain import explain
from importgraph.resolve import locate
from importgraph.scan import scan_source
from tests.conftest import FIXTURES, fixture_package
from tests.runtime.lookups import RUNTIME_RESOLVE, compare_maps, compare_resolution


BACKENDS = {
    "hf4_dict": ("torch", "tokenizers", "sentencepiece", "vision"),
    "hf5_structure": ("torch", "tokenizers", "vision", "torchvision", "sentencepiece"),
    "diffusers_style": ("torch", "transformers"),
    "lazyloader_attach": (),
    "lazyloader_stub": (),
    "pep562_map": (),
    "pep562_pairs": (),
    "pep562_anchored": (),
    "plotly_relative": (),
    "pep562_submodules": (),
    "pep562_importer": (),
    "pep562_groups": (),
    "pep562_itself": (),
    "pep562_caller_install": (),
    "pep562_helper": (),
    "pep562_flagged": (),
    "pep562_branches": (),
    "recreate_module": (),  # celery's local.recreate_module
    "pep562_colon": (),  # vllm's {"Name": ".module:Name"} split by the __getattr__
    "module_proxy": (),  # mlflow's LazyLoader and optuna's _LazyImport proxies, in the init and a plain module
    "pep562_delegated": (),  # litellm's __getattr__ handing the name to a helper that reads tables elsewhere
    "rule_ig001_neg_3": (),  # astropy: __all__ as the submodule list, holding names the init binds
    "rule_ig001_neg_4": (),  # torch.ao.nn.intrinsic: the same, names bound by a star import
    "rule_ig001_neg_5": (),  # torch: the TYPE_CHECKING half imports from a stub-only module
}


def environments(fixture: str) -> list[tuple[str, ...]]:
    """Every subset of the fixture's backends (all, none and every mix): 16, 32 and 4 environments."""
    names = BACKENDS[fixture]
    return [combo for r in range(len(names) + 1) for combo in itertools.combinations(names, r)]


CASES = [(fixture, env) for fixture in BACKENDS for env in environments(fixture)]


def planted_failures(fixture: str, installed: tuple[str, ...]) -> dict[str, set[str]]:
    """Lookups that EXPECTED.md says fail at runtime, by lazy module (written from EXPECTED.md, by hand)."""
    if fixture == "hf4_dict" and "torch" not in installed:
        # pipelines.py needs torch but is declared outside any guard: an import-time backend error,
        # which no name lookup can predict (the defect is the missing guard).
        return {"hf4_dict": {"pipeline", "pipelines"}}
    if fixture == "pep562_flagged":
        return {"pep562_flagged": {"Refund"}}  # in the table, not defined by _customer
    if fixture == "pep562_helper":
        return {"pep562_helper": {"Ghost"}}  # in the table, not defined by models
    if fixture == "pep562_caller_install":
        return {"pep562_caller_install": {"Ghost"}}  # imported in the TYPE_CHECKING block, not defined by _core
    if fixture == "recreate_module":
        return {"recreate_module": {"Ghost", "chain", "uuid"}}  # one name .canvas lacks breaks its whole group
    if fixture == "pep562_colon":
        return {"pep562_colon": {"Legacy"}}  # served as LegacyEngine, which engine.core does not define
    if fixture == "pep562_delegated":  # served as PhantomEngine, which engine does not define
        return {"pep562_delegated": {"Phantom"}, "pep562_delegated.utils": {"Phantom"}}
    if fixture == "pep562_branches":
        return {"pep562_branches": {"Ghost"}}  # its helper imports it from alpha, which does not define it
    if fixture == "pep562_groups":
        return {"pep562_groups": {"GhostDriver"}}  # listed in _COMPUTER_EXPORTS, not defined by lib.computer
    if fixture == "hf5_structure":
        stale = {"FooLegacyConfig"}  # in __all__, never defined
        if "torch" in installed:
            stale.add('# "FooOldModel')  # transformers' line reader takes the comment line for a name
        return {m: set(stale) for m in ("hf5_structure", "hf5_structure.models", "hf5_structure.models.foo")}
    return {}


PLAIN_MODULES = {"module_proxy", "pep562_delegated"}
"""Fixtures with lazy plain modules (not only inits): the probe inspects those too (``--modules``)."""


def run_runtime(fixture: str, installed: tuple[str, ...], extra_env: dict[str, str] | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIXTURE_", "PYTHON"))}
    env.update({f"FIXTURE_HAS_{b.upper()}": "1" for b in installed})
    env.update(extra_env or {})
    proc = subprocess.run([sys.executable, "-B", str(RUNTIME_RESOLVE), "--path", str(FIXTURES / fixture), fixture,
                           *(["--modules"] if fixture in PLAIN_MODULES else [])],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


_STATIC: dict[tuple[str, tuple[str, ...]], importgraph.Report] = {}


def static_report(fixture: str, installed: tuple[str, ...]) -> importgraph.Report:
    key = (fixture, installed)
    if key not in _STATIC:
        _STATIC[key] = importgraph.analyze(str(fixture_package(fixture)), backends=list(installed))
    return _STATIC[key]


FIGURES: list[str] = []


@pytest.mark.parametrize("fixture, installed", CASES,
                         ids=[f"{f}-{'+'.join(e) or 'none'}" for f, e in CASES])
def test_static_map_equals_runtime(fixture, installed):
    if fixture.startswith("lazyloader"):
        pytest.importorskip("lazy_loader")
    runtime = run_runtime(fixture, installed)
    report = static_report(fixture, installed)
    planted = planted_failures(fixture, installed)
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, planted)
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    # The planted defects really fail at runtime (a fixture that stopped failing would prove nothing).
    for module, failing in planted.items():
        for name in failing:
            assert not runtime["modules"][module]["resolved"][name]["ok"], f"{module}.{name} resolved"
    assert lookups > 0 and (names > 0 or fixture in ("pep562_submodules", "rule_ig001_neg_3",
                                                                  "rule_ig001_neg_4", "module_proxy"))  # modules only
    print(f"{fixture} [{'+'.join(installed) or 'none'}]: {names} names, {lookups} lookups agree")


def test_planted_defects_are_reported_statically():
    """The stale ``__all__`` entry is an IG002 finding at the level that declares it."""
    report = static_report("hf5_structure", BACKENDS["hf5_structure"])
    symbols = {(f.rule, f.symbol) for f in report.findings}
    assert ("IG002", "FooLegacyConfig") in symbols


def test_old_transformers_version_routes_to_dummy_at_runtime():
    """Version guards: the environment model has no versions, an available backend counts as a
    satisfying version. The runtime with an old version serves the dummy instead; this pins down that
    difference (and that the fixture really models it) so a version-aware environment can close it."""
    installed = ("torch", "transformers")
    runtime = run_runtime("diffusers_style", installed, {"FIXTURE_TRANSFORMERS_VERSION": "4.20.0"})
    foo = runtime["modules"]["diffusers_style.pipelines.foo"]
    assert "FooPipeline" in foo["extra_attrs"] and foo["resolved"]["FooPipeline"]["placeholder"]
    static = static_report("diffusers_style", installed).lazy_modules["diffusers_style.pipelines.foo"]
    assert static.names["FooPipeline"].module == "diffusers_style.pipelines.foo.pipeline_foo"


@pytest.mark.parametrize("installed", [(), ("torch",), ("torch", "transformers")])
def test_slow_import_names_resolve_like_the_lazy_map(installed):
    """``DIFFUSERS_SLOW_IMPORT``: the runtime imports eagerly (the ``TYPE_CHECKING`` half). Every name it
    binds must be where the statically rebuilt lazy map sends it."""
    runtime = run_runtime("diffusers_style", installed, {"FIXTURE_SLOW_IMPORT": "1"})
    report = static_report("diffusers_style", installed)
    checked = 0
    for module, info in runtime["modules"].items():
        assert info["style"] == "eager"
        lazy = report.lazy_modules[module]
        served = set(lazy.names) | {s[len(module) + 1:] for s in lazy.submodules if s.count(".") == module.count(".") + 1} | set(lazy.extra_objects)
        for name, outcome in info["resolved"].items():
            if name not in served:  # a helper the init imports for itself (OptionalDependencyNotAvailable)
                continue
            found = locate(module, name, report.modules, report.lazy_modules)
            assert outcome["ok"] and found is not None, (module, name, outcome)
            assert outcome["placeholder"] == found.placeholder, (module, name)
            if not outcome["placeholder"]:
                assert outcome["module"] == found.module, (module, name, found)
            checked += 1
    assert checked > 0


def test_pep562_deprecation_is_not_a_lazy_map():
    report = static_report("pep562_deprecation", ())
    assert report.lazy_modules == {}
    assert locate("pep562_deprecation", "Client", report.modules, report.lazy_modules).module == \
        "pep562_deprecation.api"


def test_pep562_table_of_import_module_pairs_like_pydantic(tmp_path):
    """``{name: (__spec__.parent, ".module")}`` read with ``.get``: the names another package serves are that
    package's (external); ``OldModel``, served by the fallback outside the table, works at runtime and is counted
    undecided, not reported; the result cache stores it (the table's strings must be plain ones)."""
    report = static_report("pep562_anchored", ())
    lazy = report.lazy_modules["pep562_anchored"]
    assert lazy.style == "pep562"
    assert {n: e.module for n, e in lazy.names.items()} == {
        "BaseModel": "pep562_anchored.main", "Field": "pep562_anchored.fields",
        "ValidatorHelper": "pep562_anchored.deprecated.tools", "CoreError": "pep562_anchored_core",
        "CoreInfo": "pep562_anchored_core.schema"}
    assert any("'helpers'" in u.reason for u in lazy.undecided)
    assert report.lazy_modules["pep562_anchored.sub"].names["Shared"].module == "pep562_anchored.fields"
    assert locate("pep562_anchored", "CoreError", report.modules, report.lazy_modules).kind == "external"
    last = explain(report, "CoreError").hops[-1]
    assert last.kind == "undecided" and "pep562_anchored_core belongs to another package" in last.summary
    assert not report.findings and report.stats.undecided_by_rule.get("IG008", 0) >= 1
    old = subprocess.run([sys.executable, "-B", "-c", "import pep562_anchored as p; print(p.OldModel.__name__)"],
                         cwd=FIXTURES / "pep562_anchored", capture_output=True, text=True, check=True)
    assert old.stdout.strip() == "BaseModel"
    first = importgraph.analyze(str(fixture_package("pep562_anchored")), cache_dir=tmp_path)
    again = importgraph.analyze(str(fixture_package("pep562_anchored")), cache_dir=tmp_path)
    assert again.from_cache and again.lazy_modules == first.lazy_modules == report.lazy_modules


def test_plotly_relative_import():
    """plotly's ``relative_import`` (the fixture carries a copy of the helper in a second top-level package): keys
    are the last dotted part, "..shapes" serves a sibling package under its own name, an entry the init binds
    itself is never used (no IG001 for its missing module), a wrapping ``def __getattr__`` serves the name it
    adds to ``__all__`` (no IG008: undecided), and an init importing its own lazy name is followed to the map."""
    report = static_report("plotly_relative", ())
    lazy = report.lazy_modules
    assert {m: l.style for m, l in lazy.items()} == dict.fromkeys(
        ["plotly_relative", "plotly_relative.mirror", "plotly_relative.shapes"], "relative_import")
    assert {n: e.module for n, e in lazy["plotly_relative"].names.items()} == {
        "Figure": "plotly_relative._figure", "Layout": "plotly_relative._figure",
        "__version__": "plotly_relative.version"}
    assert lazy["plotly_relative"].submodules == ["plotly_relative.mirror", "plotly_relative.shapes"]
    mirror = lazy["plotly_relative.mirror"]
    assert mirror.module_keys == {"shapes": "plotly_relative.shapes"} and mirror.wrapped_at == 11
    assert lazy["plotly_relative"].module_keys == {"mirror": "plotly_relative.mirror",
                                                   "shapes": "plotly_relative.shapes"}
    assert any("'Special'" in u.reason for u in mirror.undecided)
    found = {n: locate("plotly_relative.mirror", n, report.modules, report.lazy_modules) for n in ("shapes", "Figure")}
    assert (found["shapes"].module, found["shapes"].kind) == ("plotly_relative.shapes", "module")
    assert found["Figure"].module == "plotly_relative._figure"
    circle = locate("plotly_relative.shapes", "Circle", report.modules, report.lazy_modules)
    assert circle.module == "plotly_relative.shapes._circle"
    assert locate("plotly_relative", "__version__", report.modules, report.lazy_modules).kind == "assign"
    shapes = explain(report, "mirror.shapes")
    assert (shapes.outcome, shapes.outcome_text) == ("module", "the module plotly_relative.shapes")
    assert not report.findings and report.stats.undecided_by_rule.get("IG008", 0) >= 1
    star = subprocess.run([sys.executable, "-B", "-c", "from plotly_relative.mirror import *; print(Special.__name__)"],
                          cwd=FIXTURES / "plotly_relative", capture_output=True, text=True, check=True)
    assert star.stdout.strip() == "Layout"


def test_pep562_submodule_lists():
    """scipy's ``if name in submodules: return import_module(f"scipy.{name}")``, through a local that renames one key
    (huggingface_hub.utils' ``_tqdm``), and dateutil's ``import_module("." + name, __name__)``: each key is served as
    the module it imports, nothing is reported."""
    report = static_report("pep562_submodules", ())
    lazy = report.lazy_modules
    assert {m: l.style for m, l in lazy.items()} == {"pep562_submodules": "pep562", "pep562_submodules.sparse": "pep562"}
    assert lazy["pep562_submodules"].module_keys == {
        "_progress": "pep562_submodules.progress", "linalg": "pep562_submodules.linalg",
        "sparse": "pep562_submodules.sparse", "stats": "pep562_submodules.stats"}
    assert lazy["pep562_submodules.sparse"].module_keys == {"csgraph": "pep562_submodules.sparse.csgraph"}
    found = locate("pep562_submodules", "_progress", report.modules, report.lazy_modules)
    assert (found.module, found.kind) == ("pep562_submodules.progress", "module")
    assert explain(report, "_progress").outcome_text == "the module pep562_submodules.progress"
    assert not report.findings


def test_getattr_handing_names_to_an_importer_the_package_made():
    """langchain's ``importer = create_importer(__package__, module_lookup=..., deprecated_lookups=...)`` (a
    function of the package, re-exported by ``_api``, returning a closure over the merged dicts) and ``def
    __getattr__(name): return importer(name)``: the merged table is the lazy map, ``module_lookup`` winning; a
    ``fallback_module`` leaves every other name undecided. The runtime agrees (``test_static_map_equals_runtime``)."""
    report = static_report("pep562_importer", ())
    top = report.lazy_modules["pep562_importer"]
    assert {n: e.module for n, e in top.names.items()} == {
        "Chain": "pep562_importer.chains", "Tool": "pep562_importer.tools", "LegacyTool": "pep562_importer.legacy",
        "JSONDecoder": "json.decoder"}
    assert explain(report, "Tool").outcome_text.startswith("the real object")
    fallback = report.lazy_modules["pep562_importer.fallback"]
    assert not fallback.names and [u.line for u in fallback.undecided] == [7]
    assert "fallback_module='pep562_importer.tools'" in fallback.undecided[0].reason
    runtime = run_runtime("pep562_importer", ())
    assert runtime["modules"]["pep562_importer"]["resolved"]["Tool"]["module"] == "pep562_importer.tools"
    assert not report.findings


def test_getattr_serving_groups_of_names_each_from_one_module():
    """openai 3.x: ``if name in _COMPUTER_EXPORTS: value = getattr(import_module(".lib.computer", __name__), name)``,
    one ``if`` per group, and ``name in __all__`` in ``lib.streaming``. Each group's names are served by its module
    (the runtime agrees: ``test_static_map_equals_runtime``); the name the module does not define is IG002, and
    explain follows a name through both lazy modules to its class."""
    report = static_report("pep562_groups", ())
    top = report.lazy_modules["pep562_groups"]
    assert {n: e.module for n, e in top.names.items()} == {
        "ComputerToolset": "pep562_groups.lib.computer", "ComputerDriver": "pep562_groups.lib.computer",
        "GhostDriver": "pep562_groups.lib.computer", "AssistantEventHandler": "pep562_groups.lib.streaming",
        "LocalSandbox": "pep562_groups.lib.sandbox", "Sandbox": "pep562_groups.lib.sandbox"}  # litellm's spelling
    assert [(n, e.line) for n, e in top.names.items()][:2] == [("ComputerToolset", 4), ("ComputerDriver", 5)]
    streaming = report.lazy_modules["pep562_groups.lib.streaming"]
    assert set(streaming.names) == {"AssistantEventHandler", "AssistantStreamManager"}
    assert [(f.rule, f.symbol) for f in report.findings] == [("IG002", "GhostDriver")]
    exp = explain(report, "AssistantEventHandler")
    assert exp.hops[-1].path == "pep562_groups/lib/streaming/_assistants.py"
    assert exp.outcome_text == "the real object, imported from pep562_groups.lib.streaming._assistants"


def test_getattr_comparing_the_name_with_one_string_after_another():
    """langchain_community.llms: ``if name == "AI21": return _import_ai21()``, the helper importing the class and
    returning it, or the branch importing it itself; numpy: ``import numpy.linalg as linalg; return linalg``. Each such name is served by the module its import names (the
    runtime agrees: ``test_static_map_equals_runtime``); a name served as an object of another name is undecided,
    a branch without an import is no entry, and the name the module lacks is IG002. A name served as an object of
    another name is an entry fetching that attribute (``LazyName.attribute``)."""
    report = static_report("pep562_branches", ())
    lazy = report.lazy_modules["pep562_branches"]
    assert {n: (e.module, e.line, e.attribute) for n, e in lazy.names.items()} == {
        "Alpha": ("pep562_branches.alpha", 35, None), "BetaLLM": ("pep562_branches.beta", 37, None),
        "Beta": ("pep562_branches.beta", 37, "BetaLLM"),  # served under another name
        "Gamma": ("pep562_branches.gamma", 39, None), "Ghost": ("pep562_branches.alpha", 43, None),
        "Delta": ("pep562_branches.delta", 55, None)}  # imported in a try: (mlflow.entities)
    assert lazy.undecided == []
    # numpy's branches returning a submodule; the whole function in the else: of `if __NUMPY_SETUP__:`
    assert lazy.module_keys == {"linalg": "pep562_branches.linalg", "sparse": "pep562_branches.sparse"}
    assert [(f.rule, f.symbol) for f in report.findings] == [("IG002", "Ghost")]
    assert explain(report, "Gamma").outcome_text == "the real object, imported from pep562_branches.gamma"


def test_getattr_handing_the_name_to_a_helper_elsewhere():
    """litellm: the ``__getattr__`` of the package and of its plain ``utils`` module ends with ``from ._lazy import
    resolve; return resolve(__name__, name)``; the helper reads two tables of a third module in order, each hit handed
    to ``_import``, which imports ``(module, attribute)`` with ``package="pep562_delegated"``. Both modules serve every
    name of both tables, the first table deciding (the runtime agrees: ``test_static_map_equals_runtime``); before,
    neither was a lazy module. The factory-made ``default_engine`` is no import, and no lazy name."""
    report = static_report("pep562_delegated", ())
    expected = {"Engine": ("pep562_delegated.engine", None), "run": ("pep562_delegated.runner", None),
                "OldEngine": ("pep562_delegated.engine", "Engine"),
                "Phantom": ("pep562_delegated.engine", "PhantomEngine"), "tokenize": ("pep562_delegated.text", None),
                "local_helper": ("pep562_delegated.utils", None)}
    for module in ("pep562_delegated", "pep562_delegated.utils"):
        lazy = report.lazy_modules[module]
        assert {n: (e.module, e.attribute) for n, e in lazy.names.items()} == expected
        assert lazy.names["tokenize"].path.endswith("_registry.py") and lazy.names["tokenize"].line == 17
        assert lazy.undecided == []
    assert sorted((f.rule, f.module, f.symbol) for f in report.findings) == [
        ("IG002", "pep562_delegated", "Phantom"), ("IG002", "pep562_delegated.utils", "Phantom")]
    assert explain(report, "tokenize").outcome_text == "the real object, imported from pep562_delegated.text"
    # client.py's `from pep562_delegated.utils import local_helper, tokenize`: tokenize runs text lazily; utils binds
    # local_helper itself (its table's entry serves it from utils), so that name is a plain import of utils
    graph = report.graph
    assert graph.edges["pep562_delegated.client", "pep562_delegated.text"]["kinds"] == ["lazy_access"]
    assert graph.edges["pep562_delegated.client", "pep562_delegated.utils"]["kinds"] == ["import"]


def test_getattr_splitting_module_colon_attribute_values():
    """vllm: ``module_name, attr_name = MODULE_ATTRS[name].split(":")`` over ``{"LLM": ".llm:LLM"}``; a dotted
    ``"pkg.sub.tools.Tool"`` split by ``rsplit(".", 1)`` likewise. Each name is served by the module before the
    separator (the runtime agrees: ``test_static_map_equals_runtime``); a value naming another attribute is an entry
    under another name (before, every value was taken whole as a module: 22 false IG001 errors on vllm)."""
    report = static_report("pep562_colon", ())
    assert {n: (e.module, e.attribute) for n, e in report.lazy_modules["pep562_colon"].names.items()} == {
        "Engine": ("pep562_colon.engine.core", None), "EngineArgs": ("pep562_colon.engine.args", None),
        "LLM": ("pep562_colon.llm", None), "OldEngine": ("pep562_colon.engine.core", "Engine"),
        "Legacy": ("pep562_colon.engine.core", "LegacyEngine")}
    assert report.lazy_modules["pep562_colon"].undecided == []
    assert {n: e.module for n, e in report.lazy_modules["pep562_colon.sub"].names.items()} == {
        "Tool": "pep562_colon.sub.tools"}
    assert [(f.rule, f.symbol) for f in report.findings] == [("IG002", "Legacy")]
    assert "maps 'Legacy' to pep562_colon.engine.core (as 'LegacyEngine'), which does not bind 'LegacyEngine'" in \
        report.findings[0].message
    assert explain(report, "LLM").outcome_text == "the real object, imported from pep562_colon.llm"
    old = explain(report, "OldEngine")
    assert "served under another name: the runtime fetches Engine from pep562_colon.engine.core" in \
        [h for h in old.hops if h.kind == "lazy-entry"][0].summary
    assert old.hops[-1].summary == "pep562_colon.engine.core binds Engine (class)"


def test_module_proxies_bound_at_import_time():
    """mlflow's (TensorFlow's) ``plots = LazyLoader("module_proxy.plots", globals(), "module_proxy.plots")`` and
    optuna's ``_frame = _LazyImport("module_proxy._frame")``: each name is a module key bound to a proxy, whose
    class is recognised by what it does (``import_module(self.__name__)`` on the name its ``__init__`` hands to
    ``ModuleType``, or on ``self._name``); the runtime agrees (``test_static_map_equals_runtime``), explain serves
    the module, and nothing of it is imported at ``import module_proxy``."""
    report = importgraph.analyze(str(fixture_package("module_proxy")), select=None)
    top = report.lazy_modules["module_proxy"]
    assert (top.style, top.module_keys, top.proxies) == (
        "module_proxy", {"plots": "module_proxy.plots", "extras": "module_proxy.extras"}, {"plots": 5, "extras": 6})
    study = report.lazy_modules["module_proxy.study"]
    assert (study.module_keys, study.proxies) == ({"_frame": "module_proxy._frame"}, {"_frame": 4})
    gen = report.lazy_modules["module_proxy.gen"]  # sglang: an object proxy is no module key; __all__ undecided
    assert (gen.style, gen.module_keys, gen.proxies) == ("module_proxy", {"plots": "module_proxy.plots"}, {"plots": 7})
    assert report.stats.undecided_by_rule == {"IG008": 1}  # Config, served by the __getattr__
    assert report.findings == [] and "module_proxy._lazy" not in report.lazy_modules
    assert explain(report, "module_proxy.plots").outcome_text == "the module module_proxy.plots"
    lazy_edges = {(s, t) for s, t, d in report.graph.edges(data=True) if "lazy" in d["kinds"]}
    assert {("module_proxy", "module_proxy.plots"), ("module_proxy.study", "module_proxy._frame")} <= lazy_edges
    check = ("import sys, module_proxy\nassert 'module_proxy.plots' not in sys.modules\n"
             "assert module_proxy.plots.plot() == 'plotted' and 'module_proxy.plots' in sys.modules")
    out = subprocess.run([sys.executable, "-c", check], cwd=FIXTURES / "module_proxy", capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr


def test_getattr_branch_whose_helper_calls_itself(tmp_path):
    """A branch returning a helper that returns a call of itself (or of another helper that calls it back): the
    reader follows helpers a few calls deep and gives up, without a RecursionError; the branch is no entry."""
    package = tmp_path / "loops"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent("""\
        def _again():
            return _again()


        def _ping():
            return _pong()


        def _pong():
            return _ping()


        def _real():
            from .real import Real

            return Real


        def __getattr__(name):
            if name == "Again":
                return _again()
            if name == "Ping":
                return _ping()
            if name == "Real":
                return _real()
            raise AttributeError(name)
        """))
    (package / "real.py").write_text("class Real:\n    pass\n")
    report = importgraph.analyze(str(package))
    assert {n: e.module for n, e in report.lazy_modules["loops"].names.items()} == {"Real": "loops.real"}


def test_celery_recreate_module():
    """celery 5.7: ``local.recreate_module(__name__, by_module={...}, direct={...}, **attrs)`` replaces the init with a
    LazyModule whose __dict__ is ``attrs``. Its names, module keys and objects agree with the runtime
    (``test_static_map_equals_runtime``), as does what each lookup gives: the name ``.canvas`` lacks breaks the
    other names listed with it, which IG002 and explain say."""
    report = static_report("recreate_module", ())
    lazy = report.lazy_modules["recreate_module"]
    assert lazy.style == "recreate_module" and lazy.replaces_module
    assert {n: (e.module, e.line) for n, e in lazy.names.items()} == {
        "Celery": ("recreate_module.app", 13), "Task": ("recreate_module.app.task", 14),
        "chain": ("recreate_module.canvas", 15), "uuid": ("recreate_module.canvas", 15),
        "Ghost": ("recreate_module.canvas", 15)}
    assert lazy.module_keys == {"tasks": "recreate_module.app.tasks"} and lazy.extra_objects == ["SERIES"]
    [finding] = report.findings
    assert (finding.rule, finding.symbol) == ("IG002", "Ghost") and "and so do chain, uuid" in finding.message
    assert explain(report, "chain").outcome == "import-error"
    assert explain(report, "Celery").outcome_text == "the real object, imported from recreate_module.app"


def test_getattr_answering_a_submodule_key_with_the_module_itself():
    """Fern-generated SDKs (cohere, elevenlabs): ``"audio": ".audio"`` in the same table as the names, and
    ``if module_name == f".{attr_name}": return module``. ``audio`` is the submodule itself (a module key), not a
    name fetched from inside it: no IG002 (elevenlabs 2.78 had 82 such false findings), and the runtime agrees
    (``test_static_map_equals_runtime``)."""
    report = static_report("pep562_itself", ())
    top = report.lazy_modules["pep562_itself"]
    assert {n: e.module for n, e in top.names.items()} == {
        "Client": "pep562_itself.client", "Transcript": "pep562_itself.audio"}
    assert top.module_keys == {"audio": "pep562_itself.audio"}
    assert report.findings == []
    runtime = run_runtime("pep562_itself", ())
    assert runtime["modules"]["pep562_itself"]["resolved"]["audio"] == {
        "ok": True, "module": "pep562_itself.audio", "kind": "module", "placeholder": False}


def test_getattr_returning_the_module_it_imports():
    """sktime 1.x: ``return import_module(f".{_MODULE_ALIASES[name]}", __name__)`` serves each old module name as
    the renamed module (before: 9 false IG002 errors on sktime.forecasting, the names read as fetched from inside
    the modules), and ``if name in _MODULES_FLATTENED: return import_module(__name__)`` serves former subpackages
    as the package itself. Module keys both, as the runtime has them (``test_static_map_equals_runtime``)."""
    report = static_report("pep562_itself", ())
    renamed, flat = report.lazy_modules["pep562_itself.renamed"], report.lazy_modules["pep562_itself.flat"]
    assert (renamed.names, renamed.module_keys) == ({}, {"old_forecaster": "pep562_itself.renamed.forecaster"})
    assert (flat.names, flat.module_keys) == ({}, {"panel": "pep562_itself.flat", "tabular": "pep562_itself.flat"})
    assert explain(report, "pep562_itself.flat.panel").outcome_text == "the module pep562_itself.flat"


def test_getattr_installed_from_the_type_checking_half():
    """anyio 4.16: ``if TYPE_CHECKING or not install_lazy_importer():``, where the function (recognised by what it
    does: reaches its caller's frame, assigns ``__getattr__`` there) serves the block's own imports lazily. Each
    import is a lazy name (a renamed one fetches its attribute), ``from . import sub`` a module key, and the block
    does not run (the runtime agrees: ``test_static_map_equals_runtime``). explain knows ``Lock``; ``Ghost`` is
    IG002."""
    report = static_report("pep562_caller_install", ())
    top = report.lazy_modules["pep562_caller_install"]
    assert {n: (e.module, e.attribute) for n, e in top.names.items()} == {
        **{n: ("pep562_caller_install._core", None) for n in ("Event", "Lock", "Ghost")},
        "nap": ("pep562_caller_install._core", "sleep")}  # ``from ._core import sleep as nap``
    assert top.module_keys == {"lowlevel": "pep562_caller_install.lowlevel"}
    assert top.undecided == []
    assert set(report.lazy_modules["pep562_caller_install.abc"].names) == {"AsyncResource"}
    assert [(f.rule, f.symbol) for f in report.findings] == [("IG002", "Ghost")]
    assert explain(report, "Lock").outcome_text == "the real object, imported from pep562_caller_install._core"


def test_getattr_handing_its_table_to_a_helper_and_a_group_imported_by_statement():
    """Speakeasy-generated SDKs (mistralai 3.x, 3,515 names): ``return lazy_getattr(attr_name, package=__package__,
    dynamic_imports=_dynamic_imports)``, a helper of the package that imports the looked-up module; mistralai.extra:
    ``from . import realtime`` then ``getattr(realtime, name)`` for the names of a set. The runtime agrees
    (``test_static_map_equals_runtime``); the planted ``Ghost`` is IG002. A folder without ``__init__.py`` that only
    holds a package (``cloud/client/``) is a namespace package, as Python imports it."""
    report = static_report("pep562_helper", ())
    assert {n: e.module for n, e in report.lazy_modules["pep562_helper"].names.items()} == {
        n: "pep562_helper.models" for n in ("Model", "ModelTypedDict", "Ghost")}
    assert {n: e.module for n, e in report.lazy_modules["pep562_helper.extra"].names.items()} == {
        n: "pep562_helper.extra.realtime" for n in ("Speech", "SpeechError")}
    assert report.lazy_modules["pep562_helper"].module_keys == {
        "extra": "pep562_helper.extra", "tools": "pep562_helper.tools"}  # handed as sub_packages (google.genai)
    assert report.lazy_modules["pep562_helper.tools"].module_keys == {  # listed in a literal set
        "hammer": "pep562_helper.tools.hammer", "saw": "pep562_helper.tools.saw"}
    assert [(f.rule, f.symbol) for f in report.findings] == [("IG002", "Ghost")]
    assert report.modules["pep562_helper.cloud"].path == str(FIXTURES / "pep562_helper" / "pep562_helper" / "cloud")
    assert explain(report, "cloud.client.CloudClient").outcome_text == (
        "the real object, as pep562_helper.cloud.client binds it")
    runtime = subprocess.run([sys.executable, "-c", "import pep562_helper.cloud.client as c, pep562_helper as p; "
                              "print(type(p.cloud).__name__, c.CloudClient.__name__)"],
                             cwd=FIXTURES / "pep562_helper", capture_output=True, text=True, check=False)
    assert runtime.stdout.split() == ["module", "CloudClient"], runtime.stderr


def test_getattr_over_a_table_of_module_and_submodule_flag():
    """The Stripe SDK (16.1: 68 lazy modules, 6,542 names, all agreeing with the runtime): ``target, is_submodule =
    _import_map[name]`` then the module itself when the flag is set. Flagged entries are module keys, the others
    names fetched from their module; the planted ``Refund`` is IG002."""
    report = static_report("pep562_flagged", ())
    top = report.lazy_modules["pep562_flagged"]
    assert top.module_keys == {"billing": "pep562_flagged.billing"}
    assert {n: e.module for n, e in top.names.items()} == {
        n: "pep562_flagged._customer" for n in ("Customer", "Refund")}
    assert [(f.rule, f.symbol) for f in report.findings] == [("IG002", "Refund")]


FILELOCK_STYLE = '''
from importlib import import_module
from types import MappingProxyType

_LAZY = MappingProxyType({"AsyncLock": ".aio", "AsyncFileLock": ".aio", "aio": ".aio", "Plain": ".plain"})


def __getattr__(name):
    if (module_name := _LAZY.get(name)) is None:
        raise AttributeError(name)
    module = import_module(module_name, __name__)
    if name == "aio":
        return module
    return getattr(module, "AsyncLock" if name in ("AsyncFileLock",) else name)
'''


def test_names_a_pep562_getattr_treats_apart_are_undecided(tmp_path):
    """filelock 4.3: ``_LAZY_ATTRIBUTES`` (here a ``MappingProxyType``) is read with ``.get``, but ``asyncio`` is
    served as the module itself and ``AsyncFileLock`` under another name. The table alone says both are missing
    from their module (IG002 reported them); names the body compares its argument with are undecided instead."""
    package = tmp_path / "lockish"
    package.mkdir()
    (package / "__init__.py").write_text(FILELOCK_STYLE)
    (package / "aio.py").write_text("class AsyncLock:\n    pass\n")
    (package / "plain.py").write_text("class Plain:\n    pass\n")
    run = subprocess.run([sys.executable, "-B", "-c", "import lockish as l; print(l.aio.__name__, "
                          "l.AsyncFileLock.__name__, l.AsyncLock.__module__, l.Plain.__module__)"],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["lockish.aio", "AsyncLock", "lockish.aio", "lockish.plain"]
    report = importgraph.analyze(str(package))
    lazy = report.lazy_modules["lockish"]
    assert {n: e.module for n, e in lazy.names.items()} == {"AsyncLock": "lockish.aio", "Plain": "lockish.plain"}
    assert sorted(u.reason.split("'")[1] for u in lazy.undecided) == ["AsyncFileLock", "aio"]
    assert not report.findings


def test_an_alias_resolves_to_the_object_it_copies(tmp_path):
    """``Run = RunTree  # backwards compatibility`` (langchain_core.tracers.schemas), or annotated
    (``BetaTextEvent: TypeAlias = ParsedBetaTextEvent``, anthropic.lib.streaming), or of another module's attribute
    (``AgentConfig = interactions_x.AntigravityAgentConfig``, google-genai): a lookup of ``Run`` ends where
    ``RunTree`` is defined, through imports and chains of aliases, as ``__module__`` says at runtime."""
    package = tmp_path / "aliases"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text("class RunTree:\n    pass\n")
    (package / "schemas.py").write_text(textwrap.dedent("""
        from json import JSONDecoder
        from typing import TypeAlias
        from .models import RunTree
        from . import models as models_alias
        class Local:
            pass
        Run = RunTree
        Decoder = JSONDecoder
        Same = Local
        Twice = Same
        Length = len
        Event: TypeAlias = RunTree
        Config = models_alias.RunTree
    """))
    names = ["Run", "Decoder", "Same", "Twice", "Event", "Config"]
    code = f"import aliases.schemas as s; print(*[getattr(s, n).__module__ for n in {names!r}])"
    runtime = subprocess.run([sys.executable, "-B", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                             check=True).stdout.split()
    assert runtime == ["aliases.models", "json.decoder", "aliases.schemas", "aliases.schemas", "aliases.models",
                       "aliases.models"]
    report = importgraph.analyze(str(package))
    found = {n: locate("aliases.schemas", n, report.modules, report.lazy_modules) for n in names + ["Length"]}
    assert [(found[n].module, found[n].kind) for n in names] == [
        ("aliases.models", "class"), ("json", "external"), ("aliases.schemas", "class"), ("aliases.schemas", "class"),
        ("aliases.models", "class"), ("aliases.models", "class")]
    assert runtime[1].startswith(found["Decoder"].module + ".")  # json re-exports it from json.decoder
    assert (found["Length"].module, found["Length"].kind) == ("aliases.schemas", "assign")  # a builtin: not followed


def test_the_statement_that_binds_a_name_last_wins(tmp_path):
    """nltk's init star-imports one subpackage after another, without ``__all__``: a later star import rebinds a name
    an earlier one (or an explicit import) bound, and a package's star import gives the submodules its init
    imports, which the import system binds on it (``nltk.agreement`` is ``nltk.metrics.agreement``). Each lookup
    ends where the runtime finds the object (nltk 3.10: 98 of 103 such lookups disagreed before)."""
    files = {
        "__init__.py": "from stars.chunk import *\nfrom stars.metrics import *\nfrom .tools import helper\n"
                       "from stars.late import *\n",
        "chunk.py": "def accuracy():\n    pass\n",
        "metrics/__init__.py": "from stars.metrics.scores import accuracy\nfrom .agreement import Task\n",
        "metrics/scores.py": "def accuracy():\n    pass\n",
        "metrics/agreement.py": "class Task:\n    pass\n",
        "tools.py": "def helper():\n    pass\n",
        "late.py": "def helper():\n    pass\n",
    }
    for name, text in files.items():
        (tmp_path / "stars" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "stars" / name).write_text(text)
    names = ["accuracy", "agreement", "scores", "helper", "Task"]
    code = ("import stars, types; print(*[(o.__name__ if isinstance(o, types.ModuleType) else o.__module__) "
            f"for o in [getattr(stars, n) for n in {names!r}]])")
    runtime = subprocess.run([sys.executable, "-B", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                             check=True).stdout.split()
    assert runtime == ["stars.metrics.scores", "stars.metrics.agreement", "stars.metrics.scores", "stars.late",
                       "stars.metrics.agreement"]
    report = importgraph.analyze(str(tmp_path / "stars"))
    assert [locate("stars", n, report.modules, report.lazy_modules).module for n in names] == runtime


LANGCHAIN_STYLE_INIT = '''
from lc._import_utils import import_attr

_dynamic_imports = {"Tool": "base", "helpers": "__module__"}


def __getattr__(attr_name):
    module_name = _dynamic_imports.get(attr_name)
    result = import_attr(attr_name, module_name, __spec__.parent)
    globals()[attr_name] = result
    return result
'''

IMPORT_ATTR = '''
from importlib import import_module


def import_attr(attr_name, module_name, package):
    if module_name == "__module__" or module_name is None:
        return import_module(f".{attr_name}", package=package)
    return getattr(import_module(f".{module_name}", package=package), attr_name)
'''


def scan_file_facts(path, text: str | None = None):
    """The scan's facts of ``path`` (or of ``text`` in its place)."""
    source = (text if text is not None else path.read_text()).encode()
    return scan_source("lc._import_utils", str(path), False, source)


def test_getattr_delegating_to_a_helper_of_the_package(tmp_path):
    """langchain_core: ``__getattr__`` passes the table's module to ``import_attr``, a function of another
    module of the package that calls ``import_module``. That module is read for it, so an edit to it that stops
    the import is not answered from the result cache."""
    root = tmp_path / "lc"
    (root / "tools").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "_import_utils.py").write_text(IMPORT_ATTR)
    (root / "tools" / "__init__.py").write_text(LANGCHAIN_STYLE_INIT)
    (root / "tools" / "base.py").write_text("class Tool:\n    pass\n")
    (root / "tools" / "helpers.py").write_text("")
    code = "import lc.tools as t; print(t.Tool.__module__, t.helpers.__name__)"
    runtime = subprocess.run([sys.executable, "-B", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                             check=True).stdout.split()
    assert runtime == ["lc.tools.base", "lc.tools.helpers"]
    cache = tmp_path / "cache"
    report = importgraph.analyze(str(root), cache_dir=cache)
    lazy = report.lazy_modules["lc.tools"]
    assert lazy.style == "pep562" and {n: e.module for n, e in lazy.names.items()} == {"Tool": "lc.tools.base"}
    assert any("'helpers'" in u.reason for u in lazy.undecided)  # "__module__": the submodule itself
    assert importgraph.analyze(str(root), cache_dir=cache).from_cache
    # the same facts (imports, bindings, lines): only the function body, which the scan does not record, changes
    stopped = IMPORT_ATTR.split("def ")[0] + "def import_attr(attr_name, module_name, package):\n    raise " \
        "AttributeError(attr_name)\n"
    assert scan_file_facts(root / "_import_utils.py") == scan_file_facts(root / "_import_utils.py", stopped)
    (root / "_import_utils.py").write_text(stopped)
    edited = importgraph.analyze(str(root), cache_dir=cache)
    assert not edited.from_cache and "lc.tools" not in edited.lazy_modules


WEBSOCKETS_STYLE_IMPORTS = '''
def import_name(name, source, namespace):
    level = len(source) - len(source.lstrip("."))
    module = __import__(source[level:], namespace, None, [name], level)
    return getattr(module, name)


def lazy_import(namespace, aliases=None, deprecated_aliases=None):
    aliases = aliases or {}
    deprecated_aliases = deprecated_aliases or {}

    def __getattr__(name):
        try:
            source = aliases[name]
        except KeyError:
            pass
        else:
            return import_name(name, source, namespace)
        try:
            source = deprecated_aliases[name]
        except KeyError:
            pass
        else:
            return import_name(name, source, namespace)
        raise AttributeError(name)

    namespace["__getattr__"] = __getattr__
'''

WEBSOCKETS_STYLE_INIT = '''
import typing

from .imports import lazy_import

__all__ = ["connect", "serve", "OldServer"]

if typing.TYPE_CHECKING:
    from .client import connect
    from .legacy.server import OldServer
    from .server import serve
else:
    lazy_import(
        globals(),
        aliases={"connect": ".client", "serve": ".server"},
        deprecated_aliases={"OldServer": ".legacy.server"},
    )
'''


def test_getattr_installed_by_a_helper_handed_globals(tmp_path):
    """websockets: ``lazy_import(globals(), aliases={...}, deprecated_aliases={...})``, a function of the package,
    installs a ``__getattr__`` that serves the names of both dicts. The runtime probe reads the dicts from that
    function's closure; both sides agree on every name."""
    root = tmp_path / "sockety"
    (root / "legacy").mkdir(parents=True)
    (root / "__init__.py").write_text(WEBSOCKETS_STYLE_INIT)
    (root / "imports.py").write_text(WEBSOCKETS_STYLE_IMPORTS)
    (root / "client.py").write_text("def connect():\n    return None\n")
    (root / "server.py").write_text("def serve():\n    return None\n")
    (root / "legacy" / "__init__.py").write_text("")
    (root / "legacy" / "server.py").write_text("class OldServer:\n    pass\n")
    proc = subprocess.run([sys.executable, "-B", str(RUNTIME_RESOLVE), "--path", str(tmp_path), "sockety"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    runtime = json.loads(proc.stdout)
    assert runtime["modules"]["sockety"]["style"] == "pep562"
    report = importgraph.analyze(str(root))
    assert {n: e.module for n, e in report.lazy_modules["sockety"].names.items()} == {
        "connect": "sockety.client", "serve": "sockety.server", "OldServer": "sockety.legacy.server"}
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    assert names == 3 and lookups == 3 and not report.findings


@pytest.mark.parametrize("fixture", ["hf5_structure", "diffusers_style"])
def test_probe_lookups_in_forked_workers_equal_serial_ones(fixture):
    """The probe's ``--jobs`` (used on the real packages, where imports are slow) only shares the lookups out:
    every lookup starts from the state after the imports either way, so the report is the same, byte for byte."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIXTURE_", "PYTHON"))}
    env.update({f"FIXTURE_HAS_{b.upper()}": "1" for b in BACKENDS[fixture]})
    outputs = [subprocess.run([sys.executable, "-B", str(RUNTIME_RESOLVE), "--path", str(FIXTURES / fixture), fixture,
                               "--jobs", jobs], capture_output=True, text=True, env=env, timeout=120, check=True).stdout
               for jobs in ("1", "3")]
    lookups = sum(len(info["resolved"]) for info in json.loads(outputs[0])["modules"].values())
    assert outputs[0] == outputs[1] and lookups >= 2 * 3  # enough lookups for three workers to fork


def test_relative_import_entry_that_is_not_a_literal_is_undecided(tmp_path):
    """A submodule list with an entry computed at run time says nothing about which submodules are served: counted
    undecided, neither a missing module (IG001) nor an unregistered one (IG010)."""
    package = tmp_path / "ri"
    (package / "_utils").mkdir(parents=True)
    (package / "_utils" / "__init__.py").write_text("")
    (package / "_utils" / "importers.py").write_text((FIXTURES / "plotly_relative" / "plotly_relative_utils" /
                                                     "importers.py").read_text())
    (package / "__init__.py").write_text(textwrap.dedent("""\
        import os
        from ri._utils.importers import relative_import

        __all__, __getattr__, __dir__ = relative_import(__name__, [".core", os.environ.get("RI_EXTRA", ".core")],
                                                        ["._impl.Thing"])
        """))
    (package / "core.py").write_text("")
    (package / "_impl.py").write_text("class Thing:\n    pass\n")
    report = importgraph.analyze(str(package))
    lazy = report.lazy_modules["ri"]
    assert lazy.module_keys == {} and lazy.names["Thing"].module == "ri._impl"
    assert any("rel_modules not evaluated" in u.reason for u in lazy.undecided)
    assert not report.findings
