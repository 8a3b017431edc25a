"""``importgraph analyze`` as a user runs it: a subprocess, real fixture packages, the README's JSON schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import fixture_package

HF5 = fixture_package("hf5_structure")
HF4 = fixture_package("hf4_dict")


def importgraph_cli(*args: str, cwd) -> subprocess.CompletedProcess:
    """Run the CLI in ``cwd`` (a tmp dir: anything it writes by default stays there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIXTURE_", "COLUMNS"))}
    return subprocess.run([sys.executable, "-m", "importgraph", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def json_runs(tmp_path_factory) -> list[str]:
    """Two runs of ``analyze --format json``, in two different directories."""
    outputs = []
    for run in range(2):
        proc = importgraph_cli("analyze", str(HF5), "--format", "json", "--no-cache",
                               cwd=tmp_path_factory.mktemp(f"run{run}"))
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    return outputs


# The README's schema: key -> type (None: JSON null allowed as well)
TOP = {"schema_version": int, "tool": dict, "package": str, "version": (str, type(None)),
       "distribution": (str, type(None)), "shared_by": list, "requirements_from": (str, type(None)),
       "requirements_unread": list, "base": str, "roots": list, "python": (str, type(None)),
       "environment": dict, "structure_rules": (str, type(None)), "stats": dict, "lazy_modules": dict,
       "problems": list, "findings": list}
STATS = {"files": int, "modules": int, "lazy_modules": int, "lazy_names": int, "import_edges": int,
         "lazy_edges": int, "unparsable": int, "undecided": int, "findings_by_rule": dict, "undecided_by_rule": dict}
LAZY = {"path": str, "line": int, "style": str, "names": dict, "submodules": list, "extra_objects": list,
        "aliases": dict, "module_keys": dict, "proxies": dict, "undecided": list}
NAME = {"module": str, "backends": list, "path": str, "line": int}
NAME_OPTIONAL = {"missing_backends": list, "origin": str, "attribute": str}
FINDING = {"rule": str, "name": str, "severity": str, "module": str, "symbol": str, "path": str, "line": int,
           "message": str}


def check_keys(obj: dict, required: dict, optional: dict | None = None, where: str = "") -> None:
    optional = optional or {}
    missing = set(required) - set(obj)
    unknown = set(obj) - set(required) - set(optional)
    assert not missing and not unknown, f"{where}: missing {missing}, unknown {unknown}"
    for key, kind in {**required, **optional}.items():
        if key in obj:
            assert isinstance(obj[key], kind), f"{where}.{key}: {type(obj[key]).__name__}"


def test_json_matches_the_readme_schema(json_runs):
    report = json.loads(json_runs[0])
    check_keys(report, TOP, where="report")
    assert report["schema_version"] == 1 and report["tool"]["name"] == "importgraph"
    assert report["package"] == "hf5_structure" and report["roots"] == ["hf5_structure"]
    assert report["environment"] == {"available": "all", "unavailable": [], "always_available": []}
    check_keys(report["stats"], STATS, where="stats")
    assert report["stats"]["lazy_modules"] == len(report["lazy_modules"]) == 3
    assert report["stats"]["lazy_names"] == sum(len(m["names"]) for m in report["lazy_modules"].values())
    for module, lazy in report["lazy_modules"].items():
        check_keys(lazy, LAZY, where=module)
        for name, entry in lazy["names"].items():
            check_keys(entry, NAME, NAME_OPTIONAL, where=f"{module}.{name}")
            assert entry["backends"] == sorted(entry["backends"])
            assert not os.path.isabs(entry["path"])  # relative to base
    for finding in report["findings"]:
        check_keys(finding, FINDING, {"chain": list}, where="finding")
    assert sum(report["stats"]["findings_by_rule"].values()) == len(report["findings"])
    bert_like = report["lazy_modules"]["hf5_structure"]["names"]["FooModel"]
    assert bert_like == {"module": "hf5_structure.models.foo.modeling_foo", "backends": ["torch"],
                         "path": "hf5_structure/models/foo/modeling_foo.py", "line": bert_like["line"]}
    assert any(f["rule"] == "IG002" and f["symbol"] == "FooLegacyConfig" for f in report["findings"])


def test_json_is_byte_identical_across_runs(json_runs):
    assert json_runs[0] == json_runs[1]
    assert "seconds" not in json_runs[0]


def test_environment_flags_are_reported(tmp_path):
    proc = importgraph_cli("analyze", str(HF5), "--format", "json", "--backends", "torch,vision", cwd=tmp_path)
    report = json.loads(proc.stdout)
    assert report["environment"]["available"] == ["torch", "vision"]
    entry = report["lazy_modules"]["hf5_structure"]["names"]["FooImageProcessor"]
    assert entry["missing_backends"] == ["torchvision"]
    proc = importgraph_cli("analyze", str(HF5), "--format", "json", "--without", "torch", cwd=tmp_path)
    report = json.loads(proc.stdout)
    assert report["environment"] == {"available": "all", "unavailable": ["torch"], "always_available": []}


def test_text_mode_prints_the_summary_line(tmp_path):
    proc = importgraph_cli("analyze", str(HF4), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("hf4_dict")
    summary = [line for line in lines if " files, " in line]
    assert len(summary) == 1  # one line, not wrapped at the console width
    for part in ("modules", "lazy modules", "lazy names", "import edges", "lazy edges", "unparsable", " s"):
        assert part in summary[0]
    assert lines[-1] in ("No findings.",) or lines[-1].startswith("Found ")


def test_output_file(tmp_path):
    out = tmp_path / "report.json"
    proc = importgraph_cli("analyze", str(HF5), "--format", "json", "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads(out.read_text())["package"] == "hf5_structure"


def test_python_m_help(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "importgraph", "--help"], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.returncode == 0
    for command in ("analyze", "graph", "rules", "rule"):
        assert command in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "importgraph", "analyze", "--help"], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 0 and "--backends" in proc.stdout and "--python" in proc.stdout


def test_error_messages_keep_their_brackets(tmp_path):
    """What the user typed is printed as typed: rich would take ``[b]`` for markup and drop it."""
    proc = importgraph_cli("rule", "[b]IG002", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown rule '[b]IG002'" in proc.stderr
    proc = importgraph_cli("explain", str(HF5), "[b]Nothing", cwd=tmp_path)
    assert proc.returncode == 2 and "'[b]Nothing' is not a name" in proc.stderr


def test_bad_option_is_exit_code_2(tmp_path):
    proc = importgraph_cli("analyze", str(HF5), "--format", "yaml", cwd=tmp_path)
    assert proc.returncode == 2


def test_select_runs_off_by_default_rules_and_rejects_unknown_codes(tmp_path):
    """IG015 is off by default: ``--select IG015`` turns it on (and only it); an unknown code is exit 2."""
    package = str(fixture_package("rule_ig015_pos_1"))
    default = json.loads(importgraph_cli("analyze", package, "--format", "json", "--no-html", cwd=tmp_path).stdout)
    assert "IG015" not in {f["rule"] for f in default["findings"]}
    selected = importgraph_cli("analyze", package, "--format", "json", "--no-html", "--select", "IG015", cwd=tmp_path)
    rules = {f["rule"] for f in json.loads(selected.stdout)["findings"]}
    assert rules == {"IG015"}
    bad = importgraph_cli("analyze", package, "--select", "IG999", "--no-html", cwd=tmp_path)
    assert bad.returncode == 2 and "IG999" in bad.stderr


def test_importgraph_warnings_are_one_line_each_on_stderr(tmp_path):
    """A cache directory that cannot be used (here a file) is a warning, not an error; the command line prints it
    as ``warning: ...``, without Python's file:line of importgraph's own source."""
    not_a_directory = tmp_path / "cache"
    not_a_directory.write_text("")
    proc = importgraph_cli("analyze", str(fixture_package("hf4_dict")), "--no-html", "-q", "--cache-dir",
                           str(not_a_directory), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()  # the scan cache and the result cache both find out: said once
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"warning: importgraph cache directory {not_a_directory} is not writable (")
    assert lines[0].endswith("); nothing is cached this run")
    assert "hf4_dict" in proc.stdout
