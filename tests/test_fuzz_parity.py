"""Differential fuzzing: random lazy packages, imported for real, must match the static maps exactly.

hypothesis draws a package *spec* (modules, their names, the backend each needs, a nested lazy
subpackage, re-exports, dummy fallbacks, the ``TYPE_CHECKING`` half) in each supported style:

- ``hf4``: transformers 4.x ``_import_structure`` dict with ``try/raise OptionalDependencyNotAvailable``
  guards and ``dir(dummy_module)`` fallbacks, a nested lazy package as a key;
- ``hf5``: ``define_import_structure`` (file-name backend rules, ``@requires``, ``__all__``, a nested folder);
- ``attach``: ``lazy_loader.attach`` with a lazy subpackage;
- ``pep562``: a module-level ``__getattr__`` over a name -> module dict.

The spec is written to a temp dir with the vendored ``_LazyModule``/``define_import_structure`` of the
fixtures (``tests/fixtures/packages/hf4_dict`` and ``hf5_structure``; backends are ``FIXTURE_HAS_*``
environment variables), imported in a subprocess by ``tests/fixtures/runtime_resolve.py`` in a drawn
environment, and compared with ``importgraph.analyze(<dir>, backends=...)`` by the same comparison the
fixture parity test uses (names and target modules, submodules, extra objects, missing-backend
placeholders, and every runtime lookup against the static resolution).

Then defects are planted in valid packages (a name its module does not define, a key for a missing module,
a name under two keys) and IG001/IG002/IG003 must report exactly those.

``IMPORTGRAPH_FUZZ_EXAMPLES`` (default 25 per test) sets how many packages are drawn; derandomized, so a
run is reproducible. Each test prints how many examples ran and that none mismatched.
"""

from __future__ import annotations

import json
import keyword
import os
import subprocess
import sys
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import importgraph
from tests.conftest import FIXTURES
from tests.test_fixture_parity import RUNTIME_RESOLVE, compare_maps, compare_resolution

EXAMPLES = int(os.environ.get("IMPORTGRAPH_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its spec already
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HF4_BACKENDS = ("torch", "tokenizers", "sentencepiece", "vision")
HF5_RULES = {  # file-name prefix -> the backends the vendored BASE_FILE_REQUIREMENTS give it
    "configuration": (), "modeling": ("torch",), "image_processing": ("vision",), "processing": (),
}
HF5_REQUIRES = ("vision", "tokenizers", "sentencepiece")

NAMES = st.from_regex(r"[A-Z][a-z]{2,7}[A-Z][a-z]{1,5}", fullmatch=True).filter(
    lambda n: not keyword.iskeyword(n) and not n.endswith(("Fast", "Processor", "Pil")))


@dataclass
class Module:
    key: str
    """Dotted module name relative to the lazy package (``mod_0``, ``nested.modeling_1``)."""
    names: list[str]
    backend: str | None = None
    reexports: list[str] = field(default_factory=list)
    """Names this module imports from ``reexport_from`` and serves again (a re-export)."""
    reexport_from: str = ""


@dataclass
class Spec:
    style: str
    modules: list[Module]
    sub: list[Module] = field(default_factory=list)
    """Modules of the nested lazy subpackage ``sub`` (same style)."""
    dummies: bool = False
    installed: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------- strategies


@st.composite
def specs(draw, style: str) -> Spec:
    total = draw(st.integers(2, 7))
    names = draw(st.lists(NAMES, min_size=total * 3, max_size=total * 3, unique=True))
    backends = HF4_BACKENDS if style == "hf4" else HF5_REQUIRES + ("torch",) if style == "hf5" else ()
    modules: list[Module] = []
    for i in range(total):
        own = names[i * 3: i * 3 + draw(st.integers(1, 3))]
        if style == "hf5":
            prefix = draw(st.sampled_from(sorted(HF5_RULES)))
            folder = draw(st.sampled_from(["", "", "nested."]))
            backend = draw(st.none() | st.sampled_from(HF5_REQUIRES))  # via @requires on each object
            modules.append(Module(f"{folder}{prefix}_m{i}", own, backend))
        else:
            backend = draw(st.none() | st.sampled_from(backends)) if backends else None
            modules.append(Module(f"mod_{i}", own, backend))
    split = draw(st.integers(1, len(modules))) if style != "hf5" and len(modules) > 1 else len(modules)
    top, sub = modules[:split], modules[split:]
    first = top[0]
    for module in top[1:]:
        if first.backend is None and module.backend is None and draw(st.booleans()):
            # `from .<first> import X`, X served again under another key (hf5: in this module's __all__)
            module.reexports, module.reexport_from = [first.names[0]], first.key
            break
    installed = tuple(sorted(draw(st.sets(st.sampled_from(backends))))) if backends else ()
    dummies = style == "hf4" and draw(st.booleans())
    return Spec(style, top, sub, dummies, installed)


# --------------------------------------------------------------------------------------------- writers


def module_source(module: Module, spec: Spec, depth: int) -> str:
    up = "." * (depth + module.key.count(".") + 1)  # relative path up to the package that holds utils/
    lines = []
    if spec.style == "hf4" and module.backend:  # hf5 declares backends with @requires instead
        lines += [f"from {up}utils import fake_backend_import", "", f"fake_backend_import({module.backend!r})", ""]
    if spec.style == "hf5":
        lines += [f"from {up}utils import requires", ""]
    for name in module.reexports:
        source = module.reexport_from
        if "." in source and "." in module.key:  # both in nested/
            source = source.rpartition(".")[2]
        elif "." in source or "." in module.key:
            source = ("." if "." in module.key else "") + source
        lines += [f"from .{source} import {name}", ""]
    for name in module.names:
        if spec.style == "hf5" and module.backend:
            lines.append(f"@requires(backends=({module.backend!r},))")
        lines += [f"class {name}:", "    pass", "", ""]
    if spec.style == "hf5":
        exported = [n for n in module.names if not module.backend] + module.reexports
        lines.append("__all__ = [" + ", ".join(repr(n) for n in exported) + "]")
    return "\n".join(lines) + "\n"


def hf4_init(modules: list[Module], spec: Spec, depth: int, subpackage: list[Module] | None) -> str:
    up = "." * (depth + 1)
    backends = sorted({m.backend for m in modules if m.backend})
    out = ["from typing import TYPE_CHECKING", "",
           f"from {up}utils import OptionalDependencyNotAvailable, _LazyModule"
           + "".join(f", is_{b}_available" for b in backends), ""]
    plain = {m.key: m.names + m.reexports for m in modules if not m.backend}
    if subpackage:
        plain["sub"] = [n for m in subpackage if not m.backend for n in m.names]
    out.append(f"_import_structure = {plain!r}")
    typing_half = [f"    from .{m.key} import {', '.join(m.names + m.reexports)}" for m in modules if not m.backend]
    if subpackage and plain["sub"]:
        typing_half.append(f"    from .sub import {', '.join(plain['sub'])}")
    for backend in backends:
        guarded = [m for m in modules if m.backend == backend]
        dummy = f"dummy_{backend}_objects"
        use_dummy = spec.dummies and depth == 0
        fallback = (f"    from {up}utils import {dummy}\n\n"
                    f"    _import_structure[\"utils.{dummy}\"] = [n for n in dir({dummy}) if not n.startswith(\"_\")]"
                    if use_dummy else "    pass")
        body = "\n".join(f"    _import_structure[{m.key!r}] = {m.names!r}" for m in guarded)
        out.append(f"\ntry:\n    if not is_{backend}_available():\n        raise OptionalDependencyNotAvailable()\n"
                   f"except OptionalDependencyNotAvailable:\n{fallback}\nelse:\n{body}")
        typing_half.append(
            f"    try:\n        if not is_{backend}_available():\n            raise OptionalDependencyNotAvailable()\n"
            f"    except OptionalDependencyNotAvailable:\n"
            + (f"        from {up}utils.{dummy} import *\n" if use_dummy else "        pass\n")
            + "    else:\n" + "\n".join(f"        from .{m.key} import {', '.join(m.names)}" for m in guarded))
    out.append("\nif TYPE_CHECKING:\n" + ("\n".join(typing_half) or "    pass"))
    out.append("else:\n    import sys\n\n    sys.modules[__name__] = _LazyModule(__name__, globals()[\"__file__\"], "
               "_import_structure, module_spec=__spec__)")
    return "\n".join(out) + "\n"


def dummy_source(backend: str, names: list[str]) -> str:
    lines = ["from ..utils import DummyObject, requires_backends", ""]
    for name in names:
        lines += ["", f"class {name}(metaclass=DummyObject):", f"    _backends = [{backend!r}]", "",
                  "    def __init__(self, *args, **kwargs):", f"        requires_backends(self, [{backend!r}])", ""]
    return "\n".join(lines)


HF5_INIT = """\
from typing import TYPE_CHECKING

from {up}utils import _LazyModule
from {up}utils.import_utils import define_import_structure

if TYPE_CHECKING:
{typing}
else:
    import sys

    _file = globals()["__file__"]
    sys.modules[__name__] = _LazyModule(__name__, _file, define_import_structure(_file), module_spec=__spec__)
"""


def attach_init(modules: list[Module], subpackage: list[Module] | None) -> str:
    attrs = {m.key: m.names + m.reexports for m in modules}
    return ("import lazy_loader as lazy\n\n__getattr__, __dir__, __all__ = lazy.attach(\n    __name__,\n"
            f"    submodules={['sub'] if subpackage else []!r},\n    submod_attrs={attrs!r},\n)\n")


def pep562_init(modules: list[Module], subpackage: list[Module] | None) -> str:
    # Entry by entry, as people write it: a name listed twice stays twice in the literal (the last wins).
    pairs = [(n, m.key) for m in modules for n in m.names + m.reexports]
    pairs += [(n, f"sub.{m.key}") for m in subpackage or () for n in m.names]
    literal = "".join(f"    {name!r}: {key!r},\n" for name, key in pairs)
    return ("import importlib\n\n"
            f"_NAME_TO_MODULE = {{\n{literal}}}\n\n\n"
            "def __getattr__(name):\n    if name in _NAME_TO_MODULE:\n"
            "        return getattr(importlib.import_module('.' + _NAME_TO_MODULE[name], __name__), name)\n"
            "    raise AttributeError(name)\n")


def write_spec(spec: Spec, root: Path, package: str) -> Path:
    base = root / package
    shutil.rmtree(root, ignore_errors=True)
    base.mkdir(parents=True)

    def write(relative: str, text: str) -> None:
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    if spec.style in ("hf4", "hf5"):
        vendored = FIXTURES / ("hf4_dict/hf4_dict" if spec.style == "hf4" else "hf5_structure/hf5_structure")
        shutil.copytree(vendored / "utils", base / "utils", ignore=shutil.ignore_patterns("dummy_*", "__pycache__"))
        utils = base / "utils" / "import_utils.py"
        utils.write_text(utils.read_text().replace('_PACKAGE_NAME = "hf5_structure"', f"_PACKAGE_NAME = {package!r}"))
        if spec.style == "hf4":
            (base / "utils" / "versions.py").unlink(missing_ok=True)

    levels = [(spec.modules, "", 0, spec.sub or None)]
    if spec.sub:
        levels.append((spec.sub, "sub/", 1, None))
    for modules, folder, depth, subpackage in levels:
        for module in modules:
            write(folder + module.key.replace(".", "/") + ".py", module_source(module, spec, depth))
        if spec.style == "hf4":
            write(folder + "__init__.py", hf4_init(modules, spec, depth, subpackage))
        elif spec.style == "hf5":
            typing = "\n".join(f"    from .{m.key} import *" for m in modules) or "    pass"
            write(folder + "__init__.py", HF5_INIT.format(up="." * (depth + 1), typing=typing))
        elif spec.style == "attach":
            write(folder + "__init__.py", attach_init(modules, subpackage))
        else:
            write(folder + "__init__.py", pep562_init(modules, subpackage))
    if spec.dummies:
        for backend in sorted({m.backend for m in spec.modules if m.backend}):
            names = [n for m in spec.modules if m.backend == backend for n in m.names]
            write(f"utils/dummy_{backend}_objects.py", dummy_source(backend, names))
    return base


# --------------------------------------------------------------------------------------------- the tests

RAN: dict[str, int] = {}
COMPARED: dict[str, int] = {}
"""Examples whose maps had at least one name: an example where every module sits behind a missing backend (and
no dummies) legitimately has an empty map on both sides, but a run made only of those would prove nothing."""


def run_runtime_at(directory: Path, package: str, installed: tuple[str, ...]) -> dict:
    """Import the generated package for real (a subprocess) with only ``installed`` backends present."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIXTURE_", "PYTHON"))}
    env.update({f"FIXTURE_HAS_{b.upper()}": "1" for b in installed})
    proc = subprocess.run([sys.executable, "-B", str(RUNTIME_RESOLVE), "--path", str(directory), package],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def check_parity(spec: Spec) -> None:
    package = f"fz_{spec.style}"
    with tempfile.TemporaryDirectory(prefix="importgraph-fuzz-") as tmp:
        directory = write_spec(spec, Path(tmp) / "site", package)
        runtime = run_runtime_at(directory.parent, package, spec.installed)
        for module, info in runtime["modules"].items():
            assert "import_error" not in info, f"generated package does not import: {module}: {info}"
        report = importgraph.analyze(str(directory), backends=list(spec.installed))
        names, map_problems = compare_maps(report, runtime)
        _, resolve_problems = compare_resolution(report, runtime, {})
        problems = map_problems + resolve_problems
        assert not problems, f"{spec}\n" + "\n".join(problems)
    RAN[spec.style] = RAN.get(spec.style, 0) + 1
    COMPARED[spec.style] = COMPARED.get(spec.style, 0) + (names > 0)


@pytest.mark.parametrize("style", ["hf4", "hf5", "attach", "pep562"])
def test_random_packages_match_the_runtime(style):
    if style == "attach":
        pytest.importorskip("lazy_loader")
    RAN[style] = COMPARED[style] = 0

    @FUZZ
    @given(specs(style))
    def run(spec):
        check_parity(spec)

    run()
    print(f"fuzz parity [{style}]: {RAN[style]} random packages imported and compared "
          f"({COMPARED[style]} with a non-empty map), 0 mismatched")
    assert RAN[style] >= min(EXAMPLES, 5)
    assert COMPARED[style] >= max(1, RAN[style] // 2)


# --------------------------------------------------------------------------------------------- defects

DEFECTS = ("missing-name", "missing-module", "duplicate-name")


@st.composite
def defective(draw, style: str) -> tuple[Spec, list[tuple[str, str]]]:
    """A valid package plus 1-3 planted defects; returns the spec and the (rule, symbol) each must give."""
    spec = draw(specs(style))
    spec.sub = []  # defects are planted in the top-level map only, where they are unambiguous
    spec.installed = ()
    for module in spec.modules:  # a re-export lists a name under two keys on purpose: not a planted defect
        module.reexports, module.reexport_from = [], ""
    expected: list[tuple[str, str]] = []
    kinds = draw(st.lists(st.sampled_from(DEFECTS), min_size=1, max_size=3, unique=True))
    extra = draw(st.lists(NAMES, min_size=3, max_size=3, unique=True).filter(
        lambda ns: not {n for m in spec.modules for n in m.names} & set(ns)))
    plain = [m for m in spec.modules if not m.backend and not m.reexports]
    for kind in kinds:
        if kind == "missing-name":
            target = draw(st.sampled_from([m for m in spec.modules if not getattr(m, "missing_file", False)]))
            target.names.append(extra[0])
            expected.append(("IG002", extra[0]))
            target.missing = [extra[0]]  # declared in the map, not defined in the module
        elif kind == "missing-module":
            spec.modules.append(Module("gone_module", [extra[1]]))
            spec.modules[-1].missing_file = True
            expected.append(("IG001", "gone_module"))
        elif kind == "duplicate-name" and len(plain) >= 2 and style != "pep562":
            a, b = plain[0], plain[1]
            b.names.append(a.names[0])
            b.duplicate = a.names[0]  # defined in both, declared under both keys
            expected.append(("IG003", a.names[0]))
    return spec, expected


def write_defective(spec: Spec, root: Path, package: str) -> Path:
    base = write_spec(spec, root, package)
    for module in spec.modules:
        path = base / (module.key.replace(".", "/") + ".py")
        if getattr(module, "missing_file", False):
            path.unlink()
            continue
        text = path.read_text()
        for name in getattr(module, "missing", ()):
            text = text.replace(f"class {name}:\n    pass\n", "")
        path.write_text(text)
    return base


@pytest.mark.parametrize("style", ["hf4", "attach", "pep562"])
def test_planted_defects_are_found_exactly(style):
    """hf5 is left out: its map is read from the modules' own ``__all__``, so a name that is declared but
    not defined, or a key without a file, cannot be planted the same way (IG002 for stale ``__all__``
    entries is covered by the hf5_structure fixture). PEP 562: no duplicate names are planted, because a
    name listed twice in a dict literal is not detected yet (the evaluated dict keeps only the last key)."""
    RAN[f"defects-{style}"] = 0

    @FUZZ
    @given(defective(style))
    def run(case):
        spec, expected = case
        with tempfile.TemporaryDirectory(prefix="importgraph-fuzz-") as tmp:
            directory = write_defective(spec, Path(tmp) / "site", f"fz_{style}")
            report = importgraph.analyze(str(directory), select={"IG001", "IG002", "IG003"})
        # IG001 names the key ("gone_module") for the map and the module ("fz_x.gone_module") for the
        # TYPE_CHECKING import of the same missing file: one defect, two lines to fix.
        found = sorted({(f.rule, f.symbol.removeprefix(f"fz_{style}.")) for f in report.findings})
        assert found == sorted(set(expected)), f"{spec}\nexpected {sorted(expected)}\nfound {found}"
        RAN[f"defects-{style}"] += 1

    run()
    print(f"fuzz defects [{style}]: {RAN[f'defects-{style}']} packages with planted defects, all found exactly")
    assert RAN[f"defects-{style}"] >= min(EXAMPLES, 5)
