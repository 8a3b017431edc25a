"""The Python versions a ``sys.version_info`` test selects, checked against Python evaluating the test itself.

For every test and every minor version, ``eval`` runs the expression with ``sys.version_info`` set to the first
and to the last release of that version (a real ``sys.version_info``-shaped named tuple): the static answer
must be that one when both agree, and "not decided" (None) for a test that tells them apart.
"""

from __future__ import annotations

import ast
import random
import sys
import types
from collections import namedtuple

import pytest

from importgraph.scan.python_versions import PYTHON3_MINORS, describe, python_versions

VersionInfo = namedtuple("VersionInfo", "major minor micro releaselevel serial")

TESTS = [
    "sys.version_info < (3, 14)", "sys.version_info >= (3, 12)", "sys.version_info > (3, 9)",
    "sys.version_info <= (3, 10)", "sys.version_info == (3, 11)", "sys.version_info != (3, 11)",
    "sys.version_info[:2] == (3, 11)", "sys.version_info[:2] >= (3, 8)", "sys.version_info[0:2] < (3, 7)",
    "sys.version_info[:1] == (3,)", "sys.version_info[0] == 3", "sys.version_info[1] >= 10",
    "sys.version_info.minor < 13", "sys.version_info.major >= 3", "(3, 8) <= sys.version_info < (3, 12)",
    "not sys.version_info >= (3, 9)", "sys.version_info >= (3, 9) and sys.version_info < (3, 13)",
    "sys.version_info < (3, 8) or sys.version_info >= (3, 13)", "sys.version_info >= (3, 12, 0)",
    "sys.version_info > (3,)", "sys.version_info[0] == 2", "version_info >= (3, 10)",
]
UNDECIDED = [
    "sys.version_info >= (3, 12, 4)",  # depends on the micro version
    "sys.version_info.micro > 1", "sys.version_info >= 3", "sys.version_info >= (3, 12) and flag",
    "sys.platform == 'linux'", "sys.version_info[2] == 0", "sys.version_info >= (3, 12, 0, 'final')",
]


def runtime_answer(expression: str, minor: int) -> bool | None:
    """What Python says on the first and the last release of 3.<minor>; None when they differ."""
    answers = set()
    for info in (VersionInfo(3, minor, 0, "alpha", 0), VersionInfo(3, minor, 99, "final", 0)):
        namespace = {"sys": types.SimpleNamespace(version_info=info), "version_info": info}
        answers.add(bool(eval(expression, namespace)))  # noqa: S307 - the expressions are this file's
    return answers.pop() if len(answers) == 1 else None


@pytest.mark.parametrize("expression", TESTS)
def test_selected_versions_match_python(expression):
    selected = python_versions(ast.parse(expression, mode="eval").body)
    assert selected is not None
    assert selected == {m for m in PYTHON3_MINORS if runtime_answer(expression, m)}


@pytest.mark.parametrize("expression", UNDECIDED)
def test_tests_not_understood_are_undecided(expression):
    assert python_versions(ast.parse(expression, mode="eval").body) is None


def test_random_combinations_match_python():
    """2,000 random and/or/not combinations of comparisons: decided ones agree with Python on every version."""
    rng = random.Random(649)
    atoms = ["sys.version_info {op} (3, {n})", "sys.version_info[:2] {op} (3, {n})", "sys.version_info.minor {op} {n}",
             "sys.version_info[1] {op} {n}", "sys.version_info {op} (3, {n}, 0)"]
    decided = 0
    for _ in range(2000):
        def atom() -> str:
            text = rng.choice(atoms).format(op=rng.choice(["<", "<=", ">", ">=", "==", "!="]), n=rng.randrange(0, 20))
            return f"not {text}" if rng.random() < 0.2 else text
        expression = atom()
        for _ in range(rng.randrange(0, 3)):
            expression = f"({expression}) {rng.choice(['and', 'or'])} {atom()}"
        selected = python_versions(ast.parse(expression, mode="eval").body)
        answers = [runtime_answer(expression, m) for m in PYTHON3_MINORS]
        if None in answers:  # the micro version decides on some minor version
            assert selected is None, expression
            continue
        decided += 1
        assert selected == {m for m, answer in zip(PYTHON3_MINORS, answers) if answer}, expression
    assert decided > 1500


def test_this_interpreter_agrees():
    for expression in TESTS:
        selected = python_versions(ast.parse(expression, mode="eval").body)
        assert (sys.version_info.minor in selected) == bool(eval(expression, {"sys": sys, "version_info": sys.version_info}))


@pytest.mark.parametrize("minors,text", [
    (range(0, 12), "< 3.12"), (range(14, 40), ">= 3.14"), ([10, 11], "3.10-3.11"), ([9], "3.9"),
    ([*range(0, 8), *range(13, 40)], "< 3.8 or >= 3.13"), (range(0, 40), "every version"),
])
def test_describe(minors, text):
    assert describe(list(minors)) == text
