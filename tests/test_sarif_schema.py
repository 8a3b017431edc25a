"""`importgraph check --output-format sarif` is valid SARIF 2.1.0: validated against the official OASIS JSON
schema shipped in tests/data/ (provenance in tests/data/SARIF_SCHEMA.md), with rule metadata and help text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from importgraph.cli import app
from importgraph.rules import all_rules

PROJECTS = Path(__file__).parent / "fixtures" / "projects"
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def sarif(project: str, *args: str, cwd: Path | None = None) -> tuple[int, dict]:
    old = Path.cwd()
    os.chdir(cwd or PROJECTS / project)
    try:
        result = CliRunner().invoke(app, ["check", "--output-format", "sarif", *args], catch_exceptions=False)
    finally:
        os.chdir(old)
    return result.exit_code, json.loads(result.stdout)


def validate(log: dict) -> None:
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_schema_is_the_official_one():
    assert SCHEMA["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"


def test_schema_rejects_a_broken_log():
    """The validator really checks: a result without a message is not SARIF."""
    _, log = sarif("lazy_defects")
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(AssertionError):
        validate(log)


@pytest.mark.parametrize("project, args, expected_exit, expected_results", [
    ("lazy_defects", (), 1, 5),
    ("lazy_clean", (), 0, 0),
    ("lazy_suppressed", ("--report-unused-ignores",), 1, 4),
])
def test_sarif_validates(project, args, expected_exit, expected_results):
    code, log = sarif(project, *args)
    assert code == expected_exit
    validate(log)
    assert log["version"] == "2.1.0"
    assert len(log["runs"][0]["results"]) == expected_results


def test_rule_metadata_and_help_text():
    _, log = sarif("lazy_defects")
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "importgraph"
    by_id = {rule["id"]: rule for rule in driver["rules"]}
    for rule in all_rules():
        descriptor = by_id[rule.code]
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary()
        assert descriptor["help"]["text"] == rule.doc()
        assert descriptor["defaultConfiguration"]["level"] == {"error": "error", "warning": "warning",
                                                               "info": "note"}[rule.severity.value]
    assert by_id["IG003"]["defaultConfiguration"]["level"] == "warning"
    assert "Fix: export the name from one module only" in by_id["IG003"]["help"]["text"]
    assert by_id["IG100"]["defaultConfiguration"] == {"level": "warning", "enabled": False}


def test_results_point_at_repo_relative_files():
    _, log = sarif("lazy_defects")
    run = log["runs"][0]
    first = run["results"][0]
    assert first["ruleId"] == "IG002" and first["level"] == "error"
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "IG002"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "src/lazydefects/__init__.py"
    assert location["region"]["startLine"] == 13
    assert first["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "lazydefects.Helper"
    # two findings with one (rule, module, symbol) share a fingerprint, as the baseline does
    helper = [r for r in run["results"] if r["properties"]["symbol"] == "Helper"]
    assert len(helper) == 2 and len({r["partialFingerprints"]["importgraph/v1"] for r in helper}) == 1


def test_outside_the_current_directory_paths_are_as_reported(tmp_path):
    _, log = sarif("lazy_defects", "--config", str(PROJECTS / "lazy_defects" / "pyproject.toml"), cwd=tmp_path)
    validate(log)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "lazydefects/__init__.py"
