"""Stage 3: rebuild every lazy map of the package exactly as the runtime would build it.

Each init that looks lazy is evaluated by :class:`~importgraph.lazy.evaluator.Evaluator`; the lazy
objects it installs (``_LazyModule``, ``lazy_loader.attach``/``attach_stub``, a PEP 562
``__getattr__`` over a name -> module dict) are turned into :class:`~importgraph.model.LazyModule`.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from ..model import (
    DeadEntry,
    DuplicateEntry,
    Environment,
    LazyModule,
    LazyName,
    ModuleFacts,
    ParseProblem,
    SourceRef,
    Undecided,
)
from ..inputs import is_file, note_context, note_digest
from ..scan.read import read_source
from .define_structure import BaseRules, StructureReader, builtin_rules, package_rules
from .evaluator import EvaluationResult, Evaluator, Hooks, bind_arguments
from .runtime import emulate, qualify
from .values import Function, Globals, ImportedName, LazyBuild, ObjectRef, PathValue, Tagged, Unknown

__all__ = ["LazyStage", "build_lazy_modules"]

_LAZY_KINDS = {"lazymodule", "lazy_loader", "relative_import", "getattr", "hands_over_globals"}


@dataclass
class LazyStage:
    """Everything the lazy stage produces."""

    modules: dict[str, LazyModule] = field(default_factory=dict)
    problems: list[ParseProblem] = field(default_factory=list)
    structure_files: set[str] = field(default_factory=set)
    """Module files ``define_import_structure`` reads (paths), for rule IG008."""
    rules_source: str | None = None
    init_trees: dict[str, ast.Module] = field(default_factory=dict)
    """The parsed inits the stage evaluated (path -> tree), so rule IG005 does not parse them again."""


class _Context:
    """What evaluating one package's inits needs to know about the rest of it."""

    def __init__(self, facts: dict[str, ModuleFacts], env: Environment, search_path: tuple[str, ...],
                 scanned_trees: dict[str, tuple[bytes, ast.Module]] | None = None):
        self.facts = facts
        self.scanned_trees = scanned_trees or {}
        self.env = env
        self.search_path = search_path
        self.reader: StructureReader | None = None
        self.problems: list[ParseProblem] = []
        self.backends = _known_backends(facts)
        self.trees: dict[str, ast.Module] = {}
        self.helpers: dict[ImportedName, bool] = {}
        """Functions of the package a PEP 562 ``__getattr__`` delegates to: do they call ``import_module``?"""
        self.installers: dict[ImportedName, Installer | None] = {}
        """Functions of the package a module hands its ``globals()`` to: do they install a ``__getattr__``?"""
        self.factories: dict[ImportedName, ImporterFactory | None] = {}
        """Functions of the package that return a name importer (langchain's ``create_importer``)."""
        self.helper_trees: dict[str, ast.Module | None] = {}
        """The modules defining those functions (path -> tree), parsed once per run."""

    def public_names(self, module: str) -> list[tuple[str, int]] | None:
        facts = self.facts.get(module)
        if facts is None or facts.problem is not None:
            return None
        return [(name, b.line) for name, b in facts.bindings.items() if not name.startswith("_")]

    def structure_reader(self, define: ImportedName) -> StructureReader:
        if self.reader is None:
            scanned = {facts.path: facts for facts in self.facts.values()}
            self.reader = StructureReader(self._base_rules(define), scanned)
        return self.reader

    def _base_rules(self, define: ImportedName) -> BaseRules:
        """``BASE_FILE_REQUIREMENTS`` of the module that really defines ``define_import_structure``."""
        module = define.module
        for _ in range(5):  # follow re-exports: transformers.utils -> transformers.utils.import_utils
            facts = self.facts.get(module)
            if facts is None:
                break
            binding = facts.bindings.get(define.name)
            if binding is None or binding.kind != "import" or not binding.source:
                break
            module = binding.source.partition(":")[0]
        path = self._module_path(module)
        rules = package_rules(module, path) if path is not None else None
        if rules is None:
            return builtin_rules()
        note_context("structure_rules", (module, path))  # rules_from_context() rebuilds them
        return rules

    def helper_imports_module(self, helper: ImportedName) -> bool:
        """Whether ``helper``, a function defined at the top of a module of the package, calls ``import_module``
        (the module is read here: any change to it invalidates the result cache's entry)."""
        if helper not in self.helpers:
            function = self._helper_function(helper)
            self.helpers[helper] = function is not None and _calls_import_module(function)
        return self.helpers[helper]

    def namespace_installer(self, helper: ImportedName) -> Installer | None:
        """``helper`` as an :class:`Installer`, when it is a function of the package that installs a
        ``__getattr__`` into the namespace it is handed (websockets' ``lazy_import``)."""
        if helper not in self.installers:
            function = self._helper_function(helper)
            self.installers[helper] = Installer.read(function) if isinstance(function, ast.FunctionDef) else None
        return self.installers[helper]

    def importer_factory(self, helper: ImportedName) -> ImporterFactory | None:
        """``helper`` as an :class:`ImporterFactory`, when it is a function of the package that returns a function
        serving names from the dicts it is handed (langchain's ``create_importer``)."""
        if helper not in self.factories:
            function = self._helper_function(helper)
            self.factories[helper] = ImporterFactory.read(function) if isinstance(function, ast.FunctionDef) else None
        return self.factories[helper]

    def _helper_function(self, helper: ImportedName) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The definition of ``helper``, a function at the top of a module of the package (the module is read
        here: any change to it invalidates the result cache's entry)."""
        for _ in range(5):  # through re-exports: langchain_classic._api -> langchain_classic._api.module_import
            facts = self.facts.get(helper.module)
            binding = facts.bindings.get(helper.name) if facts is not None and facts.problem is None else None
            if binding is None or binding.kind != "import" or not binding.source or ":" not in binding.source:
                break
            helper = ImportedName(*binding.source.split(":", 1))
        if binding is None or binding.kind != "def" or not facts.path.endswith(".py"):
            return None
        if facts.path not in self.helper_trees:
            try:
                self.helper_trees[facts.path] = ast.parse(read_source(facts.path), filename=facts.path)
            except (OSError, SyntaxError, ValueError):
                self.helper_trees[facts.path] = None
        tree = self.helper_trees[facts.path]
        return next((node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and node.name == helper.name), None) if tree is not None else None

    def _module_path(self, module: str) -> str | None:
        facts = self.facts.get(module)
        if facts is not None and facts.path.endswith(".py"):
            return facts.path
        relative = module.replace(".", os.sep)
        for entry in self.search_path:
            for candidate in (os.path.join(entry, relative + ".py"), os.path.join(entry, relative, "__init__.py")):
                if is_file(candidate):
                    return candidate
        return None


def _known_backends(facts: dict[str, ModuleFacts]) -> frozenset[str]:
    """Names of the package's optional backends, from the guards its own code uses."""
    found: set[str] = set()
    for module in facts.values():
        for imp in module.imports:
            found.update(imp.guarded_by)
    return frozenset(found)


def build_lazy_modules(
    facts: dict[str, ModuleFacts], env: Environment, search_path: tuple[str, ...] = (),
    scanned_trees: dict[str, tuple[bytes, ast.Module]] | None = None,
) -> LazyStage:
    """Evaluate every init that builds a lazy module. ``scanned_trees``: inits the scan parsed in this process
    (path -> (sha256, tree)), evaluated without parsing them again."""
    context = _Context(facts, env, search_path, scanned_trees)
    stage = LazyStage()
    for module in sorted(facts):
        module_facts = facts[module]
        if module_facts.problem is not None or not _LAZY_KINDS.intersection(module_facts.lazy_markers):
            continue
        for lazy in _evaluate_module(module_facts, context):
            stage.modules[lazy.name] = lazy
    stage.problems.extend(context.problems)
    stage.init_trees = context.trees
    if context.reader is not None:
        stage.problems.extend(context.reader.problems)
        stage.structure_files = context.reader.files_read
        stage.rules_source = context.reader.rules.source
    return stage


def _evaluate_module(facts: ModuleFacts, context: _Context) -> list[LazyModule]:
    # The file was parsed by the scan already; it can have changed or vanished since (a site-packages
    # being upgraded under us): that is a problem to report, not a crash.
    scanned = context.scanned_trees.get(facts.path)
    try:
        if scanned is not None:  # parsed by the scan in this process: the very bytes its facts came from
            note_digest(facts.path, scanned[0])
            tree = scanned[1]
        else:
            tree = ast.parse(read_source(facts.path), filename=facts.path)
    except OSError as exc:
        context.problems.append(ParseProblem(facts.path, None, f"unreadable: {exc.strerror or exc}"))
        return []
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        context.problems.append(ParseProblem(facts.path, line, f"changed while analysed: {type(exc).__name__}"))
        return []
    context.trees[facts.path] = tree

    def call(func: ImportedName, args: list, kwargs: dict, line: int) -> object:
        if func.name != "define_import_structure":
            installer = context.namespace_installer(func)
            if installer is not None and _installs_here(installer, args, kwargs):
                installs.append((installer, args, kwargs, line))
                return None
            factory = context.importer_factory(func)
            if factory is not None:
                return Importer(factory, factory.bind(args, kwargs), line)
            return NotImplemented
        path = args[0] if args else kwargs.get("module_path")
        prefix = args[1] if len(args) > 1 else kwargs.get("prefix")
        if isinstance(path, PathValue):
            path = path.path
        if not isinstance(path, str) or not (prefix is None or isinstance(prefix, str)):
            return Unknown("define_import_structure with a non-literal path", line)
        reader = context.structure_reader(func)
        structure = reader.define(str(path), None if prefix is None else str(prefix))
        structure_undecided.extend(u for u in reader.undecided_under(str(path)) if u not in structure_undecided)
        return structure

    structure_undecided: list[Undecided] = []
    installs: list[tuple[Installer, list, dict, int]] = []

    hooks = Hooks(
        is_module=lambda name: name in context.facts,
        public_names=context.public_names,
        call=call,
        backends=context.backends,
    )
    result = Evaluator(facts.name, facts.path, facts.is_package, context.env, hooks).run(tree.body)
    result.undecided.extend(structure_undecided)
    lazy_modules = [_from_build(facts, build, result, context) for build in result.builds if build.installed]
    _note_wrapping_getattr(lazy_modules, result.functions.get("__getattr__"))
    if not lazy_modules and installs:
        lazy_modules.append(_from_installer(facts, *installs[-1], result, context))
    if not lazy_modules and "__getattr__" in result.functions:
        pep562 = _from_getattr(facts, result.functions["__getattr__"], result, context)
        if pep562 is not None:
            lazy_modules.append(pep562)
    return lazy_modules


def _note_wrapping_getattr(lazy_modules: list[LazyModule], function: Function | None) -> None:
    """A ``def __getattr__`` after ``__getattr__, ... = attach(...)`` replaces the installed one, most often to
    serve a few names itself and hand the rest to it (plotly's ``graph_objs`` serves ``FigureWidget`` so, then
    calls ``orig_getattr``). A ``_LazyModule`` replaces the module object: its init's functions do not count."""
    if function is None:
        return
    line = function.node.lineno
    for lazy in lazy_modules:
        if lazy.replaces_module or line < lazy.line:
            continue
        lazy.wrapped_at = line
        for name, compared_at in _names_treated_apart(function.node).items():
            lazy.undecided.append(Undecided(lazy.path, compared_at, f"the __getattr__ defined at line {line} "
                                            f"treats {name!r} apart before the {lazy.style} one: what it serves "
                                            "is not modelled"))


def _arg(build: LazyBuild, index: int, name: str) -> object:
    if len(build.args) > index:
        return build.args[index]
    return build.kwargs.get(name)


def _from_build(facts: ModuleFacts, build: LazyBuild, result: EvaluationResult, context: _Context) -> LazyModule:
    name = _arg(build, 0, "name")
    name = str(name) if isinstance(name, str) else facts.name
    # A _LazyModule *is* the module named by its first argument (it replaces it in sys.modules). lazy_loader's
    # attach only returns a __getattr__ for this module; its first argument is the package the targets are
    # imported from (jax attaches ``jaxlib.mlir.dialects``' submodules to ``jax._src.lib.mlir.dialects``).
    lazy = LazyModule(name=name if build.kind == "lazymodule" else facts.name, path=facts.path, line=build.line,
                      style="hf-dict", type_checking=result.type_checking, undecided=list(result.undecided))
    if build.kind == "lazymodule":
        _fill_lazymodule(lazy, build, result, context)
    elif build.kind == "attach":
        _fill_attach(lazy, name, _arg(build, 1, "submodules"), _arg(build, 2, "submod_attrs"), build.line)
        lazy.style = "lazy_loader"
    elif build.kind == "relative_import":
        _fill_relative_import(lazy, name, _arg(build, 1, "rel_modules"), _arg(build, 2, "rel_classes"), build.line)
        lazy.style = "relative_import"
    else:
        lazy.style = "lazy_loader-stub"
        _fill_stub(lazy, name, facts, build)
    return lazy


def _fill_lazymodule(lazy: LazyModule, build: LazyBuild, result: EvaluationResult, context: _Context) -> None:
    structure = _arg(build, 2, "import_structure")
    if not isinstance(structure, dict):
        reason = structure.reason if isinstance(structure, Unknown) else "not a dict"
        lazy.undecided.append(Undecided(lazy.path, build.line, f"lazy structure not evaluated: {reason}"))
        return
    if any(isinstance(k, frozenset) for k in structure):
        lazy.style = "hf-structure"
    emulated = emulate(lazy.name, structure, context.env, SourceRef(lazy.path, build.line))
    lazy.names = emulated.names
    lazy.submodules = sorted(emulated.modules)
    lazy.duplicates = emulated.duplicates
    lazy.missing_modules = dict(sorted(emulated.missing_modules.items()))
    for text, line, reason in emulated.invalid:
        lazy.undecided.append(Undecided(lazy.path, line, f"{reason}: {text}"))
    extra = _arg(build, 4, "extra_objects")
    if isinstance(extra, dict):
        lazy.extra_objects = sorted(str(k) for k in extra)
    for attr, value in build.attributes.items():
        line = build.attribute_lines.get(attr, build.line)
        if isinstance(value, ObjectRef):
            lazy.names[attr] = LazyName(attr, value.module, (), lazy.path, line, origin="attribute")
        else:
            lazy.extra_objects.append(attr)
    lazy.extra_objects = sorted(set(lazy.extra_objects))
    lazy.dead_entries = _dead_entries(structure, build, result)
    aliases = result.scope.get("_LEGACY_MODULE_ALIASES")
    if isinstance(aliases, dict):
        lazy.aliases = {qualify(lazy.name, str(k)): qualify(lazy.name, str(v)) for k, v in aliases.items()}


def _dead_entries(structure: dict, build: LazyBuild, result: EvaluationResult) -> list[DeadEntry]:
    """Writes into the built structure after the lazy module was created, and overwritten keys."""
    dead = []
    for mutation in result.mutations:
        if mutation.container == id(structure) and mutation.line > build.line:
            dead.append(DeadEntry(str(mutation.key), mutation.line,
                                  f"added at line {mutation.line}, after the lazy module was built "
                                  f"at line {build.line}: the runtime never sees it"))
        elif isinstance(mutation.overwrote, (list, set, tuple)) and mutation.overwrote:
            first = next(iter(mutation.overwrote))
            old_line = getattr(first, "line", mutation.line)
            dead.append(DeadEntry(str(mutation.key), old_line,
                                  f"overwritten at line {mutation.line}: the names declared at line {old_line} "
                                  "are lost"))
    return dead


def _fill_attach(lazy: LazyModule, package: str, submodules: object, submod_attrs: object, line: int) -> None:
    """``lazy_loader.attach(package, submodules, submod_attrs)`` (``package`` is ``__name__`` but for jax)."""
    if submodules is not None and not isinstance(submodules, (list, tuple, set, frozenset)):
        lazy.undecided.append(Undecided(lazy.path, line, "lazy_loader.attach submodules not evaluated"))
        submodules = ()
    if submod_attrs is not None and not isinstance(submod_attrs, dict):
        lazy.undecided.append(Undecided(lazy.path, line, "lazy_loader.attach submod_attrs not evaluated"))
        submod_attrs = {}
    _serve_attributes(lazy, [f"{package}.{s}" for s in submodules or ()],
                      {f"{package}.{module}": attrs for module, attrs in (submod_attrs or {}).items()}, line)


def _serve_attributes(lazy: LazyModule, submodules: list[str], attributes: dict[str, object], line: int) -> None:
    """An attach-style ``__getattr__``: ``submodules`` (absolute) are served as modules, each attribute listed
    under an (absolute) module by ``getattr`` of that module."""
    lazy.submodules = sorted(str(s) for s in submodules)
    declared: dict[str, list[tuple[str, SourceRef]]] = {}
    for module, attrs in attributes.items():
        if not isinstance(attrs, (list, tuple, set, frozenset)):
            lazy.undecided.append(Undecided(lazy.path, line, f"attributes of {module!r} not evaluated"))
            continue
        for attr in attrs:
            ref = SourceRef(getattr(attr, "path", lazy.path), getattr(attr, "line", line))
            lazy.names[str(attr)] = LazyName(str(attr), module, (), ref.path, ref.line)
            declared.setdefault(str(attr), []).append((module, ref))
    # lazy_loader builds {attr: module} from submod_attrs in order (relative_import {attr: path}): an attribute
    # listed under two modules silently goes to the last one, like a duplicate _LazyModule entry (IG003).
    for attr, entries in declared.items():
        modules = tuple(dict.fromkeys(m for m, _ in entries))
        if len(modules) > 1:
            lazy.duplicates.append(DuplicateEntry(attr, modules, tuple(r for _, r in entries), winner=entries[-1][0]))


def _fill_relative_import(lazy: LazyModule, package: str, rel_modules: object, rel_classes: object,
                          line: int) -> None:
    """plotly's ``relative_import(__name__, [".sub", ...], ["._mod.Name", ...])``: lazy_loader's ``attach`` with
    the targets spelled as relative import paths. Its ``__getattr__`` serves a key (the last dotted part) from
    ``import_module(path, package)``: submodules first, then ``getattr`` of the class path's module."""
    paths: list[list[str]] = []
    for what, value in (("rel_modules", rel_modules), ("rel_classes", rel_classes)):
        if value is not None and not isinstance(value, (list, tuple)):
            lazy.undecided.append(Undecided(lazy.path, line, f"relative_import {what} not evaluated"))
            value = ()
        if any(not isinstance(path, str) for path in value or ()):  # a computed entry: what it serves is unknown
            lazy.undecided.append(Undecided(lazy.path, line, f"an entry of relative_import's {what} not evaluated"))
        paths.append([str(path) for path in value or () if isinstance(path, str)])
    submodules: dict[str, str] = {}
    attrs: dict[str, list[str]] = {}
    for path in paths[0]:
        module = _resolve_relative(path, package)
        if module is None:
            lazy.undecided.append(Undecided(lazy.path, line, f"relative_import path {path!r} not resolvable"))
        else:
            submodules[module.rpartition(".")[2]] = module
    for path in paths[1]:
        module_path, _, attr = path.rpartition(".")
        module = _resolve_relative(module_path, package) if module_path and attr else None
        if module is None:
            lazy.undecided.append(Undecided(lazy.path, line, f"relative_import class path {path!r} not resolvable"))
        else:
            attrs.setdefault(module, []).append(attr)
    _serve_attributes(lazy, list(submodules.values()), attrs, line)
    lazy.module_keys = submodules  # keyed by their last part: plotly.graph_objects serves "..graph_objs.bar" as bar


def _resolve_relative(path: str, package: str) -> str | None:
    """``importlib.import_module(path, package)``'s module name (a string operation: nothing is imported);
    ``(".", "pydantic_core")`` is ``pydantic_core`` itself. None when the path climbs above the top package."""
    try:
        return importlib.util.resolve_name(path, package) if path.startswith(".") else path
    except (ImportError, ValueError):
        return None


def _fill_stub(lazy: LazyModule, package: str, facts: ModuleFacts, build: LazyBuild) -> None:
    """``lazy_loader.attach_stub(__name__, __file__)`` reads the adjacent ``.pyi``."""
    filename = _arg(build, 1, "filename")
    filename = str(filename) if isinstance(filename, str) else facts.path
    stub = filename if filename.endswith("i") else os.path.splitext(filename)[0] + ".pyi"
    try:
        tree = ast.parse(read_source(stub), filename=stub)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        lazy.undecided.append(Undecided(facts.path, build.line, f"stub {stub} not readable: {exc}"))
        return
    submodules: list[str] = []
    attrs: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level != 1 or any(a.name == "*" for a in node.names):
            lazy.undecided.append(Undecided(stub, node.lineno, "lazy_loader rejects this stub import "
                                            "(ValueError at import time)"))
            continue
        if node.module:
            attrs.setdefault(node.module, []).extend(Tagged(a.name, stub, node.lineno) for a in node.names)
        else:
            submodules.extend(a.name for a in node.names)
    _fill_attach(lazy, package, submodules, attrs, build.line)


_HOLE = "\0"
"""Stands for the looked-up value while the import path around it is spelled (no module name holds a NUL)."""


def _from_getattr(facts: ModuleFacts, function: Function, result: EvaluationResult,
                  context: _Context) -> LazyModule | None:
    """A PEP 562 ``__getattr__`` that looks the name up in a module-level dict of name -> module, of name ->
    (module, name) as openai's generated inits write it, or of name -> (package, relative module) handed to
    ``import_module(module, package=package)`` as pydantic's does: ``name in MAP``, ``MAP[name]`` or
    ``MAP.get(name)`` (huggingface_hub.utils, pydantic); or that serves the submodules a module-level list names
    (``if name in submodules: return import_module(f"scipy.{name}")``: scipy, scikit-learn, dateutil)."""
    importer = _called_importer(function.node, result)
    if importer is not None:
        return _from_importer(facts, importer, function.node.lineno, result, context)
    spelling = _table_import(function.node, _module_dict(result), facts)
    mapping_name = spelling.table if spelling is not None else None
    for node in ast.walk(function.node):
        if mapping_name is not None:
            break
        mapping_name = _looked_up_dict(node, _module_dict(result))  # handed to a helper (langchain-core's import_attr)
    if mapping_name is not None and not _imports_module(function.node, result, context):
        mapping_name = None
    listed = _submodule_list(function.node, result, facts.name)
    if mapping_name is None and listed is None:
        return None
    lazy = LazyModule(name=facts.name, path=facts.path, line=function.node.lineno, style="pep562",
                      type_checking=result.type_checking, undecided=list(result.undecided))
    if mapping_name is not None:
        _read_table(lazy, facts, mapping_name, result.scope[mapping_name], function.node.lineno, context,
                    _names_treated_apart(function.node), spelling)
    if listed is not None:
        lazy.module_keys = listed
        lazy.submodules = sorted({*lazy.submodules, *listed.values()})
    return lazy


def _submodule_list(function: ast.FunctionDef | ast.AsyncFunctionDef, result: EvaluationResult,
                    module: str) -> dict[str, str] | None:
    """``{key: module}`` for a module-level list of keys a ``__getattr__`` serves as modules: it tests ``name in
    LIST`` and imports a submodule of this package spelled from the name (``f"scipy.{name}"``, ``"." + name``
    from ``__name__``, or through a local such as huggingface_hub.utils' ``"tqdm" if name == "_tqdm" else name``)."""
    argument = _first_parameter(function)
    if argument is None:
        return None
    keys = None
    for node in ast.walk(function):
        if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.In)
                and isinstance(node.left, ast.Name) and node.left.id == argument
                and isinstance(node.comparators[0], ast.Name)):
            value = result.scope.get(node.comparators[0].id)
            if isinstance(value, (list, tuple, set, frozenset)) and value and all(isinstance(v, str) for v in value):
                keys = sorted({str(v) for v in value})
                break
    if keys is None:
        return None
    local = _locals(function)
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and node.args and _calls_import_module(node.func)):
            continue
        name_argument, package_argument = _import_arguments(node)
        if _HOLE not in (_spelled(name_argument, {argument: _HOLE, "__name__": module}, local) or ""):
            continue  # the same module whatever the name (``getattr(import_module("._impl", __name__), name)``)
        served = {}
        for key in keys:
            names = {argument: key, "__name__": module}
            target = _spelled(name_argument, names, local)
            package = _spelled(package_argument, names, local) if package_argument is not None else None
            served[key] = _resolve_relative(target, package) if target and (package or target[0] != ".") else None
        if all(m is not None and m.startswith(module + ".") for m in served.values()):
            return served
    return None


def _spelled(node: ast.expr, names: dict[str, str], local: dict[str, ast.expr],
             holes: dict[int, str] | None = None) -> str | None:
    """The string ``node`` builds once the ``names`` are bound (literals, f-strings, ``+``, and locals assigned a
    conditional on the argument), or None. ``holes``: sub-expressions (by ``id``) standing for a given string
    (a table lookup ``MAP[name]`` whose value is not known yet)."""
    holes = holes or {}

    def spell(node: ast.expr, depth: int) -> str | None:
        if depth > 5:
            return None
        if id(node) in holes:
            return holes[id(node)]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in names:
                return names[node.id]
            return spell(local[node.id], depth + 1) if node.id in local else None
        if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare) and len(node.test.ops) == 1 \
                and isinstance(node.test.ops[0], (ast.Eq, ast.NotEq)):
            left = spell(node.test.left, depth + 1)
            right = spell(node.test.comparators[0], depth + 1)
            if left is None or right is None:
                return None
            return spell(node.body if (left == right) == isinstance(node.test.ops[0], ast.Eq) else node.orelse,
                         depth + 1)
        if isinstance(node, ast.FormattedValue) and node.conversion == -1 and node.format_spec is None:
            return spell(node.value, depth + 1)
        if isinstance(node, ast.JoinedStr) or isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts = [spell(part, depth + 1)
                     for part in (node.values if isinstance(node, ast.JoinedStr) else (node.left, node.right))]
            return None if None in parts else "".join(parts)
        return None

    return spell(node, 0)


def _import_arguments(call: ast.Call) -> tuple[ast.expr, ast.expr | None]:
    """The ``name`` and ``package`` arguments of an ``import_module(name, package=None)`` call."""
    package = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg == "package"), None)
    return call.args[0], package


def _locals(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.expr]:
    """Locals assigned once by name (``module = MAP[name]``), for spelling what they are built into."""
    return {n.targets[0].id: n.value for n in ast.walk(function)
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)}


@dataclass(frozen=True)
class TableImport:
    """How a ``__getattr__`` turns the value it looks up in ``table`` into the module it imports:
    ``import_module(template with the value in place of _HOLE, package)``."""

    table: str
    template: str
    package: str | None

    def module(self, value: str) -> str | None:
        target = self.template.replace(_HOLE, value)
        if target.startswith("."):
            return _resolve_relative(target, self.package) if self.package else None
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
    local = _locals(function)
    names = {"__name__": facts.name, "__package__": facts.package} if facts is not None else {}
    for call in ast.walk(function):
        if not (isinstance(call, ast.Call) and call.args and _calls_import_module(call.func)):
            continue
        name, package = _import_arguments(call)
        for table in dict.fromkeys(lookups.values()):
            template = _spelled(name, names, local, {i: _HOLE for i, t in lookups.items() if t == table})
            if template is None or _HOLE not in template:
                continue
            anchor = facts.package if facts is not None and _is_spec_parent(package) else (
                _spelled(package, names, local) if package is not None else None)
            return TableImport(table, template, anchor)
    return None


def _is_spec_parent(node: ast.expr | None) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "parent" and isinstance(node.value, ast.Name)
            and node.value.id == "__spec__")


def _read_table(lazy: LazyModule, facts: ModuleFacts, table: str, mapping: dict, line: int, context: _Context,
                apart: dict[str, int] | None = None, spelling: TableImport | None = None) -> None:
    """Add the names a PEP 562 table serves to ``lazy`` (a name already there, from an earlier table, stays):
    ``name -> module``, openai's ``name -> (module, name)``, pydantic's ``name -> (package, ".module")``.
    ``apart``: names the ``__getattr__`` special-cases (by line), which are undecided. ``spelling``: how the
    ``__getattr__`` builds the imported module from a ``name -> module`` value, when it was read."""
    for name, target in mapping.items():
        if apart and name in apart:  # filelock: ``value = module if name == "asyncio" else getattr(module, name)``
            lazy.undecided.append(Undecided(facts.path, apart[name], f"__getattr__ treats {name!r} apart from "
                                            f"its {table} lookup: what it serves is not modelled"))
            continue
        absolute = _is_anchored(target)
        if absolute:  # pydantic's ``{"Field": ("pydantic", ".fields")}``
            target = _resolve_relative(target[1], target[0])
        elif isinstance(target, tuple) and len(target) == 2 and target[1] == name:
            target = target[0]  # openai's ``{"Audio": (".audio", "Audio")}``: module and attribute
        if not isinstance(name, str) or not isinstance(target, str) or target.startswith("__"):
            lazy.undecided.append(Undecided(facts.path, getattr(name, "line", line),
                                            f"{table}[{name!r}] is not a module name (or a (module, "
                                            "same name) or (package, relative module) pair): the name it serves "
                                            "is not modelled"))  # langchain's "__module__": the submodule itself
            continue
        if str(name) in lazy.names:
            continue
        spelled = spelling.module(target) if spelling is not None and not absolute else None
        module = str(target) if absolute else spelled or _resolve_module(facts, str(target), context)
        ref = SourceRef(getattr(name, "path", facts.path), getattr(name, "line", line))
        lazy.names[str(name)] = LazyName(str(name), module, tuple(sorted(getattr(name, "guard", ()))),
                                         ref.path, ref.line)
    lazy.submodules = sorted({n.module for n in lazy.names.values()})


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
        if not parameters or inner is None or _first_parameter(inner) is None:
            return None
        namespace = parameters[0]
        installs = any(isinstance(n, ast.Assign) and any(
            isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == namespace
            and isinstance(t.slice, ast.Constant) and t.slice.value == "__getattr__" for t in n.targets)
            for n in function.body)
        argument = _first_parameter(inner)
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


def _installs_here(installer: Installer, args: list, kwargs: dict) -> bool:
    """The call hands the installer this module's ``globals()``."""
    return isinstance(installer.bind(args, kwargs).get(installer.namespace), Globals)


def _from_installer(facts: ModuleFacts, installer: Installer, args: list, kwargs: dict, line: int,
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
        if inner is None or _first_parameter(inner) is None:
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
                         and _calls_import_module(call.func) and isinstance(call.args[0], ast.Name)
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
    argument = _first_parameter(function)
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


def _imports_module(function: ast.FunctionDef | ast.AsyncFunctionDef, result: EvaluationResult,
                    context: _Context) -> bool:
    """Whether ``function`` calls ``import_module``, itself or through a helper of the package that does
    (langchain_core's ``import_attr(attr_name, module_name, __spec__.parent)``)."""
    if _calls_import_module(function):
        return True
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            helper = result.scope.get(node.func.id)
            if isinstance(helper, Function) and _calls_import_module(helper.node):
                return True
            if isinstance(helper, ImportedName) and context.helper_imports_module(helper):
                return True
    return False


def _calls_import_module(function: ast.AST) -> bool:
    return any(isinstance(n, ast.Attribute) and n.attr == "import_module" or
               isinstance(n, ast.Name) and n.id == "import_module" for n in ast.walk(function))


def _first_parameter(function: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The name of a ``__getattr__``'s parameter, positional-only or not (optree's ``def __getattr__(name, /)``)."""
    parameters = function.args.posonlyargs + function.args.args
    return parameters[0].arg if parameters else None


def _names_treated_apart(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, int]:
    """Names a ``__getattr__`` compares its argument with (``name == "asyncio"``, ``name in ("a", "b")``), by
    line: the body may serve them otherwise than by the table lookup that is modelled."""
    argument = _first_parameter(function)
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
        return _resolve_relative(target, facts.package) or target.lstrip(".")
    top = facts.name.split(".")[0]
    if target == top or target.startswith(top + ".") or target in context.facts:
        return target
    return f"{facts.package}.{target}"
