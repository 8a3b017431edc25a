"""Read module-level constants of a helper module (``BASE_FILE_REQUIREMENTS``) without running it.

Only the assignments a wanted name depends on are evaluated, on demand, with the same restricted
evaluator as lazy inits: a ``re.compile`` of a literal, a dict of lambdas, tuples of strings.
"""

from __future__ import annotations

import ast

from ..model import Environment
from .define_structure import BaseRules
from .evaluator import Evaluator
from .values import Lambda, Unknown


class ModuleConstants:
    def __init__(self, module: str, path: str, source: bytes):
        self.path = path
        tree = ast.parse(source, filename=path)
        self.assignments: dict[str, ast.expr] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.assignments[node.targets[0].id] = node.value
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "re" or (isinstance(node, ast.ImportFrom) and node.module == "re"):
                        self.assignments.setdefault(alias.asname or alias.name, ast.Name("__re__"))
        self.evaluator = Evaluator(module, path, False, Environment(), resolver=self._resolve)
        self._resolving: set[str] = set()

    def _resolve(self, name: str) -> object:
        if name == "__re__" or (name == "re" and name not in self.assignments):
            from .values import ModuleRef

            return ModuleRef("re")
        node = self.assignments.get(name)
        if node is None or name in self._resolving:
            return None
        self._resolving.add(name)
        try:
            value = self.evaluator.eval(node)
        finally:
            self._resolving.discard(name)
        self.evaluator.scope[name] = value
        return value

    def get(self, name: str) -> object:
        return self._resolve(name)


def read_base_rules(module: str, path: str, source: bytes) -> BaseRules | None:
    """The analysed package's own ``BASE_FILE_REQUIREMENTS``, or None when it cannot be evaluated."""
    try:
        constants = ModuleConstants(module, path, source)
    except (SyntaxError, ValueError, RecursionError):
        return None
    table = constants.get("BASE_FILE_REQUIREMENTS")
    if not isinstance(table, dict) or not table:
        return None
    rules = []
    line = getattr(constants.assignments.get("BASE_FILE_REQUIREMENTS"), "lineno", 0)
    for check, backends in table.items():
        if not isinstance(check, Lambda) or not isinstance(backends, tuple):
            return None
        arity = len(check.node.args.args)
        if arity not in (1, 2):
            return None
        rules.append((_rule(constants.evaluator, check, arity), tuple(str(b) for b in backends)))
    return BaseRules(rules, f"{path}:{line}")


def _rule(evaluator: Evaluator, check: Lambda, arity: int):
    def applies(name: str, content: str) -> bool | None:
        args = [name, content][:arity]
        value = evaluator.call_lambda(check, args, check.node.lineno)
        if isinstance(value, Unknown):
            return None  # undecided: the reader records it, never a silent "no match"
        return bool(value)

    return applies
