"""Stage 3: rebuild every lazy map of the package exactly as the runtime would build it.

Each init that looks lazy is evaluated by :class:`~importgraph.lazy.evaluator.Evaluator`; the lazy
objects it installs (``_LazyModule``, ``lazy_loader.attach``/``attach_stub``, plotly's ``relative_import``,
celery's ``recreate_module``, a PEP 562 ``__getattr__``: :mod:`.pep562`) are turned into
:class:`~importgraph.model.LazyModule`.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
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
from ..resolve import reexport_origin
from ..scan.read import parse_file, parse_source, read_source
from .caller_install import from_block, installer_called, installs_into_caller
from .define_structure import BaseRules, StructureReader, builtin_rules, package_rules
from .delegated import from_delegation
from .evaluator import EvaluationResult, Evaluator, Hooks
from .pep562 import (Importer, ImporterFactory, Installer, from_getattr, from_installer, installs_here,
                     names_treated_apart)
from .spelling import calls_import_module, resolve_relative
from .runtime import emulate, qualify
from .proxies import ProxyClass
from .values import Function, ImportedName, LazyBuild, ModuleProxy, ObjectRef, PathValue, Tagged, Unknown

__all__ = ["LazyStage", "build_lazy_modules", "known_backends"]

_LAZY_KINDS = {"lazymodule", "lazy_loader", "relative_import", "getattr", "hands_over_globals", "caller_install",
               "recreate_module", "module_proxy"}


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
                 scanned_trees: dict[str, tuple[bytes | None, ast.Module]] | None = None,
                 backends: frozenset[str] | None = None):
        self.facts = facts
        self.scanned_trees = scanned_trees or {}
        self.env = env
        self.search_path = search_path
        self.reader: StructureReader | None = None
        self.problems: list[ParseProblem] = []
        self.backends = known_backends(facts.values()) if backends is None else backends
        self.trees: dict[str, ast.Module] = {}
        self.helpers: dict[ImportedName, bool] = {}
        """Functions of the package a PEP 562 ``__getattr__`` delegates to: do they call ``import_module``?"""
        self.installers: dict[ImportedName, Installer | None] = {}
        """Functions of the package a module hands its ``globals()`` to: do they install a ``__getattr__``?"""
        self.caller_installers: dict[ImportedName, bool] = {}
        """Functions of the package that install a ``__getattr__`` into their caller's globals (anyio's)."""
        self.factories: dict[ImportedName, ImporterFactory | None] = {}
        """Functions of the package that return a name importer (langchain's ``create_importer``)."""
        self.proxy_classes: dict[ImportedName, ProxyClass | None] = {}
        """Classes of the package whose objects import a module on first use (mlflow's ``LazyLoader``)."""
        self.helper_trees: dict[str, ast.Module | None] = {}
        """The modules defining those functions (path -> tree), parsed once per run."""
        self.scopes: dict[str, dict[str, object] | None] = {}
        """Module-level names of modules of the package a helper reads (:meth:`module_scope`), by module."""

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
            self.helpers[helper] = function is not None and calls_import_module(function)
        return self.helpers[helper]

    def namespace_installer(self, helper: ImportedName) -> Installer | None:
        """``helper`` as an :class:`Installer`, when it is a function of the package that installs a
        ``__getattr__`` into the namespace it is handed (websockets' ``lazy_import``)."""
        if helper not in self.installers:
            function = self._helper_function(helper)
            self.installers[helper] = Installer.read(function) if isinstance(function, ast.FunctionDef) else None
        return self.installers[helper]

    def installs_into_caller(self, helper: ImportedName) -> bool:
        """Whether ``helper`` is a function of the package that installs a ``__getattr__`` into its caller's
        globals (anyio's ``install_lazy_importer``: :mod:`.caller_install`)."""
        if helper not in self.caller_installers:
            function = self._helper_function(helper)
            self.caller_installers[helper] = function is not None and installs_into_caller(function)
        return self.caller_installers[helper]

    def importer_factory(self, helper: ImportedName) -> ImporterFactory | None:
        """``helper`` as an :class:`ImporterFactory`, when it is a function of the package that returns a function
        serving names from the dicts it is handed (langchain's ``create_importer``)."""
        if helper not in self.factories:
            function = self._helper_function(helper)
            self.factories[helper] = ImporterFactory.read(function) if isinstance(function, ast.FunctionDef) else None
        return self.factories[helper]

    def module_proxy(self, helper: ImportedName) -> ProxyClass | None:
        """``helper`` as a :class:`~.proxies.ProxyClass`, when it is a class of the package whose objects import a
        module on first use (TensorFlow's and mlflow's ``LazyLoader``, optuna's ``_LazyImport``)."""
        if helper not in self.proxy_classes:
            node = self._helper_definition(helper, "class")
            self.proxy_classes[helper] = ProxyClass.read(node) if isinstance(node, ast.ClassDef) else None
        return self.proxy_classes[helper]

    def helper_origin(self, helper: ImportedName) -> str:
        """The module that defines ``helper``, through re-exports."""
        return reexport_origin(helper.module, helper.name, self.facts, hops=5)[0]

    def module_scope(self, module: str) -> dict[str, object] | None:
        """The module-level names of ``module``, a module of the package, as the evaluator reads its top-level
        statements (the tables of litellm's ``_lazy_imports_registry``), or None when it is not a readable module
        of the package (the module is read here: any change to it invalidates the result cache's entry)."""
        if module not in self.scopes:
            facts = self.facts.get(module)
            scope = None
            if facts is not None and facts.problem is None and facts.path.endswith(".py"):
                tree = self._helper_tree(facts.path)
                if tree is not None:
                    hooks = Hooks(is_module=lambda name: name in self.facts, backends=self.backends)
                    scope = Evaluator(module, facts.path, facts.is_package, self.env, hooks).run(tree.body).scope
            self.scopes[module] = scope
        return self.scopes[module]

    def helper_function(self, helper: ImportedName) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The definition of ``helper``, when it is a function at the top of a module of the package."""
        return self._helper_function(helper)

    def _helper_function(self, helper: ImportedName) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The definition of ``helper``, a function at the top of a module of the package (the module is read
        here: any change to it invalidates the result cache's entry)."""
        node = self._helper_definition(helper, "def")
        return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None

    def _helper_definition(self, helper: ImportedName, kind: str) -> ast.stmt | None:
        """The ``def`` (``kind`` "def") or ``class`` ("class") statement at the top of a module of the package that
        binds ``helper``, through re-exports (langchain_classic._api -> langchain_classic._api.module_import)."""
        module, name = reexport_origin(helper.module, helper.name, self.facts, hops=5)
        facts = self.facts.get(module)
        binding = facts.bindings.get(name) if facts is not None and facts.problem is None else None
        if binding is None or binding.kind != kind or not facts.path.endswith(".py"):
            return None
        tree = self._helper_tree(facts.path)
        wanted = ast.ClassDef if kind == "class" else (ast.FunctionDef, ast.AsyncFunctionDef)
        return next((node for node in tree.body if isinstance(node, wanted) and node.name == name),
                    None) if tree is not None else None

    def _helper_tree(self, path: str) -> ast.Module | None:
        """The parsed module at ``path``, a module of the package a helper lives in, parsed once per run (the read
        is recorded: any change to it invalidates the result cache's entry)."""
        if path not in self.helper_trees:
            self.helper_trees[path] = parse_file(path)
        return self.helper_trees[path]

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


def known_backends(facts: Iterable[ModuleFacts]) -> frozenset[str]:
    """Names of the package's optional backends, from the guards its own code uses."""
    found: set[str] = set()
    for module in facts:
        for imp in module.imports:
            found.update(imp.guarded_by)
    return frozenset(found)


def build_lazy_modules(
    facts: dict[str, ModuleFacts], env: Environment, search_path: tuple[str, ...] = (),
    scanned_trees: dict[str, tuple[bytes | None, ast.Module]] | None = None, *,
    backends: frozenset[str] | None = None, only: str | None = None,
) -> LazyStage:
    """Evaluate every init that builds a lazy module. ``scanned_trees``: inits parsed already in this process
    (path -> (sha256, tree); None: the read is recorded already), evaluated without parsing them again.

    Rule IG013 evaluates a dummy-using init once more per backend modelled missing: it passes ``only`` (that
    init), ``backends`` (:func:`known_backends` of ``facts``, worked out once) and the trees of the first pass.
    """
    context = _Context(facts, env, search_path, scanned_trees, backends)
    stage = LazyStage()
    for module in [only] if only is not None else sorted(facts):
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
        if scanned is not None:  # parsed in this process already: the very bytes its facts came from
            if scanned[0] is not None:
                note_digest(facts.path, scanned[0])
            tree = scanned[1]
        else:
            tree = parse_source(read_source(facts.path), facts.path)
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
            if installer is not None and installs_here(installer, args, kwargs):
                installs.append((installer, args, kwargs, line))
                return None
            factory = context.importer_factory(func)
            if factory is not None:
                return Importer(factory, factory.bind(args, kwargs), line)
            proxy = context.module_proxy(func)
            if proxy is not None:
                target = proxy.module(args, kwargs)
                if not isinstance(target, str):
                    return Unknown(f"the module a {func.name} proxy imports", line)
                return ModuleProxy(resolve_relative(str(target), facts.package) or str(target), line)
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
        lazy_modules.append(from_installer(facts, *installs[-1], result, context))
    if not lazy_modules and "caller_install" in facts.lazy_markers:
        helper, block = next(((h, node) for node in tree.body if (h := installer_called(node, result)) is not None),
                             (None, None))
        if helper is not None and context.installs_into_caller(helper):
            lazy = from_block(facts, block, result)
            if lazy is not None:
                lazy_modules.append(lazy)
    if not lazy_modules and "__getattr__" in result.functions:
        function = result.functions["__getattr__"]
        pep562 = from_getattr(facts, function, result, context) or from_delegation(facts, function, result, context)
        if pep562 is not None:
            lazy_modules.append(pep562)
    _add_module_proxies(facts, result, lazy_modules)
    return lazy_modules


def _add_module_proxies(facts: ModuleFacts, result: EvaluationResult, lazy_modules: list[LazyModule]) -> None:
    """The module proxies the module binds (:mod:`.proxies`), as module keys: of the ``__getattr__``-style lazy
    module it builds too, else of a lazy module of their own (style ``module_proxy``). A ``_LazyModule`` replacing
    the module drops its namespace, proxies included."""
    proxies = {name: value for name, value in result.scope.items() if isinstance(value, ModuleProxy)}
    if not proxies or any(lazy.replaces_module for lazy in lazy_modules):
        return
    if not lazy_modules:  # (what the evaluator could not decide elsewhere in the module says nothing of them)
        lazy_modules.append(LazyModule(name=facts.name, path=facts.path, style="module_proxy",
                                       line=min(proxy.line for proxy in proxies.values()),
                                       type_checking=result.type_checking))
    lazy = lazy_modules[0]
    for name, proxy in proxies.items():
        lazy.module_keys.setdefault(name, proxy.module)
        lazy.proxies.setdefault(name, proxy.line)
    lazy.submodules = sorted({*lazy.submodules, *(proxy.module for proxy in proxies.values())})


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
        for name, compared_at in names_treated_apart(function.node).items():
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
    elif build.kind == "recreate_module":
        lazy.name = name
        lazy.style = "recreate_module"
        _fill_recreate_module(lazy, build)
    else:
        lazy.style = "lazy_loader-stub"
        _fill_stub(lazy, name, facts, build)
    return lazy


_RECREATE_PARAMETERS = ("name", "compat_modules", "by_module", "direct", "base")


def _fill_recreate_module(lazy: LazyModule, build: LazyBuild) -> None:
    """celery's ``recreate_module(__name__, by_module={module: [names]}, direct={name: module}, **attrs)``: a
    ``LazyModule`` subclass instance replaces the init in ``sys.modules``; its ``__dict__`` is ``attrs`` (extra
    objects), its ``__getattr__`` imports each ``by_module`` name from its module and each ``direct`` key as a
    module. The compat modules it adds from ``celery.local.COMPAT_MODULES`` (deprecated) are not read."""
    by_module, direct = _arg(build, 2, "by_module"), _arg(build, 3, "direct")
    for value, label in ((by_module, "by_module"), (direct, "direct")):
        if value is not None and not isinstance(value, dict):
            lazy.undecided.append(Undecided(lazy.path, build.line, f"recreate_module {label} not evaluated"))
    for module, names in (by_module.items() if isinstance(by_module, dict) else ()):
        if not isinstance(names, (list, tuple)):
            lazy.undecided.append(Undecided(lazy.path, build.line, f"recreate_module names of {module} not evaluated"))
            continue
        for name in names:  # (the evaluator's strings carry the line they are written on)
            if isinstance(name, str) and isinstance(module, str) and name not in lazy.names:
                lazy.names[str(name)] = LazyName(str(name), str(module), (), getattr(name, "path", lazy.path),
                                                 getattr(name, "line", build.line))
    if isinstance(direct, dict):
        lazy.module_keys = {str(k): str(v) for k, v in direct.items() if isinstance(k, str) and isinstance(v, str)}
    lazy.submodules = sorted({entry.module for entry in lazy.names.values()} | set(lazy.module_keys.values()))
    lazy.extra_objects = sorted(k for k in build.kwargs if k not in _RECREATE_PARAMETERS and not k.startswith("__"))


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
        name = str(attr)  # a plain str: the key may be a Tagged literal of the init (diffusers' dummy objects)
        if isinstance(value, ObjectRef):
            lazy.names[name] = LazyName(name, value.module, (), lazy.path, line, origin="attribute")
        else:
            lazy.extra_objects.append(name)
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
        module = resolve_relative(path, package)
        if module is None:
            lazy.undecided.append(Undecided(lazy.path, line, f"relative_import path {path!r} not resolvable"))
        else:
            submodules[module.rpartition(".")[2]] = module
    for path in paths[1]:
        module_path, _, attr = path.rpartition(".")
        module = resolve_relative(module_path, package) if module_path and attr else None
        if module is None:
            lazy.undecided.append(Undecided(lazy.path, line, f"relative_import class path {path!r} not resolvable"))
        else:
            attrs.setdefault(module, []).append(attr)
    _serve_attributes(lazy, list(submodules.values()), attrs, line)
    lazy.module_keys = submodules  # keyed by their last part: plotly.graph_objects serves "..graph_objs.bar" as bar



def _fill_stub(lazy: LazyModule, package: str, facts: ModuleFacts, build: LazyBuild) -> None:
    """``lazy_loader.attach_stub(__name__, __file__)`` reads the adjacent ``.pyi``."""
    filename = _arg(build, 1, "filename")
    filename = str(filename) if isinstance(filename, str) else facts.path
    stub = filename if filename.endswith("i") else os.path.splitext(filename)[0] + ".pyi"
    try:
        tree = parse_source(read_source(stub), stub)
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
