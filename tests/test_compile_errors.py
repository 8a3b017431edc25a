"""Files that parse but do not compile (``return`` at module level, ``def f(a, a)``, a late ``from __future__``):
the scan reports the SyntaxError CPython's ``compile()`` raises, with its message and line.

The truth is ``compile()`` itself, run on every input: a table of single errors and their look-alikes that do
compile, then random modules built from those statements (nested in classes, loops, ``if``/``try``/``with``,
with functions whose bodies hold the imports the scan reads), several errors per module, where CPython's
phases decide which one is reported.
"""

from __future__ import annotations

import ast
import random

import pytest

from importgraph.scan import scan_source


def compiled(source: str) -> tuple[int, str] | None:
    try:
        compile(source, "gen.py", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno, f"SyntaxError: {exc.msg}"
    return None


def scanned(source: str) -> tuple[int, str] | None:
    problem = scan_source("gen", "gen.py", False, source.encode()).problem
    return None if problem is None else (problem.line, problem.reason)


ERRORS = {
    "return": "import os\nif os.sep:\n    return\n",
    "return in a class": "class A:\n    x = 1\n    return x\n",
    "yield": "x = yield 1\n",
    "yield from": "yield from range(3)\n",
    "await": "await thing\n",
    "async for": "async for i in things:\n    pass\n",
    "async with": "async with lock:\n    pass\n",
    "break": "for i in range(3):\n    pass\nelse:\n    break\n",
    "break in a class in a loop": "for i in range(3):\n    class A:\n        break\n",
    "continue": "while True:\n    pass\ncontinue\n",
    "nonlocal at module level": "import os\nnonlocal x\n",
    "nonlocal in a class": "class A:\n    nonlocal y\n",
    "late future": '"""doc"""\nimport os\nfrom __future__ import annotations\n',
    "future in an if": "if True:\n    from __future__ import annotations\n",
    "future in a function": "def f():\n    from __future__ import annotations\n",
    "unknown future": "from __future__ import annotation\n",
    "braces": "from __future__ import braces\n",
    "star import in a function": "def f():\n    if True:\n        from os import *\n",
    "star import in a class": "class A:\n    from os import *\n",
    "duplicate argument": "class A:\n    def f(self, a, *, a=1):\n        pass\n",
    "duplicate star argument": "def f(a, *a):\n    pass\n",
    "two duplicates, the symbol table's order": "def f(a, b, /, b, a, *c, c, **d):\n    pass\n",
}

COMPILES = {
    "return in a function": "def f():\n    return 1\n",
    "yield in a method": "class A:\n    def f(self):\n        yield 1\n",
    "break in a loop": "for i in range(3):\n    if i:\n        break\n",
    "continue in finally": "while True:\n    try:\n        pass\n    finally:\n        continue\n",
    "future after the docstring": '"""doc"""\nfrom __future__ import annotations\nfrom __future__ import division\n',
    "star import at module level": "from os import *\nif True:\n    from os.path import *\n",
    "nonlocal in a nested function": "def f():\n    x = 1\n    def g():\n        nonlocal x\n",
    "distinct arguments": "def f(a, b, /, c, *d, e, **g):\n    pass\n",
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_compile_error_is_reported_as_compile_reports_it(name):
    source = ERRORS[name]
    ast.parse(source)  # it parses: only the compiler rejects it
    assert compiled(source) is not None
    assert scanned(source) == compiled(source)


@pytest.mark.parametrize("name", sorted(COMPILES))
def test_what_compiles_is_not_reported(name):
    source = COMPILES[name]
    assert compiled(source) is None
    assert scanned(source) is None


# ----------------------------------------------------------------------------- random modules
SIMPLE = ["x = 1", "import os", "pass", "return", "x = yield", "yield 1", "await y", "break", "continue",
          "nonlocal q", "from os import *", "from __future__ import annotations", "from __future__ import nope",
          '"""text"""']
IN_FUNCTIONS = ["pass", "return 1", "yield 1", "x = 1", "import os", "from os import *",
                "from __future__ import division"]
PARAMETERS = ["a", "b", "c", "*a", "*d", "**a", "**e"]


def _function(rng: random.Random, indent: str) -> list[str]:
    params = rng.sample(PARAMETERS[:3], rng.randint(0, 3))
    if rng.random() < 0.3:
        params.append(rng.choice(["*a", "*d"]))
    if rng.random() < 0.3:
        params.append(rng.choice(["**a", "**e"]))
    if rng.random() < 0.2 and params:
        params.insert(rng.randrange(len(params) + 1), params[0].lstrip("*"))
    is_async = rng.random() < 0.2
    body = [s for s in IN_FUNCTIONS if not (is_async and s == "return 1")]  # an async generator returns nothing
    lines = [f"{indent}{'async def' if is_async else 'def'} f({', '.join(params)}):"]
    inner = indent + "    "
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.25:
            lines += [f"{inner}if x:", f"{inner}    {rng.choice(body)}"]
        else:
            lines.append(inner + rng.choice(body))
    return lines


def _block(rng: random.Random, indent: str, depth: int) -> list[str]:
    lines: list[str] = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if depth < 3 and roll < 0.35:
            kind = rng.choice(["if x:", "for i in y:", "while x:", "class C:", "with y:", "try:", "for-else"])
            inner = indent + "    "
            if kind == "for-else":
                lines += [f"{indent}for i in y:", *_block(rng, inner, depth + 1), f"{indent}else:",
                          *_block(rng, inner, depth + 1)]
            elif kind == "try:":
                lines += [f"{indent}try:", *_block(rng, inner, depth + 1), f"{indent}except E:",
                          *_block(rng, inner, depth + 1), f"{indent}finally:", *_block(rng, inner, depth + 1)]
            else:
                lines += [indent + kind, *_block(rng, inner, depth + 1)]
        elif roll < 0.5:
            lines += _function(rng, indent)
        else:
            lines.append(indent + rng.choice(SIMPLE))
    return lines


def test_random_modules_agree_with_compile():
    """3,000 random modules (fixed seed), about half of them with at least one compile error."""
    rng = random.Random(20261126)
    failing = 0
    for _ in range(3000):
        lines = []
        if rng.random() < 0.3:
            lines.append('"""module docstring"""')
        if rng.random() < 0.4:
            lines.append("from __future__ import annotations")
        lines += _block(rng, "", 0)
        source = "\n".join(lines) + "\n"
        try:
            ast.parse(source)
        except SyntaxError:
            continue  # the parser's own errors are the scan's other path
        truth = compiled(source)
        failing += truth is not None
        assert scanned(source) == truth, source
    assert failing > 1000
