"""PEP 562 ``__getattr__`` readers: what a module-level ``__getattr__`` serves, read from its source.

The forms read, each found in a released package and checked against its runtime:

- a dict looked up by name (``name in MAP`` / ``MAP[name]`` / ``MAP.get(name)``) and handed to ``import_module``,
  directly or through a helper of the package (langchain-core's ``import_attr``), or handed whole to such a helper
  with the name (Speakeasy's ``lazy_getattr``, mistralai); its values a module, a (module, name) pair (openai 1.x),
  a (package, relative module) pair (pydantic) or a (module, is_submodule) pair (stripe); an entry the function
  answers with the module itself is a submodule key (Fern's ``if module_name == f".{attr_name}"``, cohere);
- a list, set or literal of submodule keys (scipy, google-genai), or one a helper is handed (Speakeasy's
  ``sub_packages``);
- groups of names, each fetched from one module (openai 3.x's ``if name in _COMPUTER_EXPORTS``, mistralai.extra;
  the module spelled by a module-level constant in litellm.sandbox);
- names compared one by one, each branch returning what an import gives, directly or through a module-level helper
  (langchain_community.llms' ``if name == "AI21": return _import_ai21()``), or a submodule (numpy's ``import
  numpy.linalg as linalg; return linalg``);
- a ``__getattr__`` a function of the package installs into the ``globals()`` it is handed (websockets), or one
  that hands the name to an importer a function of the package returned (langchain's ``create_importer``).

Each becomes a ``pep562`` :class:`LazyModule`; how the imported module is spelled is read by :mod:`.spelling`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import LazyModule, LazyName, ModuleFacts, SourceRef, Undecided
from .evaluator import EvaluationResult, bind_arguments
from .spelling import (
    HOLE,
    assigned_locals,
    calls_import_module,
    first_parameter,
    import_arguments,
    is_spec_parent,
    resolve_relative,
    spelled,
    spelled_import,
)
from .values import Function, Globals, ImportedName

if TYPE_CHECKING:
    from . import _Context


def from_getattr(facts: ModuleFacts, function: Function, result: EvaluationResult,
                  context: _Context) -> LazyModule | None:
    """A PEP 562 ``__getattr__`` that looks the name up in a module-level dict of name -> module, of name ->
    (module, name) as openai's generated inits write it, or of name -> (package, relative module) handed to
    ``import_module(module, package=package)`` as pydantic's does: ``name in MAP``, ``MAP[name]`` or
    ``MAP.get(name)`` (huggingface_hub.utils, pydantic); or that serves the submodules a module-level list names
    (``if name in submodules: return import_module(f"scipy.{name}")``: scipy, scikit-learn, dateutil); or that hands
    the name to an importer a function of the package returned (langchain's ``create_importer``)."""
    importer = _called_importer(function.node, result)
    if importer is not None:
        return _from_importer(facts, importer, function.node.lineno, result, context)
    is_dict = _module_dict(result)
    spelling = _table_import(function.node, is_dict, facts)
    # else the first dict looked up: its value goes to a helper that imports it (langchain-core's import_attr); an
    # empty one is a cache the function fills (textual.widgets' _WIDGETS_LAZY_LOADING_CACHE), not a table
    def filled(name: str) -> bool:
        return is_dict(name) and bool(result.scope[name])

    mapping_name = spelling.table if spelling is not None else next(
        (table for node in ast.walk(function.node) if (table := _looked_up_dict(node, filled)) is not None),
        None) or _handed_dict(function.node, filled, result, context)
    if mapping_name is not None and not _imports_module(function.node, result, context):
        mapping_name = None
    unread_helper = None
    if mapping_name is not None and spelling is None:  # the module may be spelled in a helper the name goes to
        spelling, unread_helper = _helper_spelling(function.node, mapping_name, result, facts)
    listed = _submodule_list(function.node, result.scope, facts.name) or _handed_submodules(
        function.node, result, facts, context)
    grouped = _name_groups(function.node, result, facts, context) if mapping_name is None else {}
    branches, keys = _named_branches(function.node, result, facts, context) if mapping_name is None else ({}, {})
    grouped = {**branches, **grouped}
    listed = {**keys, **listed} if listed is not None else keys or None
    if mapping_name is None and listed is None and not grouped:
        return None
    lazy = LazyModule(name=facts.name, path=facts.path, line=function.node.lineno, style="pep562",
                      type_checking=result.type_checking, undecided=list(result.undecided),
                      import_fallback=_import_fallback(function.node))
    if mapping_name is not None:
        mapping = result.scope[mapping_name]
        if _flag_selects_module(function.node, mapping_name):  # stripe's ``{name: (module, is_submodule)}``
            keys = {name: target[0] for name, target in mapping.items() if _flagged(target) and target[1]}
            lazy.module_keys.update({str(k): _resolve_module(facts, str(m), context) for k, m in keys.items()})
            mapping = {name: target[0] if _flagged(target) else target for name, target in mapping.items()
                       if name not in keys}
        if unread_helper is not None:  # pyvista's f"{root}.{_VTK_SUBMODULES[name]}", root chosen at runtime
            lazy.undecided.extend(Undecided(getattr(name, "path", facts.path), getattr(name, "line", lazy.line),
                                            f"{unread_helper}() builds the module it imports from "
                                            f"{mapping_name}[{name!r}] in a way not read")
                                  for name in mapping)
            mapping = {}
        _read_table(lazy, facts, mapping_name, mapping, function.node.lineno, context,
                    names_treated_apart(function.node), spelling, _value_split(function.node, mapping_name))
        _serve_modules_as_themselves(lazy, function.node, mapping)
        if _returns_module(function.node):  # sktime: ``return import_module(f".{ALIASES[name]}", __name__)``
            lazy.module_keys.update({name: lazy.names.pop(name).module for name in list(lazy.names)
                                     if name in mapping})
        lazy.submodules = sorted({*lazy.submodules, *lazy.module_keys.values()})
    if listed is not None:
        lazy.module_keys.update(listed)
        lazy.submodules = sorted({*lazy.submodules, *listed.values()})
    if grouped:
        lazy.names.update(grouped)
        lazy.submodules = sorted({*lazy.submodules, *(entry.module for entry in grouped.values())})
    return lazy


_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _import_fallback(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """The line of a ``try:`` whose body imports (``import_module``, an import statement) and whose handler for
    ImportError (or broader) completes without raising: imagecodecs serves a stub for a codec whose extension module
    is missing. mlflow.entities' ``except ImportError: raise AttributeError`` still fails, so it does not count."""
    for node in ast.walk(function):
        if not isinstance(node, ast.Try) or not any(
                isinstance(inner, (ast.Import, ast.ImportFrom)) or isinstance(inner, ast.Call)
                and calls_import_module(inner.func) for statement in node.body for inner in ast.walk(statement)):
            continue
        for handler in node.handlers:
            caught = [handler.type] if not isinstance(handler.type, ast.Tuple) else handler.type.elts
            catches = handler.type is None or any(
                isinstance(kind, ast.Name) and kind.id in _IMPORT_ERRORS for kind in caught)
            if catches and not any(isinstance(statement, ast.Raise) for statement in handler.body):
                return node.lineno
    return None


def _flagged(target: object) -> bool:
    return isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], str) and isinstance(target[1], bool)


def _flag_selects_module(function: ast.FunctionDef | ast.AsyncFunctionDef, table: str) -> bool:
    """The ``__getattr__`` unpacks ``target, is_submodule = TABLE[name]`` and returns the imported module itself
    when the flag is true, else the name fetched from it (the Stripe SDK's generated inits)."""
    argument = first_parameter(function)
    flags = {node.targets[0].elts[1].id for node in ast.walk(function)
             if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple)
             and len(node.targets[0].elts) == 2 and isinstance(node.targets[0].elts[1], ast.Name)
             and isinstance(node.value, ast.Subscript) and isinstance(node.value.value, ast.Name)
             and node.value.value.id == table and isinstance(node.value.slice, ast.Name)
             and node.value.slice.id == argument}
    return any(isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id in flags
               and node.body and isinstance(node.body[0], ast.Return) for node in ast.walk(function))


def _serve_modules_as_themselves(lazy: LazyModule, function: ast.FunctionDef | ast.AsyncFunctionDef,
                                 mapping: dict) -> None:
    """Entries the ``__getattr__`` answers with the imported module itself become module keys: Fern-generated SDKs
    (cohere, elevenlabs) map ``"audio": ".audio"`` and return ``module`` when ``module_name == f".{attr_name}"``,
    not ``getattr(module, "audio")``."""
    argument = first_parameter(function)
    local = assigned_locals(function)
    itself = _module_itself_when(function, argument, local) if argument is not None else None
    if itself is None:
        return
    for name, target in mapping.items():
        if isinstance(name, str) and isinstance(target, str) and name in lazy.names \
                and spelled(itself, {argument: str(name)}, local) == target:
            lazy.module_keys[str(name)] = lazy.names.pop(str(name)).module


def _returns_module(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """The ``__getattr__`` returns the module ``import_module`` gave (the call itself, or a local assigned from it)
    and fetches nothing from it with ``getattr``: every entry of its table is a module key (sktime.forecasting's
    deprecated module names, ``return import_module(f".{_MODULE_ALIASES[name]}", __name__)``)."""
    imported = {name for name, value in assigned_locals(function).items()
                if isinstance(value, ast.Call) and value.args and calls_import_module(value.func)}
    returned = any(isinstance(node, ast.Return) and (
        isinstance(node.value, ast.Call) and node.value.args and calls_import_module(node.value.func)
        or isinstance(node.value, ast.Name) and node.value.id in imported) for node in ast.walk(function))
    fetches = any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
                  for node in ast.walk(function))
    return returned and not fetches


def _module_itself_when(function: ast.FunctionDef | ast.AsyncFunctionDef, argument: str,
                        local: dict[str, ast.expr]) -> ast.expr | None:
    """The string the looked-up value is compared with (``f".{attr_name}"``) in an ``if value == ...:`` whose body
    returns the module ``import_module`` gave, or None."""
    imported = {name for name, value in local.items()
                if isinstance(value, ast.Call) and value.args and calls_import_module(value.func)}
    for node in ast.walk(function):
        if not (isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1
                and isinstance(node.test.ops[0], ast.Eq) and node.body and isinstance(node.body[0], ast.Return)
                and isinstance(node.body[0].value, ast.Name) and node.body[0].value.id in imported):
            continue
        for value, other in ((node.test.left, node.test.comparators[0]), (node.test.comparators[0], node.test.left)):
            if isinstance(value, ast.Name) and value.id in local and value.id not in imported \
                    and HOLE in (spelled(other, {argument: HOLE}, local) or ""):
                return other
    return None


def _name_groups(function: ast.FunctionDef | ast.AsyncFunctionDef, result: EvaluationResult,
                 facts: ModuleFacts, context: _Context) -> dict[str, LazyName]:
    """Names a ``__getattr__`` serves in groups, each group from one module: ``if name in _COMPUTER_EXPORTS:``
    then ``getattr(import_module(".lib.computer", __name__), name)`` (openai 3.x's top level; its
    ``lib.streaming`` tests ``name in __all__``), or ``from . import realtime`` then ``getattr(realtime, name)``
    (mistralai.extra). The group is a module-level list, tuple or set of strings; the module is the same whatever
    the name. The first ``if`` that holds the name serves it, as its body returns."""
    argument = first_parameter(function)
    if argument is None:
        return {}
    local = assigned_locals(function)
    names = _module_strings(result, facts, local)
    served: dict[str, LazyName] = {}
    for test in (node for node in ast.walk(function) if isinstance(node, ast.If)):
        group = _tested_strings(test.test, argument, result.scope)
        if group is None or not isinstance(test.test.comparators[0], ast.Name) \
                or not _fetches_attribute(test.body, argument):
            continue  # (a group is a module-level sequence)
        calls = [node for statement in test.body for node in ast.walk(statement)
                 if isinstance(node, ast.Call) and node.args and calls_import_module(node.func)]
        modules = {spelled_import(call, names, local, facts.package) for call in calls}
        modules.update(_submodules_imported(test.body, facts, context))
        if len(modules) != 1 or None in modules:
            continue  # no import, one spelled from the name (a submodule list), or several: not a group
        module = modules.pop()
        for name in group:
            if str(name) not in served:
                served[str(name)] = LazyName(str(name), module, (), getattr(name, "path", facts.path),
                                             getattr(name, "line", test.lineno))
    return served


def _named_branches(function: ast.FunctionDef | ast.AsyncFunctionDef, result: EvaluationResult,
                    facts: ModuleFacts, context: _Context) -> tuple[dict[str, LazyName], dict[str, str]]:
    """Names a ``__getattr__`` compares its argument with one by one, each branch returning what an import gave:
    ``if name == "AI21": return _import_ai21()``, the module-level ``_import_ai21`` doing ``from
    langchain_community.llms.ai21 import AI21`` and returning it (langchain_community.llms), or the branch doing
    so itself. A branch returning a module it imported (numpy's ``import numpy.linalg as linalg; return linalg``)
    serves a module key. A branch that returns an object of another name (``name == "Baichuan"`` gives
    ``BaichuanLLM``, werkzeug's deprecated ``OrderedMultiDict`` gives ``_OrderedMultiDict``) serves it under that
    name (:attr:`LazyName.attribute`). The first branch that holds the name serves it.
    Returns (names, module keys)."""
    argument = first_parameter(function)
    served: dict[str, LazyName] = {}
    keys: dict[str, str] = {}
    if argument is None:
        return served, keys
    names = _module_strings(result, facts, assigned_locals(function))
    for branch in (node for node in ast.walk(function) if isinstance(node, ast.If)):
        tested = _compared_strings(branch.test, argument)
        imported = _returned_import(branch.body, result, names) if tested else None
        if imported is None:
            continue
        module, attribute = imported
        submodule = module if attribute is None else f"{module}.{attribute}"
        for name in tested:
            if name in served or name in keys:
                continue
            if submodule in context.facts:
                keys[name] = submodule
            elif attribute is None:
                continue  # ``import json as name``: another package's module, not a lazy entry
            else:  # under another name: ``name == "Baichuan"`` gives ``BaichuanLLM``
                served[name] = LazyName(name, module, (), facts.path, branch.lineno,
                                        attribute=None if name == attribute else attribute)
    return served, keys


def _compared_strings(test: ast.expr, argument: str) -> list[str]:
    """``name == "X"``, or ``name == "X" or name == "Y"``: the strings, else nothing."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.Or) else [test]
    strings = []
    for part in parts:
        if not (isinstance(part, ast.Compare) and len(part.ops) == 1 and isinstance(part.ops[0], ast.Eq)):
            return []
        sides = (part.left, part.comparators[0])
        value = next((side.value for side in sides if isinstance(side, ast.Constant)), None)
        if not isinstance(value, str) or not any(isinstance(side, ast.Name) and side.id == argument for side in sides):
            return []
        strings.append(value)
    return strings


def _module_strings(result: EvaluationResult, facts: ModuleFacts, local: Mapping[str, ast.expr]) -> dict[str, str]:
    """What the names a ``__getattr__`` may spell a module with stand for: ``__name__``, ``__package__`` and the
    module-level strings it does not shadow (litellm.sandbox's ``_HARNESS_SANDBOX_MODULE: Final = "..."``)."""
    names = {name: value for name, value in result.scope.items() if isinstance(value, str) and name not in local}
    names.update({"__name__": facts.name, "__package__": facts.package})
    return names


def _returned_import(body: list[ast.stmt], result: EvaluationResult, names: dict[str, str],
                     depth: int = 0) -> tuple[str, str | None] | None:
    """``(module, name)`` when ``body`` returns a name a ``from module import name`` in it bound, ``(module, None)``
    when an ``import module as name`` bound it or it returns ``import_module(module)`` (panel.chat), or the result of
    calling, without arguments, a module-level function whose body does either (a few calls deep). ``names``: what
    names spell (:func:`_module_strings`)."""
    package = names["__package__"]
    body = list(_outside_try(body))  # mlflow.entities: ``try: from ... import X; return X`` / ``except ImportError:``
    returned = next((statement.value for statement in body if isinstance(statement, ast.Return)), None)
    if isinstance(returned, ast.Call) and returned.args and calls_import_module(returned.func):
        module = spelled_import(returned, names, {}, package)
        return (module, None) if module else None
    if isinstance(returned, ast.Call) and isinstance(returned.func, ast.Name) and not returned.args \
            and not returned.keywords:
        helper = result.functions.get(returned.func.id)
        if not isinstance(helper, Function) or depth > 3:
            return None
        return _returned_import(helper.node.body, result, names, depth + 1)
    if not isinstance(returned, ast.Name):
        return None
    for statement in body:
        if isinstance(statement, ast.Import):
            bound = next((alias.name for alias in statement.names if alias.asname == returned.id), None)
            if bound is not None:
                return bound, None
        if not isinstance(statement, ast.ImportFrom):
            continue
        for alias in statement.names:
            if (alias.asname or alias.name) == returned.id:
                module = _from_module(statement, package)
                return (module, alias.name) if module else None
    return None


def _from_module(node: ast.ImportFrom, package: str) -> str | None:
    """The absolute module a ``from ... import`` statement imports from (None above the top-level package)."""
    return resolve_relative("." * node.level + (node.module or ""), package) if node.level else node.module


def _outside_try(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of ``body``, those of a ``try:`` block in their place."""
    for statement in body:
        if isinstance(statement, ast.Try):
            yield from _outside_try(statement.body)
        else:
            yield statement


def _submodules_imported(body: list[ast.stmt], facts: ModuleFacts, context: _Context) -> set[str]:
    """Submodules a block imports by statement (``from . import realtime``, ``from pkg import sub``)."""
    found = set()
    for node in (node for statement in body for node in ast.walk(statement) if isinstance(node, ast.ImportFrom)):
        base = _from_module(node, facts.package)
        for alias in node.names:
            if base is not None and f"{base}.{alias.name}" in context.facts:
                found.add(f"{base}.{alias.name}")
    return found


def _tested_strings(node: ast.AST, argument: str, scope: Mapping[str, object]) -> list[str] | None:
    """The strings ``node`` (``name in GROUP``) tests the name against, in their order: a module-level list, tuple
    or set (``scope`` holds the module's values), or a literal one (google-genai's ``name in {'agents', ...}``)."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In)
            and isinstance(node.left, ast.Name) and node.left.id == argument):
        return None
    listed = node.comparators[0]
    if isinstance(listed, ast.Name):
        value = scope.get(listed.id)
    elif isinstance(listed, (ast.Set, ast.List, ast.Tuple)):
        value = [e.value for e in listed.elts if isinstance(e, ast.Constant)]
        value = value if len(value) == len(listed.elts) else None
    else:
        return None
    if isinstance(value, (list, tuple, set, frozenset)) and value and all(isinstance(v, str) for v in value):
        return list(value) if isinstance(value, (list, tuple)) else sorted(value)
    return None


def _fetches_attribute(body: list[ast.stmt], argument: str) -> bool:
    """The block fetches the attribute the name names from what it imported (``getattr(module, name)``)."""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
               and len(node.args) >= 2 and isinstance(node.args[1], ast.Name) and node.args[1].id == argument
               for statement in body for node in ast.walk(statement))


def _submodule_list(function: ast.FunctionDef | ast.AsyncFunctionDef, scope: Mapping[str, object],
                    module: str, bound: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """``{key: module}`` for a module-level list of keys a ``__getattr__`` serves as modules: it tests ``name in
    LIST`` and imports a submodule of this package spelled from the name (``f"scipy.{name}"``, ``"." + name``
    from ``__name__``, or through a local such as huggingface_hub.utils' ``"tqdm" if name == "_tqdm" else name``),
    or returns one module whatever the key (sktime's flattened subpackages: ``return import_module(__name__)``).
    ``scope``: the values of the names ``function`` reads (the module's); ``bound``: other names' strings (a helper's
    ``package`` parameter, handed ``__package__``)."""
    argument = first_parameter(function)
    if argument is None:
        return None
    tested = next((strings for node in ast.walk(function)
                   if (strings := _tested_strings(node, argument, scope)) is not None), None)
    if tested is None:
        return None
    keys = sorted({str(v) for v in tested})
    local = assigned_locals(function)
    returned = {id(node.value) for node in ast.walk(function) if isinstance(node, ast.Return)}
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and node.args and calls_import_module(node.func)):
            continue
        name_argument = import_arguments(node)[0]
        itself = id(node) in returned  # sktime's flattened modules: ``return import_module(__name__)`` for each key
        if HOLE not in (spelled(name_argument, {**(bound or {}), argument: HOLE, "__name__": module}, local) or "") \
                and not itself:
            continue  # the same module whatever the name (``getattr(import_module("._impl", __name__), name)``)
        served = {key: spelled_import(node, {**(bound or {}), argument: key, "__name__": module}, local)
                  for key in keys}
        if all(m is not None and (m.startswith(module + ".") or itself and m == module) for m in served.values()):
            return served
    return None


@dataclass(frozen=True)
class TableImport:
    """How a ``__getattr__`` turns the value it looks up in ``table`` into the module it imports:
    ``import_module(template with the value in place of HOLE, package)``."""

    table: str
    template: str
    package: str | None

    def module(self, value: str) -> str | None:
        target = self.template.replace(HOLE, value)
        if target.startswith("."):
            return resolve_relative(target, self.package) if self.package else None
        return target


def _table_import(function: ast.FunctionDef | ast.AsyncFunctionDef, is_table: Callable[[str], bool],
                  facts: ModuleFacts | None) -> TableImport | None:
    """The dict whose looked-up value a call of ``import_module`` in ``function`` is spelled from, and how
    (``import_module(MAP[name])``, ``import_module("." + MAP[name], __name__)``, through a local): the table
    that decides the module, not one the body consults first (``if name in REMOVED: raise ...``). ``facts``:
    the module ``function`` runs in, whose ``__name__`` and ``__spec__.parent`` anchor relative imports."""
    lookups: dict[int, str] = {}
    for node in ast.walk(function):
        if isinstance(node, (ast.Subscript, ast.Call)):
            table = _looked_up_dict(node, is_table)
            if table is not None:
                lookups[id(node)] = table
    if not lookups:
        return None
    local = assigned_locals(function)
    names = {"__name__": facts.name, "__package__": facts.package} if facts is not None else {}
    for call in ast.walk(function):
        if not (isinstance(call, ast.Call) and call.args and calls_import_module(call.func)):
            continue
        name, package = import_arguments(call)
        for table in dict.fromkeys(lookups.values()):
            template = spelled(name, names, local, {i: HOLE for i, t in lookups.items() if t == table})
            if template is None or HOLE not in template:
                continue
            anchor = facts.package if facts is not None and is_spec_parent(package) else (
                spelled(package, names, local) if package is not None else None)
            return TableImport(table, template, anchor)
    return None


def _helper_spelling(function: ast.FunctionDef | ast.AsyncFunctionDef, table: str, result: EvaluationResult,
                     facts: ModuleFacts) -> tuple[TableImport | None, str | None]:
    """How a helper of this module that ``function`` hands the name to spells the module it imports from its own
    lookup of ``table``: ``(spelling, None)`` when read, ``(None, helper's name)`` when the helper's
    ``import_module`` argument looks ``table`` up but is built from something not known statically
    (pyvista-validation's ``import_module(f"{root}.{_VTK_SUBMODULES[name]}")``, ``root`` chosen at runtime);
    ``(None, None)`` when no helper does such a lookup."""
    is_table = table.__eq__
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        helper = result.scope.get(node.func.id)
        if not isinstance(helper, Function):
            continue
        spelled_here = _table_import(helper.node, is_table, facts)
        if spelled_here is not None:
            return spelled_here, None
        for call in ast.walk(helper.node):
            if (isinstance(call, ast.Call) and call.args and calls_import_module(call.func)
                    and any(_looked_up_dict(inner, is_table) for inner in ast.walk(call.args[0]))):
                return None, node.func.id
    return None, None


def _read_table(lazy: LazyModule, facts: ModuleFacts, table: str, mapping: dict, line: int, context: _Context,
                apart: dict[str, int] | None = None, spelling: TableImport | None = None,
                split: ValueSplit | None = None) -> None:
    """Add the names a PEP 562 table serves to ``lazy`` (a name already there, from an earlier table, stays):
    ``name -> module``, openai's ``name -> (module, name)``, pydantic's ``name -> (package, ".module")``.
    ``apart``: names the ``__getattr__`` special-cases (by line), which are undecided. ``spelling``: how the
    ``__getattr__`` builds the imported module from a ``name -> module`` value, when it was read. ``split``: how it
    splits a ``"module:attribute"`` value (vllm)."""
    for name, target in mapping.items():
        if apart and name in apart:  # filelock: ``value = module if name == "asyncio" else getattr(module, name)``
            lazy.undecided.append(Undecided(facts.path, apart[name], f"__getattr__ treats {name!r} apart from "
                                            f"its {table} lookup: what it serves is not modelled"))
            continue
        attribute = None
        if split is not None and isinstance(target, str) and isinstance(name, str):
            target, attribute = split.parts(target)
            if target is None:
                lazy.undecided.append(Undecided(getattr(name, "path", facts.path), getattr(name, "line", line),
                                                f"{table}[{name!r}]: __getattr__ cannot split {mapping[name]!r} at "
                                                f"{split.separator!r}"))
                continue
        absolute = _is_anchored(target)
        if absolute:  # pydantic's ``{"Field": ("pydantic", ".fields")}``
            target = resolve_relative(target[1], target[0])
        elif isinstance(target, tuple) and len(target) == 2 and all(isinstance(part, str) for part in target) \
                and target[1].isidentifier() and not target[1].startswith("__"):
            target, attribute = target  # openai's ``{"Audio": (".audio", "Audio")}``: module and attribute
        if not isinstance(name, str) or not isinstance(target, str) or target.startswith("__"):
            lazy.undecided.append(Undecided(facts.path, getattr(name, "line", line),
                                            f"{table}[{name!r}] is not a module name (or a (module, "
                                            "attribute) or (package, relative module) pair): the name it serves "
                                            "is not modelled"))  # langchain's "__module__": the submodule itself
            continue
        if str(name) in lazy.names:
            continue
        spelled = spelling.module(target) if spelling is not None and not absolute else None
        module = str(target) if absolute else spelled or _resolve_module(facts, str(target), context)
        ref = SourceRef(getattr(name, "path", facts.path), getattr(name, "line", line))
        lazy.names[str(name)] = LazyName(str(name), module, tuple(sorted(getattr(name, "guard", ()))),
                                         ref.path, ref.line, attribute=None if attribute == name else attribute)
    lazy.submodules = sorted({n.module for n in lazy.names.values()})


@dataclass(frozen=True)
class ValueSplit:
    """How a ``__getattr__`` splits the value it looks up into module and attribute: vllm's
    ``module_name, attr_name = MODULE_ATTRS[name].split(":")`` for ``{"LLM": ".entrypoints.llm:LLM"}``."""

    method: str
    """``split``, ``rsplit``, ``partition`` or ``rpartition``."""
    separator: str
    maxsplit: int = -1

    def parts(self, value: str) -> tuple[str | None, str | None]:
        """``(module, attribute)``, or ``(None, None)`` where the runtime's unpacking would fail."""
        if self.method in ("split", "rsplit"):
            pieces = getattr(value, self.method)(self.separator, self.maxsplit)
            return (pieces[0], pieces[1]) if len(pieces) == 2 else (None, None)
        module, found, attribute = (value.partition if self.method == "partition" else value.rpartition)(
            self.separator)
        return (module, attribute) if found else (None, None)


def _value_split(function: ast.FunctionDef | ast.AsyncFunctionDef, table: str) -> ValueSplit | None:
    """How ``function`` splits the value it looks up in ``table`` (directly, or through a local assigned from the
    lookup), if it does."""
    is_table = table.__eq__
    looked_up = {name for name, value in assigned_locals(function).items() if _looked_up_dict(value, is_table)}
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("split", "rsplit", "partition", "rpartition") and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and node.args[0].value):  # (an empty separator raises ValueError at runtime)
            continue
        maxsplit = [*node.args[1:], *(k.value for k in node.keywords if k.arg == "maxsplit")]
        if maxsplit and not (len(maxsplit) == 1 and isinstance(maxsplit[0], ast.Constant)
                             and isinstance(maxsplit[0].value, int)):
            continue
        value = node.func.value
        if _looked_up_dict(value, is_table) or isinstance(value, ast.Name) and value.id in looked_up:
            return ValueSplit(node.func.attr, node.args[0].value, maxsplit[0].value if maxsplit else -1)
    return None


@dataclass(frozen=True)
class Installer:
    """A function that installs a PEP 562 ``__getattr__`` into the namespace it is handed, serving the names of
    the dicts it is given (websockets' ``lazy_import(globals(), aliases={name: ".module"}, ...)``)."""

    parameters: tuple[str, ...]
    namespace: str
    """The parameter that receives ``globals()``."""
    tables: tuple[str, ...]
    """The parameters the inner ``__getattr__`` looks names up in (``aliases[name]``), in the order it does."""

    @staticmethod
    def read(function: ast.FunctionDef) -> Installer | None:
        parameters = tuple(a.arg for a in function.args.args)
        inner = next((n for n in function.body if isinstance(n, ast.FunctionDef) and n.name == "__getattr__"), None)
        if not parameters or inner is None or first_parameter(inner) is None:
            return None
        namespace = parameters[0]
        installs = any(isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == namespace
            and isinstance(t.slice, ast.Constant) and t.slice.value == "__getattr__" for t in n.targets)
            for n in function.body)
        argument = first_parameter(inner)
        tables: list[str] = []
        for node in ast.walk(inner):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) \
                    and node.value.id in parameters[1:] and isinstance(node.slice, ast.Name) \
                    and node.slice.id == argument and node.value.id not in tables:
                tables.append(node.value.id)
        if not installs or not tables:
            return None
        return Installer(parameters, namespace, tuple(tables))

    def bind(self, args: list, kwargs: dict) -> dict[str, object]:
        return bind_arguments(self.parameters, args, kwargs)


def installs_here(installer: Installer, args: list, kwargs: dict) -> bool:
    """The call hands the installer this module's ``globals()``."""
    return isinstance(installer.bind(args, kwargs).get(installer.namespace), Globals)


def from_installer(facts: ModuleFacts, installer: Installer, args: list, kwargs: dict, line: int,
                    result: EvaluationResult, context: _Context) -> LazyModule:
    lazy = LazyModule(name=facts.name, path=facts.path, line=line, style="pep562",
                      type_checking=result.type_checking, undecided=list(result.undecided))
    bound = installer.bind(args, kwargs)
    for table in installer.tables:  # in the order the __getattr__ looks in them: the first that has a name wins
        mapping = bound.get(table)
        if mapping is None:
            continue  # a table left at its default (None): serves nothing
        if isinstance(mapping, dict):
            _read_table(lazy, facts, table, mapping, line, context)
        else:
            lazy.undecided.append(Undecided(facts.path, line, f"{table}= of the lazy import is not evaluated"))
    return lazy


@dataclass(frozen=True)
class ImporterFactory:
    """A function of the package that returns a function serving names from the dicts it is handed, which a
    module's ``__getattr__`` then calls: langchain's ``_import_attribute = create_importer(__package__,
    module_lookup={name: module}, deprecated_lookups={...}, fallback_module=...)`` and ``def __getattr__(name):
    return _import_attribute(name)``."""

    parameters: tuple[str, ...]
    tables: tuple[str, ...]
    """The parameters merged into the dict the returned function looks names up in, the winning one last."""
    spelling: TableImport
    """How the returned function turns a looked-up value into the module it imports."""
    fallback: str | None
    """The parameter naming the module it imports for every other name (``fallback_module``)."""

    @staticmethod
    def read(function: ast.FunctionDef) -> ImporterFactory | None:
        returned = {n.value.id for n in function.body if isinstance(n, ast.Return) and isinstance(n.value, ast.Name)}
        inner = next((n for n in function.body if isinstance(n, ast.FunctionDef) and n.name in returned), None)
        if inner is None or first_parameter(inner) is None:
            return None
        arguments = function.args
        parameters = tuple(a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs))
        # a parameter is a table; so is a local merged from parameters: ``{**(deprecated_lookups or {}), **(...)}``
        merged = {parameter: (parameter,) for parameter in parameters}
        for node in function.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Dict) and node.value.values \
                    and all(key is None for key in node.value.keys):
                parts = [_parameter_or_empty(value, parameters) for value in node.value.values]
                if all(parts):
                    merged[node.targets[0].id] = tuple(parts)
        spelling = _table_import(inner, merged.__contains__, None)
        if spelling is None:
            return None
        fallback = next((call.args[0].id for call in ast.walk(inner) if isinstance(call, ast.Call) and call.args
                         and calls_import_module(call.func) and isinstance(call.args[0], ast.Name)
                         and call.args[0].id in parameters and call.args[0].id not in merged[spelling.table]), None)
        return ImporterFactory(parameters, merged[spelling.table], spelling, fallback)

    def bind(self, args: list, kwargs: dict) -> dict[str, object]:
        return bind_arguments(self.parameters, args, kwargs)


def _parameter_or_empty(node: ast.expr, parameters: tuple[str, ...]) -> str | None:
    """``p`` or ``(p or {})`` for a parameter ``p``."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or) and len(node.values) == 2 \
            and isinstance(node.values[1], ast.Dict) and not node.values[1].keys:
        node = node.values[0]
    return node.id if isinstance(node, ast.Name) and node.id in parameters else None


@dataclass(eq=False)
class Importer:
    """What a call of an :class:`ImporterFactory` returned: the function, with the arguments it was handed."""

    factory: ImporterFactory
    arguments: dict[str, object]
    line: int


def _called_importer(function: ast.FunctionDef | ast.AsyncFunctionDef, result: EvaluationResult) -> Importer | None:
    """The :class:`Importer` a ``__getattr__`` hands its argument to (``return _import_attribute(name)``)."""
    argument = first_parameter(function)
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1 \
                and isinstance(node.args[0], ast.Name) and node.args[0].id == argument:
            importer = result.scope.get(node.func.id)
            if isinstance(importer, Importer):
                return importer
    return None


def _from_importer(facts: ModuleFacts, importer: Importer, line: int, result: EvaluationResult,
                   context: _Context) -> LazyModule:
    lazy = LazyModule(name=facts.name, path=facts.path, line=line, style="pep562",
                      type_checking=result.type_checking, undecided=list(result.undecided))
    factory = importer.factory
    served: dict = {}
    for table in factory.tables:  # merged in this order: a later table's entry wins
        mapping = importer.arguments.get(table)
        if isinstance(mapping, dict):
            served.update(mapping)
        elif mapping is not None:
            lazy.undecided.append(Undecided(facts.path, importer.line, f"{table}= of the importer is not evaluated"))
    _read_table(lazy, facts, "/".join(factory.tables), served, importer.line, context, spelling=factory.spelling)
    fallback = importer.arguments.get(factory.fallback) if factory.fallback is not None else None
    if fallback is not None:
        lazy.undecided.append(Undecided(facts.path, importer.line, f"every other name is looked up in "
                                        f"{factory.fallback}={fallback!r}: what it serves is not modelled"))
    return lazy


def _handed_submodules(function: ast.FunctionDef | ast.AsyncFunctionDef, result: EvaluationResult,
                       facts: ModuleFacts, context: _Context) -> dict[str, str] | None:
    """The submodule keys a helper the ``__getattr__`` hands the name to serves from a list it is handed too
    (Speakeasy's ``lazy_getattr(attr_name, package=__package__, dynamic_imports=..., sub_packages=_sub_packages)``,
    google.genai: ``if sub_packages and attr_name in sub_packages: return import_module(f".{attr_name}", package)``),
    read from the helper with its parameters bound to what this call hands it."""
    argument = first_parameter(function)
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args
                and isinstance(node.args[0], ast.Name) and node.args[0].id == argument):
            continue
        helper = result.scope.get(node.func.id)
        definition = helper.node if isinstance(helper, Function) else (
            context.helper_function(helper) if isinstance(helper, ImportedName) else None)
        if definition is None:
            continue
        parameters = [a.arg for a in (*definition.args.posonlyargs, *definition.args.args,
                                       *definition.args.kwonlyargs)]
        handed = dict(zip(parameters, node.args)) | {k.arg: k.value for k in node.keywords if k.arg}
        scope, bound = {}, {}
        for parameter, value in handed.items():
            if isinstance(value, ast.Name) and value.id in ("__package__", "__name__"):
                bound[parameter] = facts.package if value.id == "__package__" else facts.name
            elif isinstance(value, ast.Name) and value.id in result.scope:
                scope[parameter] = result.scope[value.id]
        listed = _submodule_list(definition, scope, facts.name, bound)
        if listed:
            return listed
    return None


def _handed_dict(function: ast.FunctionDef | ast.AsyncFunctionDef, is_table: Callable[[str], bool],
                 result: EvaluationResult, context: _Context) -> str | None:
    """The module-level dict a ``__getattr__`` hands, with the name, to a helper of the package that imports modules
    (Speakeasy-generated SDKs, mistralai 3.x: ``return lazy_getattr(attr_name, package=__package__,
    dynamic_imports=_dynamic_imports)``, whose helper looks the name up and imports ``import_module(value,
    package)``)."""
    argument = first_parameter(function)
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and any(isinstance(a, ast.Name) and a.id == argument for a in node.args)):
            continue
        helper = result.scope.get(node.func.id)
        imports = (isinstance(helper, Function) and calls_import_module(helper.node)
                   or isinstance(helper, ImportedName) and context.helper_imports_module(helper))
        if not imports:
            continue
        for value in [*node.args, *(keyword.value for keyword in node.keywords)]:
            if isinstance(value, ast.Name) and is_table(value.id):
                return value.id
    return None


def _imports_module(function: ast.FunctionDef | ast.AsyncFunctionDef, result: EvaluationResult,
                    context: _Context) -> bool:
    """Whether ``function`` calls ``import_module``, itself or through a helper of the package that does
    (langchain_core's ``import_attr(attr_name, module_name, __spec__.parent)``)."""
    if calls_import_module(function):
        return True
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            helper = result.scope.get(node.func.id)
            if isinstance(helper, Function) and calls_import_module(helper.node):
                return True
            if isinstance(helper, ImportedName) and context.helper_imports_module(helper):
                return True
    return False


def names_treated_apart(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, int]:
    """Names a ``__getattr__`` compares its argument with (``name == "asyncio"``, ``name in ("a", "b")``), by
    line: the body may serve them otherwise than by the table lookup that is modelled."""
    argument = first_parameter(function)
    if argument is None:
        return {}
    apart: dict[str, int] = {}
    for node in ast.walk(function):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, right = node.left, node.comparators[0]
        if isinstance(right, ast.Name) and right.id == argument:
            left, right = right, left
        if not (isinstance(left, ast.Name) and left.id == argument):
            continue
        values = right.elts if isinstance(right, (ast.Tuple, ast.List, ast.Set)) else [right]
        for value in values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                apart.setdefault(value.value, node.lineno)
    return apart


def _is_anchored(target: object) -> bool:
    """``(package, ".relative.module")``: the two arguments of ``import_module(name, package)``."""
    return (isinstance(target, tuple) and len(target) == 2 and all(isinstance(part, str) for part in target)
            and target[1].startswith(".") and bool(target[0]))


def _module_dict(result: EvaluationResult) -> Callable[[str], bool]:
    return lambda name: isinstance(result.scope.get(name), dict)


def _looked_up_dict(node: ast.AST, is_table: Callable[[str], bool]) -> str | None:
    """The dict ``node`` looks a name up in (``name in MAP``, ``MAP[name]``, ``MAP.get(name)``), if ``is_table``
    says that name is one (a module-level dict)."""
    if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In):
        table = node.comparators[0]
    elif isinstance(node, ast.Subscript):
        table = node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        table = node.func.value
    else:
        return None
    if isinstance(table, ast.Name) and is_table(table.id):
        return table.id
    return None


def _resolve_module(facts: ModuleFacts, target: str, context: _Context) -> str:
    """A module string from a PEP 562 table: relative (``.x``), absolute, or a bare submodule name."""
    if target.startswith("."):
        return resolve_relative(target, facts.package) or target.lstrip(".")
    top = facts.name.split(".")[0]
    if target == top or target.startswith(top + ".") or target in context.facts:
        return target
    return f"{facts.package}.{target}"
