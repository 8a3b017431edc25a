"""Hard requirements of a checkout, read from its project files (``importgraph/distribution.py``).

The fixture ``rule_ig007_pos_1`` declares ``Plain`` without a backend while ``plain.py`` imports ``fakebackend``
at module level: IG007, unless ``fakebackend`` is a hard requirement of the project (then it is installed
wherever the package is). Each test lays the package out as a checkout (``src/`` and one kind of project file)
and checks that the requirement is read from that file, and that IG007 then stays silent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import textwrap
import venv
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

import importgraph
from importgraph.cli import app
from importgraph.discover import find_target
from importgraph.distribution import ProjectFileWarning, canonical, checkout_metadata, requirement_names
from importgraph.render.json_report import to_json
from tests.conftest import FIXTURES
from tests.runtime.venvs import DIFFUSERS, cache_root, ensure_venv

PACKAGE = "rule_ig007_pos_1"
# Requirement names are made up (ig7-...) but for fakebackend: the requirements of those installed where the tests
# run count too, and must not depend on what that is.

PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "ig7-checkout"
version = "1.2"
dependencies = ["fakebackend>=1", "docs-only; extra == 'docs'", "ig7-backport; python_version < '3.11'"]
"""
PYPROJECT_DYNAMIC = """\
[project]
name = "ig7-checkout"
dynamic = ["version", "dependencies"]

[tool.setuptools.dynamic]
dependencies = {file = ["requirements.txt"]}
"""
SETUP_CFG = """\
[metadata]
name = ig7-checkout
version = attr: rule_ig007_pos_1.__version__

[options]
install_requires =
    fakebackend>=1
    docs-only; extra == "docs"
    ig7-winonly; platform_system == "Windows"
"""
# The shape of transformers' and diffusers' setup.py: a table of requirement strings looked up by name, and
# setup() under the main guard.
SETUP_PY_HF = """\
import re
from setuptools import setup

_deps = ["fakebackend>=1.0", "torch>=2"]
deps = {b: a for a, b in (re.findall(r"^(([^!=<>~ ]+)(?:[!=<>~ ].*)?$)", x)[0] for x in _deps)}
install_requires = [deps["fakebackend"]]
extras = {"torch": [deps["torch"]]}

if __name__ == "__main__":
    setup(name="ig7-checkout", version="1.2", install_requires=list(install_requires), extras_require=extras)
"""
# numba's setup(**metadata) and formatted versions (numba, jax): the name is known before the first unknown part,
# unless that part could still extend it (torch{suffix}).
SETUP_PY_FORMATTED = """\
from setuptools import setup
import versions
low = versions.low
install_requires = ["fakebackend >={},<{}".format(low, 2), f"ig7-numeric >={low}", f"torch{low}", "%s>=1" % low]
metadata = dict(name="ig7-checkout", install_requires=install_requires)
setup(**metadata)
"""
PYPROJECT_POETRY = """\
[tool.poetry]
name = "ig7-checkout"
version = "1.2"

[tool.poetry.dependencies]
python = "^3.9"
fakebackend = ">=1"
docs-only = {version = "*", optional = true}
ig7-backport = {version = "*", python = "<3.11"}
"""
PYPROJECT_HATCH_REQUIREMENTS = """\
[project]
name = "ig7-checkout"
dynamic = ["dependencies"]

[tool.hatch.metadata.hooks.requirements_txt]
files = ["requirements/base.txt"]
"""
SETUP_PY_PLAIN = """\
import setuptools

REQUIRES = ["ig7-numeric"]
REQUIRES.append("fakebackend>=1")
TABLE = {"core": ["ig7-http"]}
setuptools.setup(name="ig7-checkout", install_requires=REQUIRES + TABLE["core"])
"""


def checkout(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / PACKAGE / PACKAGE, repo / "src" / PACKAGE)
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    return repo


def ig007(target: str, **options) -> tuple[list, importgraph.Report]:
    report = importgraph.analyze(target, select={"IG007"}, **options)
    return report.findings, report


def test_without_project_files_the_import_is_reported(tmp_path):
    found, report = ig007(str(checkout(tmp_path, {})))
    assert [f.symbol for f in found] == ["Plain"]
    assert report.target.requirements_from is None and report.target.requires == ()


@pytest.mark.parametrize("files,source,requires,unread,version", [
    ({"pyproject.toml": PYPROJECT}, "pyproject.toml", ("fakebackend", "ig7_backport"), ("fakebackend",), "1.2"),
    ({"pyproject.toml": PYPROJECT_DYNAMIC, "requirements.txt": "# pinned\nfakebackend==1.0  # why\n-r dev.txt\n"
      "ig7-backport; python_version < '3.11'\n"},
     "pyproject.toml", ("fakebackend", "ig7_backport"), ("fakebackend",), None),
    ({"pyproject.toml": PYPROJECT_POETRY}, "pyproject.toml", ("fakebackend", "ig7_backport"), ("fakebackend",), "1.2"),
    ({"pyproject.toml": PYPROJECT_HATCH_REQUIREMENTS, "requirements/base.txt": "fakebackend>=1\n"},
     "pyproject.toml", ("fakebackend",), ("fakebackend",), None),
    ({"setup.cfg": SETUP_CFG}, "setup.cfg", ("fakebackend", "ig7_winonly"), ("fakebackend",), None),
    ({"setup.py": SETUP_PY_FORMATTED}, "setup.py", ("fakebackend", "ig7_numeric"), ("fakebackend", "ig7_numeric"),
     None),
    ({"setup.py": SETUP_PY_HF}, "setup.py", ("fakebackend",), ("fakebackend",), "1.2"),
    ({"setup.py": SETUP_PY_PLAIN}, "setup.py", ("fakebackend", "ig7_http", "ig7_numeric"),
     ("fakebackend", "ig7_http", "ig7_numeric"), None),
    ({"setup.py": "setup(", "PKG-INFO": "Metadata-Version: 2.1\nName: ig7-checkout\nVersion: 1.2\n"
      "Requires-Dist: fakebackend>=1\nRequires-Dist: docs-only; extra == 'docs'\n"},
     "PKG-INFO", ("fakebackend",), ("fakebackend",), "1.2"),
    ({"setup.py": "", "src/ig7_checkout.egg-info/requires.txt": "fakebackend>=1\nig7-http\n\n"
      "[:python_version < '4']\nmarked\n\n[docs]\ndocs-only\n",
      "src/ig7_checkout.egg-info/top_level.txt": f"{PACKAGE}\n"},
     "ig7_checkout.egg-info", ("fakebackend", "ig7_http", "marked"), ("fakebackend", "ig7_http"), None),
])
def test_hard_requirements_are_read_from_the_checkout(tmp_path, files, source, requires, unread, version):
    """Requirements under a marker (``ig7-backport; python_version < '3.11'``) count as required, but may be absent
    where the analysis runs, as their marker allows: only the unconditional ones with no metadata here are named
    unread (``fakebackend`` is importable here, but not installed as a distribution)."""
    repo = checkout(tmp_path, files)
    for target in (repo, repo / "src" / PACKAGE):  # the checkout, or its package folder
        found, report = ig007(str(target))
        assert report.target.requires == requires
        assert report.target.requirements_unread == unread
        assert Path(report.target.requirements_from).name == source
        assert report.target.version == version
        assert found == [], "fakebackend is installed wherever the package is"


def test_hard_requirements_of_a_checkout_with_a_declared_python_source(tmp_path):
    """maturin's ``python-source`` (tokenizers, safetensors: ``py_src/``): the project files sit one folder above
    the package's ``sys.path`` entry, and are found from the checkout and from the package folder alike."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / PACKAGE / PACKAGE, repo / "py_src" / PACKAGE)
    (repo / "pyproject.toml").write_text(PYPROJECT + '\n[tool.maturin]\npython-source = "py_src"\n')
    (repo / "src").mkdir()
    (repo / "src" / "lib.rs").write_text("")  # the Rust side's sources, no Python package
    for target in (repo, repo / "py_src" / PACKAGE):
        found, report = ig007(str(target))
        assert report.target.roots == (str(repo / "py_src" / PACKAGE),)
        assert report.target.requires == ("fakebackend", "ig7_backport")
        assert report.target.requirements_from == str(repo / "pyproject.toml")
        assert found == []
    (repo / "pyproject.toml").write_text(PYPROJECT)  # without the declaration the package folder has no project
    assert ig007(str(repo / "py_src" / PACKAGE))[1].target.requires == ()


def test_a_project_file_that_is_not_toml_is_said_not_silently_skipped(tmp_path):
    """A broken ``pyproject.toml`` declares nothing the analysis can use: every third-party import then counts as
    an optional backend (IG007 reports ``fakebackend``), so the user is told why, once, as a warning (the command
    line prints it as one ``warning:`` line); the analysis goes on."""
    repo = checkout(tmp_path, {"pyproject.toml": PYPROJECT.replace("[project]", "[project")})
    with pytest.warns(ProjectFileWarning, match=r"pyproject.toml cannot be read \(Expected ']'") as caught:
        found, report = ig007(str(repo))
    assert len(caught) == 1
    assert report.target.requires == () and [f.symbol for f in found] == ["Plain"]
    cli = subprocess.run([sys.executable, "-m", "importgraph", "analyze", str(repo), "--no-html", "--no-cache"],
                         capture_output=True, text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    assert cli.stderr.splitlines() == [f"warning: {caught[0].message}"]
    assert "no project file that declares them" in cli.stdout
    (repo / "pyproject.toml").write_text(PYPROJECT)  # repaired: no warning, its requirements are read
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProjectFileWarning)
        assert ig007(str(repo))[1].target.requires == ("fakebackend", "ig7_backport")


def test_requirements_of_the_checkouts_requirements_count_where_installed(tmp_path, monkeypatch):
    """trl requires accelerate, which requires torch: with accelerate installed where the analysis runs (this
    interpreter's sys.path, or ``--python``'s), torch is there wherever the checkout's package is."""
    repo = checkout(tmp_path, {"pyproject.toml": PYPROJECT.replace('"fakebackend>=1", ', '"middle>=1", ')})
    found, report = ig007(str(repo))
    assert report.target.requires == ("ig7_backport", "middle") and [f.symbol for f in found] == ["Plain"]
    # Neither is installed here: the summary, the JSON and check's stderr say so, as the likely cause of IG007
    # (ig7-backport is not installed either, but its marker allows that: it is not named)
    assert report.target.requirements_unread == ("middle",)
    assert json.loads(to_json(report))["requirements_unread"] == ["middle"]
    result = CliRunner().invoke(app, ["analyze", str(repo / "src" / PACKAGE), "--no-html", "--no-cache"])
    assert "not installed on the analysed sys.path: middle; what it requires in turn is unknown" \
        in " ".join(result.output.split())
    checked = subprocess.run([sys.executable, "-m", "importgraph", "check", str(repo / "src" / PACKAGE), "--no-cache"],
                             capture_output=True, text=True)
    assert checked.returncode == 1 and "Note: not installed on the analysed sys.path: middle;" in \
        checked.stderr and "Note:" not in checked.stdout
    site = tmp_path / "site"
    (site / "middle-1.0.dist-info").mkdir(parents=True)
    (site / "middle-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: middle\nVersion: 1.0\nRequires-Dist: fakebackend\n"
        'Requires-Dist: ig7-winonly; platform_system == "Windows"\n')
    monkeypatch.syspath_prepend(str(site))
    found, report = ig007(str(repo))
    assert report.target.requires == ("fakebackend", "ig7_backport", "ig7_winonly", "middle") and found == []
    # middle's metadata was read; ig7-winonly is not installed either, as its marker allows: not worth a note
    assert report.target.requirements_unread == ("fakebackend",)


def test_an_editable_install_of_the_checkout_is_read_from_its_dist_info(tmp_path):
    """``pip install -e`` of the checkout (a real one: setuptools' PEP 660 editable wheel): the analysis by
    import name through that interpreter finds the package in the checkout and the editable install's
    ``*.dist-info`` on its ``sys.path``, whose ``direct_url.json`` points back at the checkout."""
    repo = checkout(tmp_path, {"pyproject.toml": PYPROJECT.replace("fakebackend>=1", "fakebackend>=1.5")})
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(repo)],
                             capture_output=True, text=True, timeout=600)  # setuptools from the index, isolated
    assert install.returncode == 0, install.stderr
    found, report = ig007(PACKAGE, python=str(python))
    assert report.target.roots == (str(repo / "src" / PACKAGE),)
    assert report.target.requirements_from.endswith(".dist-info")
    assert (report.target.distribution, report.target.version) == ("ig7-checkout", "1.2")
    assert "fakebackend" in report.target.requires and found == []


def _diffusers_sdist() -> Path:
    """diffusers 0.42.1's sdist (setup.py, src/), downloaded once into the user cache directory."""
    folder = cache_root() / "sdists"
    sdist = folder / "diffusers-0.42.1.tar.gz"
    if not sdist.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        "diffusers==0.42.1", "-d", str(folder)], check=True, capture_output=True, timeout=600)
    return sdist


@pytest.mark.runtime  # builds the pinned diffusers venv
def test_a_diffusers_checkout_has_the_requirements_of_its_release(tmp_path):
    """diffusers 0.42.1's sources as a git checkout has them (its sdist without ``PKG-INFO`` and ``egg-info``): the
    requirements read from its ``setup.py`` are the ones the installed release reports at runtime
    (``importlib.metadata.requires`` in a venv), and the findings are those of the sdist with its generated
    metadata. Without them, every top-level ``import PIL``/``safetensors`` read as an undeclared backend."""
    with tarfile.open(_diffusers_sdist()) as archive:
        archive.extractall(tmp_path, filter="data")
    repo = tmp_path / "diffusers-0.42.1"
    python = ensure_venv(*DIFFUSERS)
    runtime = subprocess.run([str(python), "-c", "import importlib.metadata as m, json; "
                              "print(json.dumps(m.requires('diffusers')))"], capture_output=True, text=True, check=True)
    truth = tuple(sorted(requirement_names(json.loads(runtime.stdout))))

    sdist, report = ig007(str(repo))
    assert Path(report.target.requirements_from).name == "PKG-INFO"
    (repo / "PKG-INFO").unlink()
    shutil.rmtree(repo / "src" / "diffusers.egg-info")
    found, report = ig007(str(repo))
    assert Path(report.target.requirements_from).name == "setup.py"
    direct = checkout_metadata("diffusers", repo / "src", list)  # nothing installed: its own requirements only
    assert direct.requires == truth and canonical("Pillow") in truth
    assert set(truth) <= set(report.target.requires)  # with those of the ones installed here, in turn
    assert (report.target.distribution, report.target.version) == ("diffusers", "0.42.1")
    assert [(f.path, f.line, f.symbol, f.message) for f in found] == \
        [(f.path, f.line, f.symbol, f.message) for f in sdist]
    assert len(found) < 10

    (repo / "setup.py").unlink()
    bare, _ = ig007(str(repo))
    assert len(bare) > 1000, "the control: without the requirements PIL and safetensors read as backends"


def test_requirement_names_skip_extras_only():
    assert requirement_names(["Foo.Bar>=1", "baz[x]; python_version < '3.12'", "opt; extra == 'docs'",
                              "  spaced ==2", "-r other.txt"]) == ["foo_bar", "baz", "spaced"]


def test_an_unreadable_setup_py_is_no_requirement(tmp_path):
    repo = checkout(tmp_path, {"setup.py": textwrap.dedent("""\
        from setuptools import setup
        setup(install_requires=read_requirements())
    """)})
    found, report = ig007(str(repo))
    assert report.target.requirements_from is None and [f.symbol for f in found] == ["Plain"]


def test_a_namespace_package_installed_by_several_distributions_takes_all_their_metadata(tmp_path):
    """``google`` is installed in parts by google-auth, google-api-core and protobuf: none of them is *the*
    distribution (it used to be the first in name order, with its version), and each one's requirements are
    installed, so all of them count as always available."""
    site = tmp_path / "site"
    for dist, version, part, requires in (("google_auth", "2.63.0", "auth", ["cachetools", "rsa"]),
                                          ("protobuf", "7.36.2", "protobuf", []),
                                          ("google_api_core", "2.44.0", "api_core", ["requests; extra == 'x'"])):
        (site / "google" / part).mkdir(parents=True)
        (site / "google" / part / "__init__.py").write_text("")
        info = site / f"{dist}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Name: {dist.replace('_', '-')}\nVersion: {version}\n"
                                       + "".join(f"Requires-Dist: {r}\n" for r in requires))
        (info / "RECORD").write_text(f"google/{part}/__init__.py,,\n")
    (site / "cachetools-5.0.dist-info").mkdir()
    (site / "cachetools-5.0.dist-info" / "METADATA").write_text("Name: cachetools\nVersion: 5.0\n")
    target = find_target("google", search_path=[str(site)])
    assert target.kind == "namespace" and target.version is None and target.distribution is None
    assert target.shared_by == ("google-api-core 2.44.0", "google-auth 2.63.0", "protobuf 7.36.2")
    assert target.requires == ("cachetools", "rsa") and target.requirements_unread == ("rsa",)
    report = importgraph.analyze(target)
    assert report.environment.always == {"cachetools", "rsa"}  # not requests: only an extra wants it
    doc = json.loads(to_json(report))
    assert doc["shared_by"] == list(target.shared_by) and doc["version"] is None
