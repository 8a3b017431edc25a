"""Compare a static report with what ``tests/fixtures/runtime_resolve.py`` saw a package build and serve.

Shared by the fixture parity tests and the real-package ones (scikit-image): the declared names and their
target modules, registered submodules, extra objects, missing-backend placeholders and ``setattr`` dummies of
every lazy module; then every runtime lookup against :func:`importgraph.resolve.locate`.
"""

from __future__ import annotations

from pathlib import Path

import importgraph
from importgraph.resolve import locate

RUNTIME_RESOLVE = Path(__file__).parents[1] / "fixtures" / "runtime_resolve.py"
"""The probe that imports a package for real and reports what its lazy machinery declares and serves."""


def compare_maps(report: importgraph.Report, runtime: dict) -> tuple[int, list[str]]:
    """(names compared, mismatches) between the static lazy modules and the runtime ones."""
    compared, problems = 0, []
    static_lazy = set(report.lazy_modules)
    # A module __getattr__ in which neither the probe nor importgraph found a map (pydantic.main's deprecation shim)
    runtime_lazy = {m: info for m, info in runtime["modules"].items() if info.get("style") != "eager"
                    and not (info.get("style") == "pep562" and not info.get("declared") and not info.get("submodules")
                             and "import_error" not in info and m not in static_lazy)}
    if set(runtime_lazy) != static_lazy:
        problems.append(f"lazy modules: runtime {sorted(runtime_lazy)} != static {sorted(static_lazy)}")
    for module, info in sorted(runtime_lazy.items()):
        assert "import_error" not in info, f"{module}: {info['import_error']}"
        static = report.lazy_modules.get(module)
        if static is None:
            continue
        dotted = info["style"] in ("pep562", "relative_import", "recreate_module")  # declared modules are dotted
        runtime_names = {name: key if dotted else f"{module}.{key}" for name, key in info["declared"].items()}
        unknown = {name for name, key in runtime_names.items() if key is None}  # a group's module: see the lookups
        static_names = {n: None if n in unknown else e.module for n, e in static.names.items()
                        if e.origin != "attribute"}
        compared += len(runtime_names)
        if runtime_names != static_names:
            diff = sorted(set(runtime_names.items()) ^ set(static_names.items()))
            problems.append(f"{module}: names differ {diff}")
        if info["style"] == "pep562":  # the keys a list names (scipy's submodules); where they lead: the lookups
            if set(info["submodules"]) != set(static.module_keys):
                problems.append(f"{module}: listed submodules {info['submodules']} != {sorted(static.module_keys)}")
        elif info["style"] in ("relative_import", "recreate_module", "module_proxy"):
            # each key imports a module of its choosing
            if info["module_keys"] != static.module_keys:
                problems.append(f"{module}: module keys differ "
                                f"{sorted(info['module_keys'].items() ^ static.module_keys.items())}")
        else:
            runtime_subs = {f"{module}.{s}" for s in info["submodules"]}
            if runtime_subs != set(static.submodules):
                problems.append(f"{module}: submodules differ {sorted(runtime_subs ^ set(static.submodules))}")
        if set(info["objects"]) != set(static.extra_objects) - set(info["extra_attrs"]):
            problems.append(f"{module}: extra objects {info['objects']} != {static.extra_objects}")
        static_missing = {n: list(e.missing_backends) for n, e in static.names.items() if e.missing_backends}
        static_missing.update({m[len(module) + 1:]: list(b) for m, b in static.missing_modules.items()})
        if info["missing_backend"] != static_missing:
            problems.append(f"{module}: missing backends {info['missing_backend']} != {static_missing}")
        static_attrs = {n for n, e in static.names.items() if e.origin == "attribute"}
        static_attrs |= set(static.extra_objects) - set(info["objects"])
        if set(info["extra_attrs"]) != static_attrs:
            problems.append(f"{module}: setattr attributes {info['extra_attrs']} != {sorted(static_attrs)}")
    return compared, problems


def compare_resolution(report: importgraph.Report, runtime: dict,
                       planted: dict[str, set[str]]) -> tuple[int, list[str]]:
    """Every runtime lookup against :func:`locate`: same defining module, same placeholder status."""
    compared, problems = 0, []
    for module, info in sorted(runtime["modules"].items()):
        for name, outcome in sorted(info["resolved"].items()):
            compared += 1
            found = locate(module, name, report.modules, report.lazy_modules)
            where = f"{module}.{name}"
            if not outcome["ok"]:
                if name in planted.get(module, ()):
                    continue
                if found is not None:
                    problems.append(f"{where}: runtime fails ({outcome['error']}), static finds {found.module}")
                continue
            if name in planted.get(module, ()):
                problems.append(f"{where}: planted defect resolved at runtime ({outcome})")
            if found is None:
                problems.append(f"{where}: runtime gives {outcome.get('module')}, static finds nothing")
                continue
            if outcome["placeholder"] != found.placeholder:
                problems.append(f"{where}: placeholder runtime={outcome['placeholder']} static={found.placeholder}")
            elif not outcome["placeholder"] and outcome.get("module") and outcome["module"] != found.module and not (
                    found.kind == "external" and outcome["module"].startswith(found.module + ".")):
                # (another package's name: importgraph does not read that package, so it names the module the
                # lazy map imports; the class may be defined deeper in it, pydantic_core._pydantic_core)
                problems.append(f"{where}: runtime {outcome['module']} != static {found.module} via {found.hops}")
    return compared, problems
