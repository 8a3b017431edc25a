"""The result cache never changes a result, and reuses one only while nothing it was computed from changed.

Every test edits a real copy of a fixture package the way a maintainer would and compares the cached run
with a run without any cache (the reference). ``from_cache`` says whether the stored result was reused:
for edits that cannot change anything downstream (a comment appended to a modeling file) it must be,
for every other edit it must not be, and either way the JSON must equal the reference.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

import importgraph
from importgraph.line_moves import line_moves
from importgraph.model import ModuleFacts
from importgraph.render.json_report import to_json
from importgraph.scan.cache import CacheWarning
from tests.test_cache import FIXTURES, copy_fixture, make_big_package


def cached_run(package: Path, cache: Path, **options) -> tuple[str, bool]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # a healthy cache must never warn
        report = importgraph.analyze(str(package), cache_dir=cache, **options)
    return to_json(report), report.from_cache


def cached_and_fresh(package: Path, cache: Path, **options) -> tuple[importgraph.Report, importgraph.Report]:
    """A cached run and a run without cache after it; their JSON and their facts must be equal."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        cached = importgraph.analyze(str(package), cache_dir=cache, **options)
    fresh = importgraph.analyze(str(package), **options)
    assert to_json(cached) == to_json(fresh)
    assert dict(cached.modules) == fresh.modules  # a reused result holds the edited files' new facts
    # and its graph, renumbered when lines moved (the JSON has none of it)
    assert list(cached.graph.nodes(data=True)) == list(fresh.graph.nodes(data=True))
    assert list(cached.graph.edges(data=True)) == list(fresh.graph.edges(data=True))
    return cached, fresh


def reference(package: Path, **options) -> str:
    return to_json(importgraph.analyze(str(package), **options))


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def prepend(path: Path, text: str) -> None:
    path.write_text(text + path.read_text())


def replace(path: Path, old: str, new: str) -> None:
    content = path.read_text()
    assert old in content, f"{old!r} not in {path}"
    path.write_text(content.replace(old, new))


FOO = Path("models") / "foo"
Edit = Callable[[Path], None]
# (what, the edit, reused?, does the report change?)
EDITS: list[tuple[str, Edit, bool, bool]] = [
    ("nothing", lambda p: None, True, False),
    ("same bytes written again", lambda p: (p / FOO / "modeling_foo.py").write_bytes(
        (p / FOO / "modeling_foo.py").read_bytes()), True, False),
    ("comment appended to a modeling file", lambda p: append(p / FOO / "modeling_foo.py", "\n# tuned\n"),
     True, False),
    ("comment appended to a configuration file",
     lambda p: append(p / FOO / "configuration_foo.py", "# see the docs\n"), True, False),
    # A name no later stage looks up (importgraph.fact_reads): the stored result holds, with the new facts.
    ("code appended to a modeling file",
     lambda p: append(p / FOO / "modeling_foo.py", "\nDEFAULT_SIZE = 3\n"), True, False),
    ("helper function appended to a modeling file",
     lambda p: append(p / FOO / "modeling_foo.py", "\n\ndef _resize(x):\n    return x\n"), True, False),
    # A name the lazy map serves, looked up by the rules: its binding changed, so everything is recomputed.
    ("served class made an assignment (same lines)",
     lambda p: replace(p / FOO / "modeling_foo.py", "class FooModel(FooPreTrainedModel):\n    pass\n",
                       "FooModel = type('FooModel', (FooPreTrainedModel,), {})\n# (was a class statement)\n"),
     False, False),
    ("served class renamed (same lines)",
     lambda p: replace(p / FOO / "modeling_foo.py", "class FooModel(", "class FooModelV2("), False, True),
    # Lines moved, nothing else: the stored result renumbered (importgraph.line_moves), the lazy names' lines with it.
    ("comment inserted at the top of a configuration file (every line moves)",
     lambda p: prepend(p / FOO / "configuration_foo.py", "# header\n\n"), True, True),
    ("statement inserted before a served class (the lines after it move)",
     lambda p: replace(p / FOO / "configuration_foo.py", "class FooConfig", "_DEFAULTS = {}\n\n\nclass FooConfig"),
     True, True),
    ("lines removed from a configuration file", lambda p: replace(p / FOO / "configuration_foo.py", "\n\n\n@requires",
                                                                  "\n@requires"), True, True),
    # The structure rules read this file's content (a TorchvisionBackend subclass): their outcome is the same, and the
    # line readers' part of its reading is in its facts, moved.
    ("statement inserted in a file whose backends the structure rules read from its content",
     lambda p: replace(p / FOO / "image_processing_foo.py", "class FooImageProcessor", "_SIZE = 3\n\n\nclass "
                       "FooImageProcessor"), True, True),
    ("the content the structure rules read changed (lines kept)",
     lambda p: replace(p / FOO / "image_processing_foo.py", "(TorchvisionBackend):", "(object):  # was a backend"),
     False, True),
    # modeling_foo.py has IG008 findings, which the rule computes from its text: moving its lines recomputes.
    ("comment inserted at the top of a file whose text a rule reads",
     lambda p: prepend(p / FOO / "modeling_foo.py", "# header\n"), False, True),
    ("two statements swapped (not a line move)",
     lambda p: replace(p / FOO / "configuration_foo.py",
                       "from ...configuration_utils import PretrainedConfig\nfrom ...utils import requires\n",
                       "from ...utils import requires\nfrom ...configuration_utils import PretrainedConfig\n"),
     False, False),
    # Python ignores this comment, transformers' line reader serves it as a name: same facts, other map.
    ("comment inside __all__ edited", lambda p: replace(p / FOO / "modeling_foo.py", '# "FooOldModel",',
                                                         '# "FooOlderModel",'), False, True),
    ("name dropped from __all__", lambda p: replace(p / FOO / "modeling_foo.py", '    "FooPreTrainedModel",\n', ""),
     False, True),
    ("@requires backends changed", lambda p: replace(p / FOO / "modeling_foo.py", 'backends=("vision",)',
                                                     'backends=("vision", "timm")'), False, True),
    ("structure rules edited", lambda p: replace(p / "utils" / "import_utils.py",
                                                  '"modeling_" in name: ("torch",)',
                                                  '"modeling_" in name: ("torch", "accelerate")'), False, True),
    ("comment appended to an init (read whole)", lambda p: append(p / FOO / "__init__.py", "# noqa\n"),
     False, False),
    ("module added", lambda p: (p / FOO / "modeling_foo_extra.py").write_text(
        'class FooExtra:\n    pass\n\n\n__all__ = ["FooExtra"]\n'), False, True),
    ("module deleted", lambda p: (p / FOO / "tokenization_foo_fast.py").unlink(), False, True),
    ("non-Python file added to a structure folder", lambda p: (p / FOO / "README.md").write_text("notes\n"),
     False, False),
]


@pytest.mark.parametrize(("what", "edit", "reused", "changes"), EDITS, ids=[e[0] for e in EDITS])
def test_edit_gives_the_uncached_report(what, edit, reused, changes, tmp_path):
    package = copy_fixture("hf5_structure", tmp_path)
    cache = tmp_path / "cache"
    before, from_cache = cached_run(package, cache)
    assert not from_cache and before == reference(package)
    edit(package)
    cached, _ = cached_and_fresh(package, cache)
    after, from_cache = to_json(cached), cached.from_cache
    assert from_cache is reused
    assert (after != before) is changes
    again, from_cache = cached_run(package, cache)  # whatever happened, the entry now matches the files
    assert from_cache and again == after


@pytest.mark.parametrize("name", FIXTURES)
def test_every_lazy_style_reuses_its_result_after_a_comment(name, tmp_path):
    package = copy_fixture(name, tmp_path)
    cache = tmp_path / "cache"
    cached_run(package, cache)
    plain = sorted(p for p in package.rglob("*.py") if p.name != "__init__.py")[0]
    append(plain, "\n# reviewed\n")
    after, from_cache = cached_run(package, cache)
    assert from_cache and after == reference(package)


def test_options_have_their_own_entries(tmp_path):
    package = copy_fixture("hf5_structure", tmp_path)
    cache = tmp_path / "cache"
    runs = [{}, {"select": {"IG002", "IG008"}}, {"backends": ["torch"]}, {"without": ["vision"]}]
    for options in runs:
        assert cached_run(package, cache, **options) == (reference(package, **options), False)
    for options in runs:
        assert cached_run(package, cache, **options) == (reference(package, **options), True)
    assert len(list(cache.glob("result-*.pack"))) == len(runs)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this Python parses PEP 695")
def test_the_projects_metadata_is_an_input(tmp_path):
    """A checkout's project file is read before the scan: a change to the hard requirements or to the Python
    versions it declares (IG009 tells newer syntax from a broken file by them) is a new result, not a reuse."""
    package = copy_fixture("rule_ig007_pos_1", tmp_path)
    (package / "newer.py").write_text("type Pair = tuple[int, int]\n")
    project = package.parent / "pyproject.toml"
    cache = tmp_path / "cache"
    for requires_python, dependencies in ((">=3.10", "[]"), (">=3.12", "[]"), (">=3.12", '["fakebackend"]')):
        project.write_text(f'[project]\nname = "p"\nrequires-python = "{requires_python}"\n'
                           f"dependencies = {dependencies}\n")
        assert cached_run(package, cache) == (reference(package), False)
        assert cached_run(package, cache) == (reference(package), True)


def test_a_reused_result_is_checked_without_networkx(tmp_path):
    """``importgraph check`` on an unchanged package reads findings only: networkx (~0.3 s to import) is imported
    when a graph is built or first read, not to reuse a result."""
    package = make_big_package(tmp_path)
    importgraph.analyze(str(package), cache_dir=tmp_path / "cache")
    script = (
        "import sys, importgraph\n"
        f"report = importgraph.analyze({str(package)!r}, cache_dir={str(tmp_path / 'cache')!r})\n"
        "print(report.from_cache, 'networkx' in sys.modules, len(report.findings) > 0)\n"
        "report.graph\n"
        "print('networkx' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False", "True", "True"]


def test_reused_report_has_the_same_facts_and_graph(tmp_path):
    package = make_big_package(tmp_path)
    cache = tmp_path / "cache"
    fresh = importgraph.analyze(str(package))
    importgraph.analyze(str(package), cache_dir=cache)
    reused = importgraph.analyze(str(package), cache_dir=cache)
    assert reused.from_cache
    assert dict(reused.modules) == fresh.modules
    assert list(reused.graph.nodes(data=True)) == list(fresh.graph.nodes(data=True))
    assert list(reused.graph.edges(data=True)) == list(fresh.graph.edges(data=True))
    assert all(reused.graph.pred[v][u] is data for u, v, data in reused.graph.edges(data=True))
    assert reused.graph.graph == fresh.graph.graph and reused.graph is reused.graph  # decoded once, on first read
    assert reused.lazy_modules == fresh.lazy_modules and reused.findings == fresh.findings


def test_usage_runs_are_not_cached(tmp_path):
    package = copy_fixture("hf5_structure", tmp_path)
    user = tmp_path / "user.py"
    user.write_text("from hf5_structure import FooModel\n")
    cache = tmp_path / "cache"
    for _ in range(2):
        report = importgraph.analyze(str(package), cache_dir=cache, usage=(str(user),))
        assert not report.from_cache
    assert not list(cache.glob("result-*.pack"))


def test_a_result_that_cannot_be_stored_is_a_warning_not_a_crash(tmp_path, monkeypatch):
    """The store writes plain data only; should a later stage ever put something else in the graph (as a Tagged
    string in a lazy map once did), the run still ends with its report, and says the result was not cached."""
    import importgraph.analysis as analysis

    package = copy_fixture("hf5_structure", tmp_path)
    real_build = analysis.build_graph

    def build_graph(*args):
        graph = real_build(*args)
        graph.graph["unstorable"] = object()
        return graph

    monkeypatch.setattr(analysis, "build_graph", build_graph)
    with pytest.warns(CacheWarning, match="not cached"):
        report = importgraph.analyze(str(package), cache_dir=tmp_path / "cache")
    monkeypatch.undo()
    assert to_json(report) == reference(package)
    assert not list((tmp_path / "cache").glob("result-*.pack"))


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped"])
def test_corrupt_entry_is_ignored_with_a_warning(damage, tmp_path):
    package = copy_fixture("hf4_dict", tmp_path)
    cache = tmp_path / "cache"
    cached_run(package, cache)
    (entry,) = cache.glob("result-*.pack")
    data = entry.read_bytes()
    damaged = {"garbage": b"not an entry", "truncated": data[: len(data) // 2],
               "flipped": data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:]}[damage]
    entry.write_bytes(damaged)
    with pytest.warns(CacheWarning, match="corrupt"):
        report = importgraph.analyze(str(package), cache_dir=cache)
    assert not report.from_cache and to_json(report) == reference(package)
    assert cached_run(package, cache) == (reference(package), True)  # the run wrote a good entry


def test_moved_package_does_not_reuse_another_place(tmp_path):
    package = copy_fixture("hf5_structure", tmp_path)
    cache = tmp_path / "cache"
    cached_run(package, cache)
    moved = tmp_path / "elsewhere" / "hf5_structure"
    shutil.copytree(package, moved)
    assert cached_run(moved, cache) == (reference(moved), False)


def test_real_transformers_edits(transformers5, tmp_path):
    """transformers 5.23.0 from the pinned wheel: a comment appended to a modeling file reuses the result, and so
    does a statement binding a name that no stage looks up (the result holds the new facts), and so does one inserted
    mid-file (the result renumbered); a comment inside its ``__all__`` (invisible to Python, read as a name by
    transformers' line reader) does not, and every cached run equals a run without cache."""
    package = tmp_path / "site" / "transformers"
    shutil.copytree(Path(transformers5[1]) / "transformers", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    cached_run(package, cache)
    modeling = package / "models" / "bert" / "modeling_bert.py"
    append(modeling, "\n# tuned for the next release\n")
    reused, from_cache = cached_run(package, cache)
    assert from_cache and reused == reference(package)
    append(modeling, "\n_ATTENTION_CACHE = {}\n")  # the benchmark's incremental-code edit: a name nobody looks up
    cached, fresh = cached_and_fresh(package, cache)
    before = fresh.modules
    assert cached.from_cache and "_ATTENTION_CACHE" in cached.modules["transformers.models.bert.modeling_bert"].bindings
    # like the benchmark's incremental-insert edit: a statement inserted before a class, every later line moves (the
    # served classes', __all__'s): the stored result is renumbered
    lines = modeling.read_text().splitlines(keepends=True)
    at = max(i for i in range(1, len(lines))  # the last class not decorated (an edit must not split a decorator off)
             if lines[i].startswith("class ") and not lines[i - 1].strip())
    modeling.write_text("".join(lines[:at] + ["_BENCH_EDIT = 1\n\n\n"] + lines[at:]))
    cached, fresh = cached_and_fresh(package, cache)
    assert cached.from_cache and lines_moved(before, fresh.modules)
    served = cached.lazy_modules["transformers.models.bert"].names["BertModel"]
    assert served.line == fresh.lazy_modules["transformers.models.bert"].names["BertModel"].line
    replace(modeling, '    "BertModel",\n', '    "BertModel",\n    # "BertLegacyModel",\n')
    after, from_cache = cached_run(package, cache)
    assert not from_cache
    assert after != reused and "BertLegacyModel" in after
    assert after == reference(package)


# Filesystem calls the stages after the scan may not make directly: a read that bypasses
# importgraph.scan.read.read_source / importgraph.inputs is not recorded, and a cached result could then
# outlive a change to what it read.
UNRECORDED_CALLS = {"open", "listdir", "scandir", "walk", "isfile", "isdir", "exists", "lexists", "stat",
                    "read_bytes", "read_text", "glob", "rglob", "iterdir", "getsize", "getmtime", "readlink"}
# The only exception: --usage files are the user's own code, and runs with them are never result-cached.
USER_FILE_READERS = {("usage.py", "usage_files"), ("usage.py", "_attribute_uses")}


def test_later_stages_read_files_only_through_recorded_helpers():
    import ast as python_ast

    class Calls(python_ast.NodeVisitor):
        def __init__(self, path: Path):
            self.path, self.function, self.found = path, "", []

        def visit_FunctionDef(self, node) -> None:
            outer, self.function = self.function, node.name
            self.generic_visit(node)
            self.function = outer

        visit_AsyncFunctionDef = visit_FunctionDef

        def visit_Call(self, node) -> None:
            func = node.func
            called = func.attr if isinstance(func, python_ast.Attribute) else getattr(func, "id", "")
            owner = func.value.id if isinstance(func, python_ast.Attribute) and isinstance(
                func.value, python_ast.Name) else ""
            if (called in UNRECORDED_CALLS and owner != "ast"
                    and (self.path.name, self.function) not in USER_FILE_READERS):
                self.found.append(f"{self.path.parent.name}/{self.path.name}:{node.lineno} {called}()")
            self.generic_visit(node)

    root = Path(importgraph.__file__).parent
    stage_files = [*sorted((root / "lazy").glob("*.py")), *sorted((root / "rules").glob("*.py")),
                   root / "graph.py", root / "resolve.py", root / "backend_names.py"]
    offending = []
    for path in stage_files:
        calls = Calls(path)
        calls.visit(python_ast.parse(path.read_text(), filename=str(path)))
        offending += calls.found
    assert not offending, offending


# --------------------------------------------------------------------------------------------- fuzzing
EDIT_KINDS = ("append comment", "append statement", "append definition", "rename a definition", "prepend comment",
              "comment out a line", "duplicate a line", "insert blank lines", "insert statement", "delete a blank line",
              "delete file", "add module", "touch")


def apply_edit(package: Path, kind: str, pick: int) -> None:
    files = sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)
    path = files[pick % len(files)]
    lines = path.read_text().splitlines(keepends=True) or ["\n"]
    line = pick % len(lines)
    if kind == "append comment":
        path.write_text("".join(lines) + "\n# edited\n")
    elif kind == "append statement":
        path.write_text("".join(lines) + "\n_EDITED = 1\n")
    elif kind == "append definition":  # a public name: served by nothing, or by a star import / a map's __all__
        path.write_text("".join(lines) + f"\n\nclass Edited{pick}:\n    pass\n")
    elif kind == "rename a definition":  # lines stay put; the name may be one a lazy map serves
        defined = [i for i, text in enumerate(lines) if re.match(r"(class|def) \w+|\w+ =", text)]
        if defined:
            at = defined[pick % len(defined)]
            lines[at] = re.sub(r"^(class |def )?(\w+)", r"\1\2_renamed", lines[at], count=1)
        path.write_text("".join(lines))
    elif kind == "prepend comment":
        path.write_text("# edited\n" + "".join(lines))
    elif kind == "comment out a line":  # may break the syntax: the cached run must still agree
        path.write_text("".join(lines[:line] + ["# " + lines[line]] + lines[line + 1:]))
    elif kind == "duplicate a line":
        path.write_text("".join(lines[:line + 1] + lines[line:]))
    elif kind == "insert blank lines":  # anywhere, inside a string or a bracket too: lines move, or the text changes
        path.write_text("".join(lines[:line] + ["\n\n"] + lines[line:]))
    elif kind == "insert statement":  # before a top-level definition: the lines after it move
        move_lines(path, lines, pick)
    elif kind == "delete a blank line":
        blank = [i for i, text in enumerate(lines) if not text.strip()]
        if blank:
            del lines[blank[pick % len(blank)]]
        path.write_text("".join(lines))
    elif kind == "delete file":  # any file but the top __init__.py (without it there is no package to analyse)
        deletable = [p for p in files if p != package / "__init__.py"]
        deletable[pick % len(deletable)].unlink()
    elif kind == "add module":
        (path.parent / f"extra_{pick}.py").write_text(f'class Extra{pick}:\n    pass\n\n\n__all__ = ["Extra{pick}"]\n')
    else:
        path.write_bytes(path.read_bytes())


BYTES_KEPT = {"encoding": "utf-8", "errors": "surrogateescape"}
"""Text round trips that keep every byte (a fixture file may be Latin-1 on purpose)."""


def move_lines(path: Path, lines: list[str], pick: int) -> None:
    """A statement binding a new name inserted before a top-level ``class``/``def``, or else between two top-level
    statements after the first line (else above it): every line after it moves. (Moving line 1 is never renumbered:
    ``importgraph.line_moves``.)"""
    tops = [i for i, text in enumerate(lines) if text.startswith(("class ", "def ", "@"))
            and not (i and lines[i - 1].startswith("@"))]
    if not tops:
        tops = [i for i in range(1, len(lines)) if lines[i][:1].isalpha() and lines[i - 1][:1].isalpha()
                and not lines[i - 1].rstrip().endswith(("(", "[", "{", ",", "\\", ":"))]
    at = tops[pick % len(tops)] if tops else 0
    path.write_text("".join(lines[:at] + [f"_INSERTED_{pick} = 1\n\n\n"] + lines[at:]), **BYTES_KEPT)


def lines_moved(before: Mapping[str, ModuleFacts], after: Mapping[str, ModuleFacts]) -> bool:
    """Some module's facts are the same with lines moved (what the result cache renumbers)."""
    for module, facts in after.items():
        if module in before and before[module] != facts:
            moves = line_moves(before[module], facts)
            if moves is not None and any(old != new for old, new in moves.items()):
                return True
    return False


OUTCOMES: dict[str, dict[str, int]] = {}


@pytest.mark.parametrize("style", ["hf4", "hf5", "attach", "pep562"])
def test_random_edits_never_change_a_result(style, tmp_path):
    """Random packages of every lazy style (the differential fuzzer's), then random edits: after each,
    the cached run equals a run without cache, facts included."""
    from hypothesis import given
    from hypothesis import strategies as st

    from tests.test_fuzz_parity import FUZZ, specs, write_spec

    if style == "attach":
        pytest.importorskip("lazy_loader")
    outcomes = OUTCOMES[style] = {"recomputed": 0, "reused": 0, "reused with new facts": 0, "renumbered": 0}
    edits = st.lists(st.tuples(st.sampled_from(EDIT_KINDS), st.integers(0, 10_000)), min_size=1, max_size=3)

    @FUZZ
    @given(specs(style), edits)
    def run(spec, drawn):
        work = Path(tempfile.mkdtemp(dir=tmp_path))
        package = write_spec(spec, work / "site", f"fz_{style}")
        cache = work / "cache"
        options = {"backends": list(spec.installed)}
        before = dict(importgraph.analyze(str(package), cache_dir=cache, **options).modules)
        for kind, pick in drawn:
            apply_edit(package, kind, pick)
            cached, fresh = cached_and_fresh(package, cache, **options)
            if not cached.from_cache:
                outcomes["recomputed"] += 1
            elif fresh.modules == before:
                outcomes["reused"] += 1
            else:
                outcomes["renumbered" if lines_moved(before, fresh.modules) else "reused with new facts"] += 1
            before = fresh.modules
        shutil.rmtree(work)

    run()
    print(f"result cache fuzz [{style}]: {sum(outcomes.values())} random edits: "
          + ", ".join(f"{count} {what}" for what, count in outcomes.items()) + "; all equal to an uncached run")
    # both paths were exercised (reuse with new facts is checked edit by edit in test_edit_gives_the_uncached_report;
    # here it is counted: 303 of 2,226 edits with IMPORTGRAPH_FUZZ_EXAMPLES=300)
    assert outcomes["recomputed"] and outcomes["reused"] + outcomes["reused with new facts"]


def test_stages_are_announced_in_order(tmp_path):
    """``stage(name)`` names what runs (the CLI's progress bar shows it once the scan is done)."""
    package = copy_fixture("hf5_structure", tmp_path)
    seen: list[str] = []
    importgraph.analyze(str(package), cache_dir=tmp_path / "cache", stage=seen.append)
    assert seen == ["checking the cache", "scanning", "lazy maps", "graph and rules", "writing the cache"]
    seen.clear()
    importgraph.analyze(str(package), cache_dir=tmp_path / "cache", stage=seen.append)
    assert seen == ["checking the cache"]  # reused: nothing else runs
    seen.clear()
    importgraph.analyze(str(package), stage=seen.append)
    assert seen == ["scanning", "lazy maps", "graph and rules"]


ALL_FIXTURES = sorted(p.name for p in (Path(__file__).parent / "fixtures" / "packages").iterdir()
                      if (p / p.name).is_dir())


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_package_is_stored_and_reused(name, tmp_path):
    """Whatever a lazy map holds can be stored: every fixture package (each lazy form importgraph reads, and the
    defects its rules find), analysed with every rule into a cache, is reused unchanged on the next run. (litellm's
    ``__getattr__`` once put a Tagged string, the evaluator's str subclass, into the graph, which marshal refuses.)"""
    from importgraph.rules import all_rules

    package = tmp_path / name
    shutil.copytree(Path(__file__).parent / "fixtures" / "packages" / name / name, package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    select = {rule.code for rule in all_rules()}
    first, from_cache = cached_run(package, tmp_path / "cache", select=select)
    assert not from_cache
    again, from_cache = cached_run(package, tmp_path / "cache", select=select)
    assert from_cache and again == first


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_package_gives_the_uncached_result_when_lines_move(name, tmp_path):
    """Every fixture package, every rule selected (so every finding whose message names lines): a statement inserted
    before a definition of every file but the inits, then blank lines in the middle of each. The stored result is
    renumbered when the files' facts only moved (importgraph.line_moves) and computed again otherwise; either way
    the cached run equals a run without cache: JSON, facts and graph."""
    from importgraph.rules import all_rules

    package = tmp_path / name
    shutil.copytree(Path(__file__).parent / "fixtures" / "packages" / name / name, package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    select = {rule.code for rule in all_rules()}
    before = importgraph.analyze(str(package), cache_dir=tmp_path / "cache", select=select)
    files = sorted(p for p in package.rglob("*.py") if p.name != "__init__.py" and "__pycache__" not in p.parts)
    outcomes = []
    for edit in ("insert statement", "insert blank lines in the middle"):
        for pick, path in enumerate(files):
            lines = path.read_text(**BYTES_KEPT).splitlines(keepends=True)
            if edit == "insert statement":
                move_lines(path, lines, pick)
            else:
                path.write_text("".join(lines[:len(lines) // 2] + ["\n\n"] + lines[len(lines) // 2:]), **BYTES_KEPT)
        cached, fresh = cached_and_fresh(package, tmp_path / "cache", select=select)
        outcomes.append("recomputed" if not cached.from_cache else
                        "renumbered" if lines_moved(before.modules, fresh.modules) else "reused")
        before = fresh
    print(f"{name}: {', '.join(outcomes)}")


def test_a_reused_result_says_why_it_holds(tmp_path):
    """The text output says why a reused result holds (``Report.reuse``): nothing changed, a changed file that every
    stage reads alike, or lines moved and renumbered."""
    package = copy_fixture("hf5_structure", tmp_path)
    cache = tmp_path / "cache"
    assert importgraph.analyze(str(package), cache_dir=cache).reuse is None  # computed
    assert importgraph.analyze(str(package), cache_dir=cache).reuse == "no input changed"
    append(package / FOO / "modeling_foo.py", "\n# tuned\n")
    assert importgraph.analyze(str(package), cache_dir=cache).reuse == "1 file changed, read alike by every stage"
    prepend(package / FOO / "configuration_foo.py", "# header\n\n")
    append(package / FOO / "modeling_foo.py", "\n# tuned again\n")
    report = importgraph.analyze(str(package), cache_dir=cache)
    assert report.reuse == "2 files changed, lines moved in 1: renumbered"
    declared = report.lazy_modules["hf5_structure.models.foo"].names["FooConfig"]  # from the file's __all__
    text = (package / FOO / "configuration_foo.py").read_text().splitlines()
    assert text[declared.line - 1].startswith("__all__ = [") and declared.line == 19  # two lines down


def test_a_graph_that_cannot_be_renumbered_is_built_again(tmp_path):
    """The lines a stored graph holds are checked when its moves are recorded, so renumbering it when it is decoded
    cannot fail; if it ever did, the report builds the graph again from its facts and lazy maps, with a warning."""
    from importgraph.result_cache import EncodedGraph, _encode_graph

    package = copy_fixture("hf5_structure", tmp_path)
    fresh = importgraph.analyze(str(package))
    modeling = fresh.modules["hf5_structure.models.foo.modeling_foo"]
    assert modeling.imports  # its import statements are in the graph, on lines the empty map below does not know
    report = importgraph.analyze(str(package), cache_dir=tmp_path / "cache")
    report.graph = EncodedGraph(_encode_graph(fresh.graph), {modeling.path: {}})
    with pytest.warns(CacheWarning, match="could not be renumbered"):
        graph = report.graph
    assert list(graph.nodes(data=True)) == list(fresh.graph.nodes(data=True))
    assert list(graph.edges(data=True)) == list(fresh.graph.edges(data=True))
