"""Read module-level constants of a helper module (``BASE_FILE_REQUIREMENTS``) without running it.

Only the assignments a wanted name depends on are evaluated, on demand, with the same restricted
evaluator as lazy inits: a ``re.compile`` of a literal, a dict of lambdas, tuples of strings.
"""

from __future__ import annotations

import ast

from ..model import Environment
from ..scan.read import parse_source
from .define_structure import BaseRules, DirectoryWalk
from .evaluator import Evaluator
from .values import Lambda, Unknown


class ModuleConstants:
    def __init__(self, module: str, path: str, source: bytes):
        self.path = path
        tree = parse_source(source, path)
        self.tree = tree
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
    return BaseRules(rules, f"{path}:{line}", directory_walk(constants.tree))


def directory_walk(tree: ast.Module) -> DirectoryWalk:
    """What ``create_import_structure_from_path`` in this module skips, read from its code: a
    ``name.startswith(("convert_", "modular_"))`` test (5.x), or ``find_substring("modular_", ...)`` (4.45-5.0);
    and the decorator its line scanner looks for (``"@export"`` before 4.52). Without the function, 5.23's."""
    function = next((node for node in tree.body if isinstance(node, ast.FunctionDef)
                     and node.name == "create_import_structure_from_path"), None)
    if function is None:
        return DirectoryWalk()
    prefixes: tuple[str, ...] = ()
    modular = False
    decorator = "@requires"
    for node in ast.walk(function):
        if isinstance(node, ast.Constant) and node.value == "@export":  # ``if "@export" in file_content:``
            decorator = "@export"
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "startswith" and node.args:
            arg = node.args[0]
            texts = arg.elts if isinstance(arg, ast.Tuple) else [arg]
            values = tuple(t.value for t in texts if isinstance(t, ast.Constant) and isinstance(t.value, str))
            if any(v in ("convert_", "modular_") for v in values):
                prefixes = values
        if isinstance(func, ast.Name) and func.id == "find_substring" and node.args and \
                isinstance(node.args[0], ast.Constant) and node.args[0].value == "modular_":
            modular = True
    return DirectoryWalk(prefixes, modular, decorator)


def _rule(evaluator: Evaluator, check: Lambda, arity: int):
    def applies(name: str, content: str) -> bool | None:
        args = [name, content][:arity]
        value = evaluator.call_lambda(check, args, check.node.lineno)
        if isinstance(value, Unknown):
            return None  # undecided: the reader records it, never a silent "no match"
        return bool(value)

    return applies
