"""`importgraph check` driven through the real CLI on fixture projects with a real pyproject.toml.

Fixtures (tests/fixtures/projects/, see the comments in each __init__.py):
- lazy_defects: one dict-style lazy package, defects on known lines of src/lazydefects/__init__.py:
  13 IG002 `Helper` (lazy half), 14 IG001 key `pipelines` + IG004 `pipeline`, 15 IG003 `Model` (warning),
  19 IG002 `Helper` (TYPE_CHECKING half);
- lazy_suppressed: the same defects with `# importgraph: ignore` comments (used, unused, unknown code);
- lazy_clean: no defects.
Projects that a test edits are copied to tmp_path first.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from importgraph.cli import app

PROJECTS = Path(__file__).parent / "fixtures" / "projects"
DEFECTS_INIT = "src/lazydefects/__init__.py"
SELECT_CORE = 'select = ["IG001", "IG002", "IG003", "IG004", "IG009"]'


def check(*args: str, cwd: Path):
    """Run `importgraph check ARGS` in ``cwd`` through typer's runner."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, ["check", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path: Path):
    """A writable copy of a fixture project."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(PROJECTS / name, dest)
        return dest

    return copy


def write_config(root: Path, body: str) -> None:
    """Replace the [tool.importgraph] table of root/pyproject.toml."""
    text = (root / "pyproject.toml").read_text()
    head = text.split("[tool.importgraph]")[0]
    (root / "pyproject.toml").write_text(head + "[tool.importgraph]\n" + body + "\n")


def json_findings(result) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["symbol"], f["line"]) for f in json.loads(result.stdout)["findings"]]


# --------------------------------------------------------------------------- the fixture is really broken


def test_fixture_defects_break_at_runtime():
    """The runtime agrees with the findings: the names importgraph flags really fail to import."""
    code = (
        "import sys; sys.path.insert(0, 'src')\n"
        "import lazydefects\n"
        "print(type(lazydefects.Config).__name__, lazydefects.Model.__module__)\n"
        "for name in ('Helper', 'pipeline'):\n"
        "    try:\n"
        "        getattr(lazydefects, name)\n"
        "    except (AttributeError, ImportError) as exc:\n"
        "        print(name, type(exc).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECTS / "lazy_defects", capture_output=True,
                         text=True, check=True).stdout.split("\n")
    # `Model` is listed under two keys: the runtime serves the last one (IG003's point).
    assert out[0] == "type lazydefects.tokenization"
    assert out[1] == "Helper AttributeError"
    assert out[2] == "pipeline ModuleNotFoundError"


# --------------------------------------------------------------------------- exit codes, text output


def test_clean_project_exits_0_with_target_from_config_found_walking_up():
    result = check(cwd=PROJECTS / "lazy_clean" / "src" / "lazyclean")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "No findings."


def test_without_any_target_the_project_folder_is_checked(project):
    """No TARGET and no ``target`` in the configuration: the configuration's folder (else the current one) is
    the checkout, its package found in src/ as ``importgraph check .`` would."""
    root = project("lazy_defects")
    with_target = check("-f", "json", cwd=root)
    write_config(root, SELECT_CORE)
    result = check("-f", "json", cwd=root / "src")  # the configuration found walking up: its folder
    assert result.exit_code == 1 and result.stdout == with_target.stdout
    (root / "pyproject.toml").write_text("[project]\nname = 'lazydefects'\nversion = '0.1.0'\n")  # no table
    result = check("-f", "json", "--select", "IG001,IG002,IG003,IG004,IG009", cwd=root)
    assert result.exit_code == 1 and result.stdout == with_target.stdout


def test_defects_exit_1_text_grouped_by_file_plain_with_summary():
    result = check(cwd=PROJECTS / "lazy_defects")
    assert result.exit_code == 1
    lines = result.stdout.rstrip("\n").splitlines()
    assert "\x1b[" not in result.stdout  # not a terminal: no colour codes
    assert lines[-1] == "Found 5 findings: 3 errors, 2 warnings."
    assert lines.count("lazydefects/__init__.py") == 1  # one header for the file, findings under it
    rows = [line.split()[:2] for line in lines if line.strip() and line.strip()[0].isdigit()]
    assert rows == [["13", "IG002"], ["14", "IG001"], ["14", "IG004"], ["15", "IG003"], ["19", "IG002"]]


def test_text_lines_are_never_broken_at_the_console_width():
    """In a pipe (a CI log) rich breaks lines at the console width (80 columns, or $COLUMNS): a finding's header
    came out as three lines, its ``module:symbol`` label alone at column 0. Each finding is two whole lines."""
    env = {**os.environ, "COLUMNS": "30"}
    proc = subprocess.run([sys.executable, "-m", "importgraph", "check"], cwd=PROJECTS / "lazy_defects",
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    headers = [i for i, line in enumerate(lines) if line.split()[:1] and line.split()[0].isdigit()]
    assert len(headers) == 5
    for i in headers:
        number, code, name, label = lines[i].split()
        assert code.startswith("IG") and "-" in name and label.startswith("lazydefects:")
        assert lines[i + 1].startswith("         ") and len(lines[i + 1]) > 100  # the whole message
    assert lines[-1] == "Found 5 findings: 3 errors, 2 warnings."


def test_text_is_coloured_on_a_terminal():
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    proc = subprocess.Popen([sys.executable, "-m", "importgraph", "check"], cwd=PROJECTS / "lazy_defects",
                            stdout=terminal, stderr=subprocess.DEVNULL, env=env)
    os.close(terminal)
    chunks = []
    while True:  # read while it writes (a full terminal buffer would block it); EIO once it closes the tty
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    out = b"".join(chunks).decode()
    assert proc.wait(timeout=120) == 1
    assert "\x1b[" in out and "IG002" in out


def test_explicit_target_argument_overrides_config(project):
    """Run inside the defects project, whose configuration targets its own package (exit 1 there), the target
    given on the command line is the one analysed: the clean package, exit 0."""
    root = project("lazy_defects")
    assert check("--output-format", "json", cwd=root).exit_code == 1  # the configured target has findings
    clean = PROJECTS / "lazy_clean" / "src" / "lazyclean"
    result = check(str(clean), "--output-format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["package"], report["findings"]) == ("lazyclean", [])


def test_fail_on_threshold():
    warnings_only = ("--select", "IG003", "--output-format", "json")
    default = check(*warnings_only, cwd=PROJECTS / "lazy_defects")
    assert default.exit_code == 0  # a warning is reported but does not fail at the default --fail-on error
    assert json_findings(default) == [("IG003", "Model", 15)]
    assert check(*warnings_only, "--fail-on", "warning", cwd=PROJECTS / "lazy_defects").exit_code == 1
    assert check(*warnings_only, "--fail-on", "info", cwd=PROJECTS / "lazy_defects").exit_code == 1


def test_help_documents_exit_codes():
    result = CliRunner().invoke(app, ["check", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "exit 0 when nothing at or above --fail-on remains, 1 when findings remain, 2 on a usage" in text


# --------------------------------------------------------------------------- configuration


def test_select_ignore_extend_select_and_severity(project):
    root = project("lazy_defects")
    write_config(root, 'target = "src/lazydefects"\nselect = ["IG002"]\nextend-select = ["lazy-duplicate-name"]\n'
                       'ignore = ["IG001"]\n[tool.importgraph.severity]\nIG002 = "info"\nIG003 = "error"\n')
    result = check("-f", "json", cwd=root)
    assert result.exit_code == 1  # IG003 re-graded to error
    data = json.loads(result.stdout)
    assert {(f["rule"], f["severity"]) for f in data["findings"]} == {("IG002", "info"), ("IG003", "error")}
    assert data["rules"] == ["IG002", "IG003"]


def test_per_path_ignores_and_exclude(project):
    root = project("lazy_defects")
    write_config(root, f'target = "src/lazydefects"\n{SELECT_CORE}\n'
                       '[tool.importgraph.per-path-ignores]\n"src/*/__init__.py" = ["IG002", "IG001"]\n')
    result = check("-f", "json", cwd=root)
    assert sorted({r for r, _, _ in json_findings(result)}) == ["IG003", "IG004"]
    assert result.exit_code == 0

    write_config(root, f'target = "src/lazydefects"\n{SELECT_CORE}\nexclude = ["src/lazydefects/__init__.py"]\n')
    result = check("-f", "json", cwd=root)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["findings"] == [] and data["summary"]["excluded"] == 5


@pytest.mark.parametrize("body, key", [
    (f'target = "src/lazydefects"\n{SELECT_CORE}\nselct = ["IG002"]', "unknown key 'selct'; did you mean 'select'?"),
    ('target = "src/lazydefects"\nselect = "IG002"', "select: expected a list of rule codes"),
    ('target = "src/lazydefects"\nselect = ["IG002", "IG999"]', "select: unknown rule 'IG999'"),
    ('target = "src/lazydefects"\n[tool.importgraph.severity]\nIG002 = "fatal"', "severity.IG002: expected"),
    ('target = 3', "target: expected a package name or a path, got int 3"),
    ('target = "src/lazydefects"\nexclude = "*.py"', "exclude: expected a list of non-empty strings"),
    ('target = "src/lazydefects"\nselect = [', "not valid TOML"),
])
def test_config_errors_exit_2_naming_file_and_key(project, body, key):
    root = project("lazy_defects")
    write_config(root, body)
    result = check(cwd=root)
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert str(root / "pyproject.toml") in message
    assert key in message
    assert "Traceback" not in result.output


def test_bad_config_path_exits_2(tmp_path):
    result = check("--config", str(tmp_path / "missing.toml"), cwd=PROJECTS / "lazy_defects")
    assert result.exit_code == 2
    assert "no such configuration file" in result.stderr


def test_explicit_config_from_another_directory(tmp_path):
    result = check("--config", str(PROJECTS / "lazy_defects" / "pyproject.toml"), "-f", "github", cwd=tmp_path)
    assert result.exit_code == 1
    # the files are not under the current directory: paths as the JSON report gives them
    assert result.stdout.splitlines()[0].startswith("::error file=lazydefects/__init__.py,line=13,title=IG002::")


def test_package_not_found_and_missing_target_exit_2(project, tmp_path):
    root = project("lazy_defects")
    write_config(root, 'target = "no_such_package_importgraph"')
    result = check(cwd=root)
    assert result.exit_code == 2 and "no_such_package_importgraph" in result.stderr

    empty = tmp_path / "empty"
    empty.mkdir()
    result = check(cwd=empty)
    assert result.exit_code == 2 and "no TARGET given" in result.stderr
    assert "no pyproject.toml with [tool.importgraph] above the current directory" in result.stderr
    assert "the project folder is not a checkout" in result.stderr and "no Python package here" in result.stderr


def test_bad_options_exit_2():
    cwd = PROJECTS / "lazy_defects"
    assert check("--select", "IG999", cwd=cwd).exit_code == 2
    assert check("--fail-on", "fatal", cwd=cwd).exit_code == 2
    assert check("--output-format", "xml", cwd=cwd).exit_code == 2
    result = check("--baseline", "b.json", "--write-baseline", "b.json", cwd=cwd)
    assert result.exit_code == 2 and "exclude each other" in result.stderr


# --------------------------------------------------------------------------- suppressions


def test_inline_suppressions_silence_their_line():
    result = check("-f", "json", cwd=PROJECTS / "lazy_suppressed")
    assert result.exit_code == 1
    # line 12 ignore[IG002], line 13 bare ignore (IG001 + IG004), line 14 ignore[IG001, IG003]: only the
    # unsuppressed TYPE_CHECKING import on line 18 remains.
    assert json_findings(result) == [("IG002", "Helper", 18)]
    assert json.loads(result.stdout)["summary"]["suppressed"] == 4


@pytest.mark.parametrize("how", [("--report-unused-ignores",), ("--extend-select", "IG100")])
def test_unused_suppressions_reported_when_asked(how):
    result = check("-f", "json", *how, cwd=PROJECTS / "lazy_suppressed")
    assert result.exit_code == 1
    assert json_findings(result) == [
        ("IG100", "ignore[IG999]", 8),   # not a rule code
        ("IG100", "ignore", 10),         # bare ignore on a clean line
        ("IG100", "ignore[IG001]", 14),  # IG003 was used there, IG001 was not
        ("IG002", "Helper", 18),
    ]  # the string literal in tokenization.py that reads like a suppression is not one


def test_unused_suppressions_alone_fail_only_at_warning(project):
    root = project("lazy_suppressed")
    result = check("--select", "IG003", "--report-unused-ignores", "-f", "json", cwd=root)
    # rules that did not run are not judged: only the unknown code and the bare ignore on a clean line remain
    assert json_findings(result) == [("IG100", "ignore[IG999]", 8), ("IG100", "ignore", 10),
                                     ("IG100", "ignore", 13)]
    assert result.exit_code == 0
    assert check("--select", "IG003", "--report-unused-ignores", "--fail-on", "warning", cwd=root).exit_code == 1


# --------------------------------------------------------------------------- baseline


def test_baseline_round_trip(project):
    root = project("lazy_defects")
    baseline = root / "importgraph-baseline.json"
    written = check("--write-baseline", str(baseline), cwd=root)
    assert written.exit_code == 0, written.output
    data = json.loads(baseline.read_text())
    assert data["findings"] == [
        {"rule": "IG001", "module": "lazydefects", "symbol": "pipelines", "count": 1},
        {"rule": "IG002", "module": "lazydefects", "symbol": "Helper", "count": 2},
        {"rule": "IG003", "module": "lazydefects", "symbol": "Model", "count": 1},
        {"rule": "IG004", "module": "lazydefects", "symbol": "pipeline", "count": 1},
    ]
    result = check("--baseline", str(baseline), "-f", "json", cwd=root)
    assert result.exit_code == 0 and json_findings(result) == []

    init = root / DEFECTS_INIT
    source = init.read_text()
    init.write_text("# a comment that moves every line down\n\n" + source)
    result = check("--baseline", str(baseline), "-f", "json", cwd=root)
    assert result.exit_code == 0 and json_findings(result) == []

    init.write_text(init.read_text()
                    .replace('_import_structure["tokenization"].append("Model")',
                             '_import_structure["tokenization"].append("Model")\n'
                             '_import_structure["modeling"].append("Modle")')
                    .replace("from .modeling import Helper, Model, helper",
                             "from .modeling import Helper, Model, Modle, helper"))
    result = check("--baseline", str(baseline), "-f", "json", cwd=root)
    assert result.exit_code == 1
    assert json_findings(result) == [("IG002", "Modle", 18), ("IG002", "Modle", 22)]
    assert json.loads(result.stdout)["summary"]["baselined"] == 5


def test_bad_baseline_exits_2(project):
    root = project("lazy_defects")
    assert check("--baseline", "missing.json", cwd=root).exit_code == 2
    (root / "bad.json").write_text("{not json")
    result = check("--baseline", "bad.json", cwd=root)
    assert result.exit_code == 2 and "bad.json" in result.stderr


# --------------------------------------------------------------------------- formats


def test_json_format():
    result = check("--output-format", "json", cwd=PROJECTS / "lazy_defects")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["package"] == "lazydefects"
    assert data["summary"] == {"findings": 5, "failing": 3, "by_severity": {"error": 3, "warning": 2, "info": 0},
                               "suppressed": 0, "baselined": 0, "excluded": 0}
    first = data["findings"][0]
    assert (first["rule"], first["name"], first["severity"], first["module"], first["symbol"], first["path"],
            first["line"]) == ("IG002", "lazy-missing-name", "error", "lazydefects", "Helper",
                               "lazydefects/__init__.py", 13)
    assert "raises ImportError" in first["message"]


def test_github_annotations_are_repo_relative():
    result = check("--output-format", "github", cwd=PROJECTS / "lazy_defects")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split("::")[1] for line in lines] == [
        f"error file={DEFECTS_INIT},line=13,title=IG002",
        f"error file={DEFECTS_INIT},line=14,title=IG001",
        f"warning file={DEFECTS_INIT},line=14,title=IG004",
        f"warning file={DEFECTS_INIT},line=15,title=IG003",
        f"error file={DEFECTS_INIT},line=19,title=IG002",
    ]
    assert lines[0].split("::", 2)[2].startswith("lazy-missing-name: lazydefects maps 'Helper'")


def test_junit_format():
    result = check("--output-format", "junit", cwd=PROJECTS / "lazy_defects")
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("5", "3")
    cases = suite.findall("testcase")
    assert [(c.get("line"), c.find("failure") is not None) for c in cases] == [
        ("13", True), ("14", True), ("14", False), ("15", False), ("19", True)]
    assert cases[0].get("file") == DEFECTS_INIT

    clean = ET.fromstring(check("-f", "junit", cwd=PROJECTS / "lazy_clean").stdout).find("testsuite")
    assert (clean.get("tests"), clean.get("failures"), len(clean.findall("testcase"))) == ("1", "0", 1)


def test_output_file(tmp_path):
    out = tmp_path / "report.sarif"
    result = check("-f", "sarif", "-o", str(out), cwd=PROJECTS / "lazy_defects")
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(out.read_text())["version"] == "2.1.0"


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "github"])
def test_byte_identical_across_runs(fmt):
    cwd = PROJECTS / "lazy_defects"
    first = check("-f", fmt, cwd=cwd).stdout_bytes
    second = subprocess.run([sys.executable, "-m", "importgraph", "check", "-f", fmt], cwd=cwd,
                            capture_output=True, timeout=120).stdout
    assert first == second and first
