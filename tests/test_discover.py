"""Finding the package on disk the way the import system would, without importing it.

Every layout is built for real in ``tmp_path`` and, where it matters, checked against what CPython's own
import system finds for the same ``sys.path`` (in a subprocess, so nothing is imported here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from importgraph.discover import TargetNotFound, find_target, walk_package


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def runtime_origin(search_path: list[Path], name: str) -> dict:
    """What the real import system finds for ``name`` on exactly this path (find_spec on a top-level name
    executes nothing)."""
    code = ("import importlib.util, json, sys; sys.path[:] = json.loads(sys.argv[1]); "
            "s = importlib.util.find_spec(sys.argv[2]); "
            "print(json.dumps({'origin': s.origin, 'locations': list(s.submodule_search_locations or [])}))")
    out = subprocess.run([sys.executable, "-I", "-c", code, json.dumps([str(p) for p in search_path]), name],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_a_folder_without_python_named_like_the_package_does_not_hide_it(tmp_path, monkeypatch):
    """``importgraph analyze regpkg`` run next to an unrelated ``regpkg/`` folder (notes, a report) analyses the
    installed package; a folder that holds the package's code (a checkout) still wins."""
    entry = tmp_path / "site"
    write(entry / "regpkg" / "__init__.py")
    (tmp_path / "work" / "regpkg").mkdir(parents=True)
    (tmp_path / "work" / "regpkg" / "report.html").write_text("<html></html>")
    monkeypatch.chdir(tmp_path / "work")
    target = find_target("regpkg", search_path=[str(entry)])
    assert target.roots == (str(entry / "regpkg"),) and target.kind == "package"
    with pytest.raises(TargetNotFound, match="no Python package here.*as an import name"):
        find_target("regpkg", search_path=[str(tmp_path / "nowhere")])
    write(tmp_path / "work" / "regpkg" / "__init__.py")
    assert find_target("regpkg", search_path=[str(entry)]).roots == (str(tmp_path / "work" / "regpkg"),)


def test_regular_package(tmp_path):
    entry = tmp_path / "site"
    write(entry / "regpkg" / "__init__.py")
    write(entry / "regpkg" / "sub" / "__init__.py")
    write(entry / "regpkg" / "sub" / "leaf.py")
    target = find_target("regpkg", search_path=[str(tmp_path / "nowhere"), str(entry)])
    assert target.kind == "package"
    assert target.roots == (str(entry / "regpkg"),)
    assert target.sys_path_entry == str(entry)
    assert runtime_origin([entry], "regpkg")["origin"] == str(entry / "regpkg" / "__init__.py")
    modules = [f.module for f in walk_package(target)]
    assert modules == ["regpkg", "regpkg.sub", "regpkg.sub.leaf"]


def test_namespace_package_with_two_portions(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    write(first / "nspkg" / "one.py", "X = 1\n")
    write(second / "nspkg" / "two.py", "Y = 2\n")
    target = find_target("nspkg", search_path=[str(first), str(second)])
    assert target.kind == "namespace"
    assert target.roots == (str(first / "nspkg"), str(second / "nspkg"))
    assert sorted(runtime_origin([first, second], "nspkg")["locations"]) == sorted(target.roots)
    modules = {f.module for f in walk_package(target)}
    assert {"nspkg.one", "nspkg.two"} <= modules


def test_installed_namespace_package_given_as_a_path(tmp_path):
    """``importgraph analyze site-packages/optimum``: a folder of several packages without ``__init__.py`` in an
    installation is the namespace package the import system finds there, not a choice to make."""
    site = tmp_path / "site"
    write(site / "nsdist-1.0.dist-info" / "METADATA", "Metadata-Version: 2.1\nName: nsdist\nVersion: 1.0\n")
    write(site / "nsdist" / "exporters" / "__init__.py")
    write(site / "nsdist" / "onnx" / "__init__.py")
    target = find_target(str(site / "nsdist"))
    assert (target.name, target.kind, target.version) == ("nsdist", "namespace", "1.0")
    assert target.roots == (str(site / "nsdist"),)
    assert runtime_origin([site], "nsdist")["locations"] == [str(site / "nsdist")]
    assert {f.module for f in walk_package(target)} == {"nsdist", "nsdist.exporters", "nsdist.onnx"}
    # the same layout outside an installation (no dist-info beside it) still asks which package is meant
    write(tmp_path / "loose" / "nsdist" / "exporters" / "__init__.py")
    write(tmp_path / "loose" / "nsdist" / "onnx" / "__init__.py")
    with pytest.raises(TargetNotFound, match="holds several packages"):
        find_target(str(tmp_path / "loose" / "nsdist"))


def test_regular_package_later_on_the_path_beats_namespace_portions(tmp_path):
    """The import system only falls back to a namespace package when no entry has a regular one."""
    portion, regular = tmp_path / "a", tmp_path / "b"
    write(portion / "mixed" / "loose.py")
    write(regular / "mixed" / "__init__.py")
    target = find_target("mixed", search_path=[str(portion), str(regular)])
    assert target.kind == "package" and target.roots == (str(regular / "mixed"),)
    assert runtime_origin([portion, regular], "mixed")["origin"] == str(regular / "mixed" / "__init__.py")


def test_single_module_distribution(tmp_path):
    write(tmp_path / "single_mod.py", "def f():\n    return 1\n")
    target = find_target("single_mod", search_path=[str(tmp_path)])
    assert target.kind == "module" and target.roots == (str(tmp_path / "single_mod.py"),)
    assert [(f.module, f.is_package) for f in walk_package(target)] == [("single_mod", False)]


def test_src_layout_given_as_a_path(tmp_path):
    checkout = tmp_path / "checkout"
    write(checkout / "pyproject.toml", "[project]\nname = 'srcpkg'\n")
    write(checkout / "src" / "srcpkg" / "__init__.py")
    write(checkout / "src" / "srcpkg" / "core.py")
    write(checkout / "tests" / "__init__.py")  # a tests package next to src/ is not the target
    target = find_target(str(checkout))
    assert target.name == "srcpkg" and target.kind == "package"
    assert target.roots == (str(checkout / "src" / "srcpkg"),)
    assert target.sys_path_entry == str(checkout / "src")
    # the package directory itself works too
    assert find_target(str(checkout / "src" / "srcpkg")).roots == target.roots


@pytest.mark.parametrize("files, package, entry, kind", [
    # aiohttp, joblib, starlette: examples/, doc/, benchmarks/ with an __init__.py beside the package
    ({"setup.cfg": "[metadata]\nname = web-kit\n", "web_kit/__init__.py": "", "examples/__init__.py": "",
      "docs/conf.py": "", "benchmarks/__init__.py": ""}, "web_kit", "", "package"),
    # mypy, plotly, black: several real packages, the one named like the project is the one analysed
    ({"pyproject.toml": "[project]\nname = 'tool'\n", "tool/__init__.py": "", "toolc/__init__.py": ""},
     "tool", "", "package"),
    # sqlalchemy, matplotlib: the package in lib/
    ({"setup.py": "from setuptools import setup\nsetup(name='SQLKit')\n", "lib/sqlkit/__init__.py": "",
      "examples/__init__.py": ""}, "sqlkit", "lib", "package"),
    # optimum: a namespace package named like the project (it was the checkout folder itself)
    ({"setup.py": "from setuptools import setup\nsetup(name='nsproj')\n", "nsproj/exporters/__init__.py": "",
      "nsproj/onnx/__init__.py": ""}, "nsproj", "", "namespace"),
    # six, typing_extensions: a single-module distribution
    ({"pyproject.toml": "[project]\nname = 'one-mod'\n", "src/one_mod.py": "X = 1\n", "noxfile.py": ""},
     "one_mod", "src", "module"),
    # tokenizers, safetensors (maturin): the Python source in the folder pyproject.toml names, beside a Rust crate
    # named like the package and Rust sources in src/
    ({"pyproject.toml": "[project]\nname = 'rusty'\n\n[tool.maturin]\npython-source = 'py_src'\n"
                        "module-name = 'rusty._native'\n",
      "py_src/rusty/__init__.py": "", "rusty/Cargo.toml": "", "src/lib.rs": "", "tests/__init__.py": ""},
     "rusty", "py_src", "package"),
    # setuptools' package-dir: the packages in python/
    ({"pyproject.toml": "[project]\nname = 'pydir'\n\n[tool.setuptools.package-dir]\n\"\" = 'python'\n",
      "python/pydir/__init__.py": "", "examples/__init__.py": ""}, "pydir", "python", "package"),
])
def test_checkout_layouts(tmp_path, files, package, entry, kind):
    """A checkout given as a folder: its package is the one the import system finds with the layout's folder on
    ``sys.path`` (checked), beside the examples and docs a repository keeps."""
    checkout = tmp_path / "checkout"
    for name, text in files.items():
        write(checkout / name, text)
    target = find_target(str(checkout))
    assert (target.name, target.kind, target.sys_path_entry) == (package, kind, str(checkout / entry).rstrip("/"))
    found = runtime_origin([checkout / entry], package)
    if kind == "module":
        assert found["origin"] == str(checkout / entry / f"{package}.py") == target.roots[0]
    else:
        assert found["locations"] == [str(checkout / entry / package)]


def test_a_checkouts_namespace_package_given_as_its_own_folder(tmp_path):
    """optimum's checkout holds ``optimum/`` without ``__init__.py``, with subpackages: given that folder itself,
    it is the namespace package the checkout declares (as the runtime finds it), not several packages to pick."""
    checkout = tmp_path / "nsproj-1.0"
    for name, text in {"setup.py": "from setuptools import setup\nsetup(name='nsproj')\n",
                       "nsproj/exporters/__init__.py": "", "nsproj/onnx/__init__.py": ""}.items():
        write(checkout / name, text)
    target = find_target(str(checkout / "nsproj"))
    assert (target.name, target.kind, target.roots) == ("nsproj", "namespace", (str(checkout / "nsproj"),))
    assert find_target(str(checkout)).roots == target.roots
    assert runtime_origin([checkout], "nsproj")["locations"] == [str(checkout / "nsproj")]
    write(tmp_path / "loose" / "alpha" / "__init__.py")  # no project above it: still a folder of packages
    write(tmp_path / "loose" / "beta" / "__init__.py")
    with pytest.raises(TargetNotFound, match="holds several packages"):
        find_target(str(tmp_path / "loose"))


def test_a_checkout_with_several_packages_none_named_like_the_project_asks(tmp_path):
    write(tmp_path / "pyproject.toml", "[project]\nname = 'other'\n")
    write(tmp_path / "alpha" / "__init__.py")
    write(tmp_path / "beta" / "__init__.py")
    with pytest.raises(TargetNotFound, match=r"holds several packages \(alpha, beta\), none named like the project "
                                             r"\(other\)"):
        find_target(str(tmp_path))
    write(tmp_path / "setup.py")  # a project without any package is not a namespace package of its folder
    (tmp_path / "alpha" / "__init__.py").unlink()
    (tmp_path / "beta" / "__init__.py").unlink()
    with pytest.raises(TargetNotFound, match="no Python package here"):
        find_target(str(tmp_path))


def test_dist_info_version_and_hard_requirements(tmp_path):
    write(tmp_path / "distpkg" / "__init__.py")
    write(tmp_path / "dist_pkg-2.3.4.dist-info" / "METADATA", """\
        Metadata-Version: 2.1
        Name: dist-pkg
        Version: 2.3.4
        Requires-Dist: Tokenizers>=0.20
        Requires-Dist: numpy (>=1.17) ; python_version >= "3.8"
        Requires-Dist: torch>=2.0 ; extra == "torch"
        Requires-Dist: sentencepiece ; extra == 'sentencepiece' and python_version < "4"
        Requires-Dist: huggingface-hub[cli]<1.0,>=0.30

        The long description: Requires-Dist: not-a-header
        """)
    write(tmp_path / "dist_pkg-2.3.4.dist-info" / "top_level.txt", "distpkg\n")
    target = find_target("distpkg", search_path=[str(tmp_path)])
    assert target.version == "2.3.4"
    assert target.distribution == "dist-pkg"
    # hard requirements only (no extra marker); names normalised like backends are
    assert target.requires == ("huggingface_hub", "numpy", "tokenizers")


def test_hard_requirements_of_installed_dependencies_count_too(tmp_path):
    """trl requires accelerate, which requires torch: wherever trl is installed, torch is. Extras of the
    dependencies do not count; a requirement cycle ends; a dependency whose metadata is absent adds nothing."""
    write(tmp_path / "trlish" / "__init__.py")
    write(tmp_path / "trlish-1.0.dist-info" / "METADATA", """\
        Name: trlish
        Version: 1.0
        Requires-Dist: accelerate>=1
        Requires-Dist: not-installed
        """)
    write(tmp_path / "accelerate-1.15.0.dist-info" / "METADATA", """\
        Name: accelerate
        Version: 1.15.0
        Requires-Dist: torch>=2
        Requires-Dist: deepspeed ; extra == "deepspeed"
        Requires-Dist: trlish
        """)
    target = find_target("trlish", search_path=[str(tmp_path)])
    assert target.requires == ("accelerate", "not_installed", "torch", "trlish")


def test_distribution_found_through_record_when_there_is_no_top_level_txt(tmp_path):
    """Wheels built by meson-python, flit or hatch carry no ``top_level.txt``: scikit-image installs ``skimage``,
    which only its ``RECORD`` says. Another distribution's RECORD (paths outside site-packages too) is no match."""
    write(tmp_path / "skimagish" / "__init__.py")
    write(tmp_path / "scikit_imagish-0.26.0.dist-info" / "METADATA", "Name: scikit-imagish\nVersion: 0.26.0\n")
    write(tmp_path / "scikit_imagish-0.26.0.dist-info" / "RECORD", """\
        skimagish/__init__.py,sha256=abc,120
        skimagish/graph/_mcp.cpython-311-x86_64-linux-gnu.so,sha256=def,9000
        scikit_imagish-0.26.0.dist-info/METADATA,,
        """)
    write(tmp_path / "other-1.0.dist-info" / "METADATA", "Name: other\nVersion: 1.0\n")
    write(tmp_path / "other-1.0.dist-info" / "RECORD", "../../bin/skimagish,,\nother.py,,\n")  # listed first
    write(tmp_path / "other.py")
    target = find_target("skimagish", search_path=[str(tmp_path)])
    assert (target.distribution, target.version) == ("scikit-imagish", "0.26.0")
    assert find_target("other", search_path=[str(tmp_path)]).version == "1.0"


def test_no_dist_info_means_no_version(tmp_path):
    write(tmp_path / "bare" / "__init__.py")
    target = find_target("bare", search_path=[str(tmp_path)])
    assert target.version is None and target.distribution is None and target.requires == ()


def test_other_interpreter_finds_transformers(transformers5, tmp_path):
    python, site_packages = transformers5
    target = find_target("transformers", python=str(python))
    assert target.kind == "package"
    assert target.version == "5.23.0"
    assert Path(target.sys_path_entry) == Path(site_packages)
    assert target.python == str(python)
    assert "tokenizers" in target.requires  # a hard requirement of 5.x


def test_other_interpreter_via_cli_not_found(transformers5):
    """The venv has no importgraph_nothing: exit 2, and its own sys.path is what was searched."""
    python, site_packages = transformers5
    proc = subprocess.run([sys.executable, "-m", "importgraph", "analyze", "tranformers", "--python", str(python)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"the sys.path of {python}" in proc.stderr
    assert str(site_packages) in proc.stderr
    assert "Did you mean: transformers?" in proc.stderr


def test_not_found_exit_code_paths_and_close_match(tmp_path):
    entry = tmp_path / ("long-directory-name-" * 6) / "site"  # long enough to be wrapped if anyone wraps it
    write(entry / "mypackage" / "__init__.py")
    proc = subprocess.run([sys.executable, "-m", "importgraph", "analyze", "mypackge"], capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(entry), "PATH": "/usr/bin:/bin"},
                          cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert "'mypackge' not found" in lines[0]
    assert f"  {entry}" in lines
    assert "Did you mean: mypackage?" in proc.stderr
    assert proc.stdout == ""


def test_not_found_raises_for_the_api(tmp_path):
    with pytest.raises(TargetNotFound, match="Searched"):
        find_target("absent_pkg", search_path=[str(tmp_path)])
    with pytest.raises(TargetNotFound, match="no such file"):
        find_target(str(tmp_path / "missing" / "dir"))


def test_a_dotted_name_is_refused_not_analysed_as_its_top_level_package(tmp_path):
    """``importgraph analyze numpy.linalg`` used to analyse all of numpy without a word, and ``numpy.nonexistent``
    too. A dotted TARGET is refused: whether the module exists is said, and the command to run instead."""
    pkg = tmp_path / "toppkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "leaf.py").write_text("")
    assert find_target("toppkg", search_path=[str(tmp_path)]).name == "toppkg"
    for inside in ("toppkg.sub", "toppkg.leaf"):
        with pytest.raises(TargetNotFound, match=rf"{inside} is a module inside toppkg; .*`importgraph analyze "
                                                 rf"toppkg` \(and `importgraph explain toppkg {inside[7:]}`"):
            find_target(inside, search_path=[str(tmp_path)])
    with pytest.raises(TargetNotFound, match="toppkg has no module toppkg.gone"):
        find_target("toppkg.gone", search_path=[str(tmp_path)])
    proc = subprocess.run([sys.executable, "-m", "importgraph", "analyze", "toppkg.sub", "--no-html"], cwd=tmp_path,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 2 and "toppkg.sub is a module inside toppkg" in proc.stderr and proc.stdout == ""
