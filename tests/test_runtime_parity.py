"""The core proof: static lazy maps equal the maps the real transformers builds at runtime.

For each pinned release (5.23.0: ``define_import_structure`` everywhere; 4.44.2: ``_import_structure``
dicts with try/raise/except/else guards everywhere; 4.48.3, 4.57.1 and 5.0.0: both, with the older folder
walk) we import the package in a subprocess of its own
venv, read every ``_LazyModule``'s internals, and compare them with ``importgraph.analyze(...,
python=<that venv>)`` run for the backends that are really importable there. diffusers 0.42.1 the same way;
scikit-image 0.26.0 (``lazy_loader`` stubs), huggingface_hub 2.4.0 (a copy of ``lazy_loader.attach``, a PEP 562
``__getattr__``), pydantic 2.14.4 (a PEP 562 table of ``import_module`` pairs), langchain-core 1.8.3 (PEP 562
through a helper), langchain-classic 1.0.8 (PEP 562 through an importer closure) and plotly 7.1.0 (its
``relative_import``) through the fixtures' probe, which also resolves every name.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

import importgraph
from importgraph.explain import explain
from importgraph.resolve import locate
from importgraph.scan.pool import available_cores
from tests.runtime.lookups import RUNTIME_RESOLVE, compare_maps, compare_resolution
from tests.runtime.runtime_maps import runtime_lazy_maps
from tests.runtime.venvs import (DIFFUSERS, GENERATED_SDKS, HUGGINGFACE_HUB_VERSION, LANGCHAIN_CORE, MNE,
                                 OTHER_RELEASES, PLOTLY,
                                 PYDANTIC, SCIKIT_IMAGE, TRANSFORMERS_5, ensure_venv, site_packages)

pytestmark = pytest.mark.runtime

AVAILABILITY = r"""
import json, logging, sys, importlib
iu = importlib.import_module(sys.argv[1] + ".utils.import_utils")
logging.disable(logging.CRITICAL)
out = {}
for name in dir(iu):
    if name.startswith("is_") and name.endswith("_available"):
        try:
            out[name[3:-10]] = bool(getattr(iu, name)())
        except Exception:
            out[name[3:-10]] = False
print(json.dumps(out))
"""


def installed_backends(python, package: str = "transformers") -> list[str]:
    """Which ``is_<x>_available()`` helpers answer True in that venv (asked of the venv, in a subprocess)."""
    out = subprocess.run([str(python), "-c", AVAILABILITY, package], capture_output=True, text=True, check=True,
                         env={"TRANSFORMERS_VERBOSITY": "error", "PATH": "/usr/bin:/bin"})
    return sorted(name for name, ok in json.loads(out.stdout).items() if ok)


def compare(report: importgraph.Report, runtime: dict, broken: frozenset[str] = frozenset()) -> dict[str, int]:
    """Assert equality module by module; returns the agreement figures. ``broken``: lazy modules the runtime
    cannot import (the caller has checked that importgraph reports them), left out on both sides."""
    figures = {"lazy_modules": 0, "names": 0, "modules": 0, "missing_backend": 0}
    mismatches = []
    for name, rt in sorted(runtime["lazy_modules"].items()):
        if name in broken:
            continue
        if "error" in rt:
            mismatches.append(f"{name}: runtime import error {rt['error']}")
            continue
        static = report.lazy_modules.get(name)
        if static is None:
            mismatches.append(f"{name}: no static lazy module")
            continue
        figures["lazy_modules"] += 1
        rt_names = {k: f"{name}.{v}" for k, v in rt["class_to_module"].items()}
        st_names = {k: v.module for k, v in static.names.items() if v.origin != "attribute"}
        if rt_names != st_names:
            only_rt = sorted(set(rt_names) - set(st_names))[:5]
            only_st = sorted(set(st_names) - set(rt_names))[:5]
            wrong = sorted(k for k in set(rt_names) & set(st_names) if rt_names[k] != st_names[k])[:5]
            mismatches.append(f"{name}: runtime-only {only_rt}, static-only {only_st}, different target {wrong}")
        figures["names"] += len(rt_names)
        rt_modules = {f"{name}.{m}" for m in rt["modules"]}
        if rt_modules != set(static.submodules):
            mismatches.append(f"{name}: _modules differ {sorted(rt_modules ^ set(static.submodules))[:5]}")
        figures["modules"] += len(rt_modules)
        if rt.get("object_missing_backend") is not None:
            rt_missing = {k: sorted(v) for k, v in rt["object_missing_backend"].items() if k in rt["class_to_module"]}
            st_missing = {k: sorted(v.missing_backends) for k, v in static.names.items() if v.missing_backends}
            if rt_missing != st_missing:
                diff = sorted(k for k in set(rt_missing) | set(st_missing) if rt_missing.get(k) != st_missing.get(k))
                mismatches.append(f"{name}: missing backends differ for {diff[:5]}")
            figures["missing_backend"] += len(rt_missing)
        # extra objects and attributes set after the build (diffusers' dummies), as one set on each side
        rt_objects = set(rt["objects"]) | set(rt.get("attributes", ()))
        st_objects = set(static.extra_objects) | {n for n, e in static.names.items() if e.origin == "attribute"}
        if rt_objects != st_objects:
            mismatches.append(f"{name}: extra objects {sorted(rt_objects ^ st_objects)[:5]} differ")
    static_only = sorted(set(m for m, lm in report.lazy_modules.items() if lm.style != "pep562")
                         - set(runtime["lazy_modules"]) - broken)
    assert not static_only, f"lazy modules the runtime does not build: {static_only[:10]}"
    assert not mismatches, "\n".join(mismatches[:30])
    return figures


@pytest.mark.parametrize("which", ["transformers5", "transformers4"])
def test_static_maps_equal_runtime(which, request):
    python, _site = request.getfixturevalue(which)
    runtime = runtime_lazy_maps(python, "transformers")
    backends = installed_backends(python)
    report = importgraph.analyze("transformers", python=str(python), backends=backends, select=set())
    assert report.target.version == runtime["version"]
    figures = compare(report, runtime)
    print(f"\n{which} {report.target.version}: {figures} agree exactly (backends: {backends})")
    # Both releases are large: a regression that silently drops most of the map must not pass.
    assert figures["lazy_modules"] >= 270 and figures["names"] >= 3600


@pytest.mark.parametrize("release", OTHER_RELEASES, ids=lambda release: release[0])
def test_static_maps_equal_runtime_on_other_releases(release):
    """4.48.3, 4.57.1, 5.0.0 and 5.24.0 walk folders as their own ``create_import_structure_from_path`` does (read from
    their ``import_utils.py``; 4.48.3's scanner reads ``@export``) and guard entries with version checks that are
    False without the backend."""
    python = ensure_venv(*release)
    runtime = runtime_lazy_maps(python, "transformers")
    report = importgraph.analyze("transformers", python=str(python), backends=installed_backends(python),
                                 select=set())
    assert report.target.version == runtime["version"] == release[1][0].split("==")[1]
    figures = compare(report, runtime)
    print(f"\n{release[0]}: {figures} agree exactly")
    assert figures["lazy_modules"] >= 300 and figures["names"] >= 5000


def test_static_maps_equal_runtime_on_diffusers():
    """diffusers 0.42.1 (no torch): dict-style inits with dummy objects set by ``setattr``. One sub-package
    cannot be imported there at all (its fallback imports a dummy the dummy file lacks): importgraph must
    report exactly that one (IG013), and every other lazy module must equal the runtime's."""
    python = ensure_venv(*DIFFUSERS)
    runtime = runtime_lazy_maps(python, "diffusers")
    report = importgraph.analyze("diffusers", python=str(python), backends=installed_backends(python, "diffusers"),
                                 select={"IG013"})
    broken = frozenset(name for name, rt in runtime["lazy_modules"].items() if "error" in rt)
    assert broken == {f.module for f in report.findings if "imports the dummy" in f.message} == \
        {"diffusers.pipelines.deprecated.vq_diffusion"}
    figures = compare(report, runtime, broken)
    print(f"\ndiffusers {report.target.version}: {figures} agree exactly")
    assert figures["lazy_modules"] >= 140 and figures["names"] >= 700


def test_complete_declared_map_is_a_superset(transformers5):
    """With every backend modelled available, 5.x keeps all names and marks none missing."""
    python, _site = transformers5
    runtime = runtime_lazy_maps(python, "transformers")
    report = importgraph.analyze("transformers", python=str(python), select=set())
    top = report.lazy_modules["transformers"]
    real = {n for n, key in runtime["lazy_modules"]["transformers"]["class_to_module"].items()
            if not key.startswith("utils.dummy_")}  # dummies only stand in for missing backends
    assert real <= set(top.names)
    assert not any(".dummy_" in entry.module for entry in top.names.values())
    assert not any(entry.missing_backends for entry in top.names.values())
    assert report.lazy_modules["transformers"].names["BertModel"].backends == ("torch",)
    assert report.environment.has("tokenizers")  # a hard requirement of 5.x (Requires-Dist)


def resolve_at_runtime(python, package: str, modules: bool = False) -> dict:
    """The fixtures' probe run on an installed package in its venv: every lazy module's map, every name resolved
    (``modules``: plain modules with a ``__getattr__`` too, not only packages)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    proc = subprocess.run([str(python), "-B", str(RUNTIME_RESOLVE), "--path", str(site_packages(python)), package,
                           "--jobs", str(available_cores()), *(["--modules"] if modules else [])],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_static_maps_equal_runtime_on_scikit_image():
    """scikit-image 0.26.0: every package's init calls ``lazy_loader.attach_stub`` on its ``__init__.pyi``.
    The fixtures' probe imports it in its venv, reads each ``__getattr__``'s closure (``attr_to_modules``,
    ``submodules``) and resolves every name with ``getattr``; the static maps and lookups must agree, including
    the names that end in compiled extension modules (``skimage.graph.MCP`` from ``_mcp.*.so``)."""
    python = ensure_venv(*SCIKIT_IMAGE)
    runtime = resolve_at_runtime(python, "skimage")
    report = importgraph.analyze("skimage", python=str(python))
    # skimage.io's module __getattr__ only warns about one deprecated name: a hook, not a lazy map, on both sides
    hooks = {m for m, info in runtime["modules"].items() if info.get("style") == "pep562" and not info["names"]}
    assert hooks == {"skimage.io"} and not hooks & set(report.lazy_modules)
    runtime["modules"] = {m: info for m, info in runtime["modules"].items() if m not in hooks}
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    compiled = [n for m, info in runtime["modules"].items() for n in info["resolved"]
                if (found := locate(m, n, report.modules, report.lazy_modules)) and found.kind == "compiled"]
    print(f"\nscikit-image {report.target.version}: {len(report.lazy_modules)} lazy modules, {names} names, "
          f"{lookups} lookups agree ({len(compiled)} end in compiled modules)")
    assert len(report.lazy_modules) == 15 and names >= 350 and lookups >= 380 and len(compiled) >= 6
    assert (report.target.distribution, report.target.version) == ("scikit-image", "0.26.0")  # RECORD, no top_level
    # explain says it cannot tell, where the chain ends in a compiled module, instead of predicting an error
    mcp = explain(report, "graph.MCP")
    assert mcp.outcome == "undecided" and mcp.hops[-1].kind == "undecided"
    assert "skimage.graph._mcp is a compiled extension module" in mcp.hops[-1].summary
    assert explain(report, "filters.gaussian").outcome == "object"
    # IG010's unregistered submodules (Cython modules such as feature.orb_cy, color.adapt_rgb) fail for real
    assert len([f for f in report.findings if f.rule == "IG010"]) >= 8
    assert_unregistered_submodules_fail(python, report)


def test_static_maps_equal_runtime_on_mne():
    """mne 1.13.2: 21 packages call ``lazy_loader.attach_stub`` on their ``__init__.pyi``, all of pure Python (names
    re-exported through nested stubs, ``mne.decoding``'s from scikit-learn). The maps and every lookup agree."""
    python = ensure_venv(*MNE)
    runtime = resolve_at_runtime(python, "mne")
    report = importgraph.analyze("mne", python=str(python))
    assert report.target.version == "1.13.2"
    assert {info["style"] for info in runtime["modules"].values()} == {"lazy_loader"}
    assert {lazy.style for lazy in report.lazy_modules.values()} == {"lazy_loader-stub"}
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    print(f"\nmne {report.target.version}: {len(report.lazy_modules)} lazy modules, {names} names, {lookups} lookups "
          "agree")
    assert len(report.lazy_modules) == 21 and names >= 750 and lookups >= 800 and not report.stats.undecided
    # `import mne` imports mne.utils.config (a lazy access in its init), which imports mne.utils.check, which imports
    # mne.fixes: bound on mne, not an unregistered submodule (IG010 reads the whole import closure, not the init's)
    unregistered = {f.symbol for f in report.findings if f.rule == "IG010"}
    assert len(unregistered) >= 30 and "mne.fixes" not in unregistered
    assert_unregistered_submodules_fail(python, report)
    # explain's import cost: the modules `from mne import NAME` runs, as the runtime's sys.modules has them
    from tests.test_explain import runtime_own_modules

    # (mne.report calls mne.io's _get_supported() at module level, as _get_extension_reader_map: 68 more modules)
    for name in ("Epochs", "create_info", "read_evokeds", "pick_types", "io", "set_log_level", "Report"):
        assert set(explain(report, name).cost_name.own) == runtime_own_modules(str(python), "mne", name), name


def test_static_maps_equal_runtime_on_huggingface_hub():
    """huggingface_hub 2.4.0 (in the transformers 5.23.0 venv): its top level is a copy of ``lazy_loader.attach``
    over ``_SUBMOD_ATTRS``; ``huggingface_hub.utils`` is a hand-written PEP 562 ``__getattr__`` that looks names
    up with ``_ATTR_TO_MODULE.get(name)`` in a dict built by a comprehension, some targets absolute
    (``huggingface_hub.errors``). Every name resolves to the same module on both sides."""
    python = ensure_venv(*TRANSFORMERS_5)
    runtime = resolve_at_runtime(python, "huggingface_hub")
    report = importgraph.analyze("huggingface_hub", python=str(python))
    assert report.target.version == HUGGINGFACE_HUB_VERSION
    assert {m: info["style"] for m, info in runtime["modules"].items()} == \
        {"huggingface_hub": "lazy_loader", "huggingface_hub.utils": "pep562"}
    assert {m: lazy.style for m, lazy in report.lazy_modules.items()} == \
        {"huggingface_hub": "lazy_loader", "huggingface_hub.utils": "pep562"}
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    print(f"\nhuggingface_hub {report.target.version}: {names} names, {lookups} lookups agree")
    assert names >= 600 and lookups >= 600
    assert any(f.rule == "IG010" for f in report.findings), "hub 2.4.0 leaves errors out of _SUBMOD_ATTRS"
    assert_unregistered_submodules_fail(python, report)


def assert_unregistered_submodules_fail(python, report: importgraph.Report) -> None:
    """IG010's unregistered public submodules: attribute access on the freshly imported package fails for real
    (one fresh interpreter per finding: importing one submodule would set it on its package)."""
    for finding in (f for f in report.findings if f.rule == "IG010"):
        package, _, leaf = finding.symbol.rpartition(".")
        check = "import importlib, sys; print(hasattr(importlib.import_module(sys.argv[1]), sys.argv[2]))"
        answer = subprocess.run([str(python), "-I", "-c", check, package, leaf], capture_output=True, text=True,
                                check=True).stdout.strip()
        assert answer == "False", finding.message


def test_static_maps_equal_runtime_on_pydantic():
    """pydantic 2.14.4: a hand-written PEP 562 ``__getattr__`` over ``{name: (__spec__.parent, ".module")}`` pairs
    (the arguments of ``import_module``), read with ``.get``; some names are pydantic_core's. Every name resolves
    to the same module on both sides, and the stale names IG008 reports in ``pydantic.v1.typing.__all__`` really
    break its star import."""
    python = ensure_venv(*PYDANTIC)
    runtime = resolve_at_runtime(python, "pydantic", modules=True)
    report = importgraph.analyze("pydantic", python=str(python))
    assert report.target.version == "2.14.4"
    # pydantic.main's and .types' __getattr__ are deprecation shims (no map); missing_sentinel's, a plain module's,
    # imports MISSING from pydantic_core when asked
    assert {m: info["style"] for m, info in runtime["modules"].items() if info["style"] != "eager"} == dict.fromkeys(
        ("pydantic", "pydantic.experimental.missing_sentinel", "pydantic.main", "pydantic.types"), "pep562")
    assert {m: lazy.style for m, lazy in report.lazy_modules.items()} == {
        "pydantic": "pep562", "pydantic.experimental.missing_sentinel": "pep562"}
    shim = report.lazy_modules["pydantic.experimental.missing_sentinel"]
    assert {n: e.module for n, e in shim.names.items()} == {"MISSING": "pydantic_core"}
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    external = sum(1 for n in runtime["modules"]["pydantic"]["resolved"]
                   if locate("pydantic", n, report.modules, report.lazy_modules).kind == "external")
    print(f"\npydantic {report.target.version}: {names} names, {lookups} lookups agree ({external} pydantic_core's)")
    assert names >= 150 and lookups >= 150 and external >= 5
    stale = sorted(f.symbol for f in report.findings if f.rule == "IG008" and f.module == "pydantic.v1.typing")
    assert stale and {f.rule for f in report.findings} == {"IG008"}
    star = subprocess.run([str(python), "-I", "-c", "from pydantic.v1.typing import *"], capture_output=True,
                          text=True)
    assert star.returncode != 0 and "AttributeError" in star.stderr
    assert any(f"attribute '{name}'" in star.stderr for name in stale), star.stderr[-300:]


SAME_OBJECT = """
import importlib, json, sys
print(json.dumps([f"{m}.{n}" for m, n, source in json.loads(sys.argv[1])
                  if getattr(importlib.import_module(m), n) is not getattr(importlib.import_module(source), n)]))
"""


@pytest.mark.parametrize("package, lazy_modules, names", [("cohere", 19, 770), ("anyio", 2, 130)])
def test_static_maps_equal_runtime_on_generated_sdks(package, lazy_modules, names):
    """Two PEP 562 forms found in a sweep of popular packages, each unread before: cohere 7.3 (Fern: a table entry
    answered with the module itself, which gave false IG002 findings) and anyio 4.16 (``install_lazy_importer()``
    reading the ``TYPE_CHECKING`` half). Every declared name and lookup agrees with the runtime. anyio rewrites
    ``__module__`` to ``anyio``, so there each name is checked to be the very object its module defines.
    (mistralai 3.7 and stripe 16.1 pass the same check; their fixtures, pep562_helper and pep562_flagged, are in
    the suite, the packages not: their probes take ~35 s.)"""
    python = ensure_venv(*GENERATED_SDKS)
    runtime = resolve_at_runtime(python, package)
    report = importgraph.analyze(package, python=str(python))
    compared, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    if package == "anyio":  # its lookups' __module__ is "anyio": compare the objects instead
        resolve_problems = [p for p in resolve_problems if not re.search(r": runtime anyio(\.abc)? != ", p)]
        pairs = [(m, n, e.module) for m, lazy in report.lazy_modules.items() for n, e in lazy.names.items()]
        other = subprocess.run([str(python), "-c", SAME_OBJECT, json.dumps(pairs)], capture_output=True, text=True)
        assert json.loads(other.stdout) == [], other.stderr
    assert not map_problems + resolve_problems, "\n".join((map_problems + resolve_problems)[:20])
    assert len(report.lazy_modules) == lazy_modules and compared >= names and not report.findings
    print(f"\n{package} {report.target.version}: {len(report.lazy_modules)} lazy modules, {compared} names, "
          f"{lookups} lookups agree")


def test_static_maps_equal_runtime_on_langchain_core():
    """langchain-core 1.8.3: 19 packages whose PEP 562 ``__getattr__`` looks the name up in ``_dynamic_imports``
    and hands it to ``import_attr(attr_name, module_name, __spec__.parent)``, a helper of the package that calls
    ``import_module``. Every name resolves to the same module on both sides (``tracers.Run`` through the alias
    ``Run = RunTree`` to langsmith's class)."""
    python = ensure_venv(*LANGCHAIN_CORE)
    runtime = resolve_at_runtime(python, "langchain_core")
    report = importgraph.analyze("langchain_core", python=str(python))
    assert report.target.version == "1.8.3"
    runtime_styles = {m: info["style"] for m, info in runtime["modules"].items() if m != "langchain_core"}
    assert runtime["modules"]["langchain_core"]["style"] == "eager"  # its own init is not lazy
    assert len(runtime_styles) >= 19 and set(runtime_styles.values()) == {"pep562"}
    assert {m: lazy.style for m, lazy in report.lazy_modules.items()} == runtime_styles
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    print(f"\nlangchain-core {report.target.version}: {len(runtime_styles)} lazy modules, {names} names, "
          f"{lookups} lookups agree")
    assert names >= 290 and lookups >= 300
    run = locate("langchain_core.tracers", "Run", report.modules, report.lazy_modules)
    assert run.kind == "external" and run.module.startswith("langsmith")
    assert not report.findings


def test_static_maps_equal_runtime_on_langchain_classic():
    """langchain-classic 1.0.8: 842 modules, packages and plain modules alike, hand every name to ``importer =
    create_importer(__package__, module_lookup={...}, deprecated_lookups={...})`` from their ``__getattr__`` (a
    function of the package, re-exported by ``langchain_classic._api``, returning a closure over the merged dicts).
    The probe reads each closure: the maps agree. Every name whose module is installed resolves to the same module
    on both sides; the others point into langchain-community, not installed here, and the runtime's error names the
    very module the static map does."""
    python = ensure_venv(*LANGCHAIN_CORE)
    runtime = resolve_at_runtime(python, "langchain_classic", modules=True)
    report = importgraph.analyze("langchain_classic", python=str(python))
    assert report.target.version == "1.0.8"
    modules = runtime["modules"]
    assert not [m for m, info in modules.items() if "import_error" in info]
    # a __getattr__ with nothing to serve but a fallback module (agents.load_tools) or a deprecation warning
    hooks = {m for m, info in modules.items() if info["style"] == "pep562" and not info["names"]}
    runtime["modules"] = {m: info for m, info in modules.items() if m not in hooks and info["style"] != "eager"}
    lazy = {m: l for m, l in report.lazy_modules.items() if l.names}
    assert set(report.lazy_modules) - set(lazy) <= hooks
    absent = deeper = 0
    for module, info in runtime["modules"].items():
        for name, outcome in list(info["resolved"].items()):
            found = locate(module, name, report.modules, lazy)
            if f"{module}.{name}" in modules:  # the probe imported that submodule itself, which binds it here
                del info["resolved"][name]
            elif not outcome["ok"] and "langchain_community" in outcome["error"]:
                target = lazy[module].names[name].module
                assert target.startswith("langchain_community.") and (
                    f"Module {target} not found" in outcome["error"]  # create_importer's message
                    or "No module named 'langchain_community'" in outcome["error"]), (module, name, outcome)
                del info["resolved"][name]
                absent += 1
            elif outcome["ok"] and found and found.kind == "external" and outcome["module"] != found.module:
                # langchain_core.document_loaders serves Blob from langchain_core.documents.base: importgraph does
                # not read langchain_core, and names the module the map imports
                assert outcome["module"].split(".")[0] == found.module.split(".")[0], (module, name, outcome)
                del info["resolved"][name]
                deeper += 1
    report.lazy_modules.clear()
    report.lazy_modules.update(lazy)
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    print(f"\nlangchain-classic {report.target.version}: {len(lazy)} lazy modules, {names} names, {lookups} lookups "
          f"agree, {absent} more name langchain-community's module the runtime asks for, {deeper} end deeper in "
          "the other package than the module the map names")
    # (deeper: 10 since ``Prompt``, served as langchain_core.prompts' PromptTemplate, is read as an entry under
    # another name)
    assert len(lazy) >= 800 and names >= 1900 and lookups >= 45 and absent >= 1800 and deeper <= 10
    assert lazy["langchain_classic"].names["Prompt"].attribute == "PromptTemplate"


def test_static_maps_equal_runtime_on_plotly():
    """plotly 7.1.0: 387 packages hand ``_plotly_utils.importers.relative_import(__name__, [".sub", ...],
    ["._module.Name", ...])`` their lazy names; ``graph_objects`` serves ``graph_objs``' subpackages under their own
    names ("..graph_objs.bar"), ``graph_objs`` wraps the installed ``__getattr__`` in its own, and ``plotly.io``
    imports one of its lazy names from itself. Every name, submodule key and lookup agrees with the runtime; the
    unregistered submodules IG010 reports fail for real, and ``plotly.__version__``, listed for a ``plotly.version``
    module that does not exist, is bound by the init itself (its ``__getattr__`` is never asked): only the
    ``TYPE_CHECKING`` import of it is reported."""
    python = ensure_venv(*PLOTLY)
    runtime = resolve_at_runtime(python, "plotly")
    report = importgraph.analyze("plotly", python=str(python))
    assert report.target.version == "7.1.0"
    styles = {m: info["style"] for m, info in runtime["modules"].items()}
    assert len(styles) >= 380 and set(styles.values()) == {"relative_import"}
    assert {m: lazy.style for m, lazy in report.lazy_modules.items()} == styles
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    print(f"\nplotly {report.target.version}: {len(styles)} lazy modules, {names} names, {lookups} lookups agree")
    assert names >= 1100 and lookups >= 1500
    assert report.lazy_modules["plotly.graph_objects"].module_keys["bar"] == "plotly.graph_objs.bar"
    assert locate("plotly.io", "templates", report.modules, report.lazy_modules).module == "plotly.io._templates"
    assert {f.rule for f in report.findings} == {"IG001", "IG010"}
    [missing] = [f for f in report.findings if f.rule == "IG001"]
    assert missing.symbol == "version" and "TYPE_CHECKING" in missing.message
    version = subprocess.run([str(python), "-I", "-c", "import plotly; print(plotly.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "7.1.0"
    assert_unregistered_submodules_fail(python, report)


def test_static_maps_equal_runtime_on_scipy():
    """scipy 1.17.1 (in scikit-image's venv): ``scipy`` and ``scipy.sparse`` serve the submodules a module-level list
    names from a PEP 562 ``__getattr__`` (``if name in submodules: return import_module(f"scipy.{name}")``). The
    listed keys and every lookup agree with the runtime."""
    python = ensure_venv(*SCIKIT_IMAGE)
    runtime = resolve_at_runtime(python, "scipy")
    report = importgraph.analyze("scipy", python=str(python))
    assert report.target.version == "1.17.1"
    # the deprecation hooks of its sub-packages (``__getattr__`` warning about old names) serve no map on either side
    runtime["modules"] = {m: info for m, info in runtime["modules"].items()
                          if info.get("style") != "pep562" or info["names"] or info["submodules"]}
    assert set(runtime["modules"]) == {"scipy", "scipy.sparse"} == set(report.lazy_modules)
    names, map_problems = compare_maps(report, runtime)
    lookups, resolve_problems = compare_resolution(report, runtime, {})
    assert not map_problems + resolve_problems, "\n".join(map_problems + resolve_problems)
    keys = sum(len(lazy.module_keys) for lazy in report.lazy_modules.values())
    print(f"\nscipy {report.target.version}: {keys} listed submodules, {lookups} lookups agree")
    assert keys >= 20 and lookups >= 20
    assert not [f for f in report.findings if f.rule == "IG001"]
