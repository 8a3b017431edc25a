"""One AST pass over one file: the imports, bindings, ``__all__`` and ``@requires`` of a module."""

from __future__ import annotations

import ast
import bisect
import re
from dataclasses import dataclass, field, replace

from ..model import Binding, ImportFact, ModuleFacts, ParseProblem, Scope
from .cache import gc_paused
from .compile_errors import compile_error
from .dunder_all import AllCollector
from .hf_reader import read_lines
from .guards import catches_import_error, is_type_checking, negated_backends, positive_backends, try_guard
from .name_uses import collect_name_uses
from .probes import read_probes
from .read import parse_source

LAZY_MARKERS = {
    "_LazyModule": "lazymodule",
    "define_import_structure": "define_import_structure",
    "attach_stub": "lazy_loader",
    "attach(": "lazy_loader",
    "relative_import(": "relative_import",  # plotly's ``_plotly_utils.importers.relative_import``
    "def __getattr__": "getattr",
    "TYPE_CHECKING or not ": "caller_install",  # anyio's ``if TYPE_CHECKING or not install_lazy_importer():``
    "sys.modules[__name__]": "replaces_module",
    "recreate_module(": "recreate_module",  # celery's ``local.recreate_module(__name__, by_module={...}, ...)``
    # a module proxy bound at import time (TensorFlow's, mlflow's and wandb's ``LazyLoader``, optuna's
    # ``_LazyImport``): only a hint to evaluate the module, the class is recognised by what it does
    "LazyLoader(": "module_proxy",
    "LazyImport(": "module_proxy",
    # names written into the module's namespace at run time (``globals()[name] = ...``, openai's
    # ``__locals = locals()`` then ``__locals[symbol] = ...``); ``__import__(m, globals(), locals())`` is not
    "globals()[": "dynamic_globals",
    "globals().update": "dynamic_globals",
    "globals().setdefault": "dynamic_globals",
    "= globals()": "dynamic_globals",
    "locals()[": "dynamic_globals",
    "locals().update": "dynamic_globals",
    "= locals()": "dynamic_globals",
}


@dataclass(frozen=True)
class _Context:
    scope: Scope = Scope.MODULE
    guards: tuple[str, ...] = ()
    in_try: bool = False
    conditional: bool = False
    in_class: bool = False
    """Inside a class body: it runs at import time, but what it binds are class attributes."""
    fallback_for: tuple[str, ...] = ()
    """Inside a branch that runs only when one of these backends is missing (dummy-object fallbacks)."""
    in_with: bool = False
    """Inside a ``with`` body: its context manager may swallow the import's error (``contextlib.suppress``)."""


@dataclass
class _Collector:
    facts: ModuleFacts
    import_lines: list[int] = field(default_factory=list)
    """Line numbers whose text contains ``import`` (sorted): functions without one are not walked."""
    all_collector: AllCollector = field(default_factory=AllCollector)
    branch_logs: list[set[str]] = field(default_factory=list)
    """Names bound in each open ``if``/``try`` branch (innermost last), to find names bound on every path."""
    function_imports: list[ast.ImportFrom] = field(default_factory=list)
    """``from ... import`` statements inside functions (where ``*`` and ``__future__`` do not compile)."""
    hands_over_globals: bool = False
    """A module-level call is given ``globals()`` (websockets' ``lazy_import(globals(), aliases={...})``): it
    may bind any name in the module, ``__getattr__`` included."""

    def __post_init__(self) -> None:
        package = self.facts.package
        self.package_parts = package.split(".") if package else []

    # ------------------------------------------------------------------ imports
    def resolve(self, module: str | None, level: int) -> str | None:
        """Absolute name of a (possibly relative) import; ``None`` when it climbs above the top."""
        if level == 0:
            return module or ""
        parts = self.package_parts
        if level - 1 > len(parts) - 1:
            return None
        base = parts[: len(parts) - (level - 1)]
        return ".".join(base + ([module] if module else []))

    def add_import(self, node: ast.Import | ast.ImportFrom, ctx: _Context) -> None:
        # positional arguments: ~30k facts in transformers, where keyword unpacking is measurable
        line, scope, guards, in_try, fallback = node.lineno, ctx.scope, ctx.guards, ctx.in_try, ctx.fallback_for
        conditional, in_with = ctx.conditional, ctx.in_with
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.facts.imports.append(ImportFact(alias.name, (), line, scope, guards, in_try, fallback,
                                                     conditional, in_with))
            return
        target = self.resolve(node.module, node.level)
        if target is None:
            return
        names = tuple([a.name for a in node.names])
        self.facts.imports.append(ImportFact(target, names, line, scope, guards, in_try, fallback, conditional,
                                             in_with))

    # ------------------------------------------------------------------ bindings
    def bind(self, name: str, line: int, kind: str, ctx: _Context, source: str | None = None) -> None:
        if ctx.scope is not Scope.MODULE or ctx.in_class:
            return
        self.facts.bindings[name] = Binding(name, line, kind, ctx.guards, ctx.conditional, source)
        if self.branch_logs:
            for log in self.branch_logs:
                log.add(name)

    def branches(self, paths: list[tuple[list[ast.stmt], _Context, bool]], ctx: _Context) -> None:
        """Walk alternative branches; a name bound on every path that completes is bound as surely as ``ctx``.

        ``paths`` holds (statements, context, ends_by_raising): a branch that raises (an ``except`` that
        re-raises) does not complete, so it does not need to bind the name.
        """
        completed: list[set[str]] = []
        for stmts, branch_ctx, raises in paths:
            self.branch_logs.append(set())
            try:
                self.body(stmts, branch_ctx)
            finally:
                bound = self.branch_logs.pop()
            if not raises:
                completed.append(bound)
        if not completed or ctx.scope is not Scope.MODULE or ctx.in_class:
            return
        for name in set.intersection(*completed):
            binding = self.facts.bindings[name]
            self.facts.bindings[name] = replace(binding, guarded_by=ctx.guards, conditional=ctx.conditional)
            for log in self.branch_logs:
                log.add(name)

    def bind_target(self, target: ast.expr, line: int, ctx: _Context) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, line, "assign", ctx)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.bind_target(elt, line, ctx)
        elif isinstance(target, ast.Starred):
            self.bind_target(target.value, line, ctx)

    def bind_import(self, node: ast.Import | ast.ImportFrom, ctx: _Context) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                self.bind(name, node.lineno, "import", ctx, source=alias.name if alias.asname else None)
            return
        source = self.resolve(node.module, node.level)
        for alias in node.names:
            if alias.name == "*":
                if source and ctx.scope is Scope.MODULE:
                    self.facts.star_imports.append((source, node.lineno))
                continue
            self.bind(alias.asname or alias.name, node.lineno, "import", ctx, source=f"{source}:{alias.name}")

    # ------------------------------------------------------------------ walk
    def body(self, stmts: list[ast.stmt], ctx: _Context) -> None:
        for stmt in stmts:
            self.stmt(stmt, ctx)

    def stmt(self, node: ast.stmt, ctx: _Context) -> None:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            self.add_import(node, ctx)
            self.bind_import(node, ctx)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.definition(node, ctx)
        elif isinstance(node, ast.Assign):
            if ctx.scope is Scope.MODULE and not ctx.in_class and _hands_over_globals(node.value):
                self.hands_over_globals = True
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and (copied := _alias_of(node.value)):
                # an alias (``Run = RunTree  # backwards compatibility``): lookups follow it to the object
                self.bind(node.targets[0].id, node.lineno, "assign", ctx, source=copied)
            else:
                for target in node.targets:
                    self.bind_target(target, node.lineno, ctx)
            if ctx.scope is Scope.MODULE and not ctx.in_class:
                self.all_collector.assign(node, ctx.conditional)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                    and (copied := _alias_of(node.value)):  # ``BetaTextEvent: TypeAlias = ParsedBetaTextEvent``
                self.bind(node.target.id, node.lineno, "assign", ctx, source=copied)
            elif not isinstance(node, ast.AnnAssign) or node.value is not None:
                self.bind_target(node.target, node.lineno, ctx)
            if ctx.scope is Scope.MODULE and not ctx.in_class:
                self.all_collector.assign(node, ctx.conditional)
        elif isinstance(node, ast.Expr):
            if ctx.scope is Scope.MODULE and not ctx.in_class:
                self.all_collector.expr(node, ctx.conditional)
                if _hands_over_globals(node.value):
                    self.hands_over_globals = True
        elif isinstance(node, ast.If):
            self.if_stmt(node, ctx)
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            self.try_stmt(node, ctx)  # type: ignore[arg-type]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            branch = replace(ctx, conditional=True)
            if not isinstance(node, ast.While):
                self.bind_target(node.target, node.lineno, branch)
            self.body(node.body, branch)
            self.body(node.orelse, branch)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self.bind_target(item.optional_vars, node.lineno, ctx)
            self.body(node.body, ctx if ctx.in_with else replace(ctx, in_with=True))
        elif isinstance(node, ast.Match):
            for case in node.cases:
                self.body(case.body, replace(ctx, conditional=True))
        elif type(node).__name__ == "TypeAlias":  # ``type Pair = tuple[int, int]`` (3.12+) binds Pair
            self.bind(node.name.id, node.lineno, "assign", ctx)  # type: ignore[attr-defined]

    def definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, ctx: _Context) -> None:
        kind = "class" if isinstance(node, ast.ClassDef) else "def"
        self.bind(node.name, node.lineno, kind, ctx)
        if node.decorator_list and ctx.scope is Scope.MODULE and not (ctx.conditional or ctx.in_class):
            backends = _requires_backends(node)
            if backends is not None:
                self.facts.requires[node.name] = backends
        if isinstance(node, ast.ClassDef) and ctx.scope is Scope.MODULE:
            # A class body runs at import time; its imports are module-level ones. Nothing else in it is a
            # fact (class attributes are not module bindings), so a class without an import is not walked.
            if self.may_import(node):
                self.body(node.body, replace(ctx, in_class=True))
            return
        if not self.may_import(node):
            return
        inner = replace(ctx, scope=Scope.TYPE_CHECKING if ctx.scope is Scope.TYPE_CHECKING else Scope.FUNCTION)
        for child in _nested_statements(node.body):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                self.add_import(child, inner)
                if isinstance(child, ast.ImportFrom):
                    self.function_imports.append(child)

    def may_import(self, node: ast.stmt) -> bool:
        """Cheap pre-check: does any line of ``node`` contain the word ``import``?"""
        first = bisect.bisect_left(self.import_lines, node.lineno)
        return first < len(self.import_lines) and self.import_lines[first] <= (node.end_lineno or node.lineno)

    def if_stmt(self, node: ast.If, ctx: _Context) -> None:
        if is_type_checking(node.test):
            self.body(node.body, replace(ctx, scope=Scope.TYPE_CHECKING, conditional=True))
            self.body(node.orelse, replace(ctx, conditional=True))
            return
        guards = positive_backends(node.test)
        negated = negated_backends(node.test)
        branch = replace(ctx, conditional=True)
        body = replace(branch, guards=_merge(ctx.guards, guards), fallback_for=_merge(ctx.fallback_for, negated))
        orelse = replace(branch, guards=_merge(ctx.guards, negated), fallback_for=_merge(ctx.fallback_for, guards))
        self.branches([(node.body, body, _raises(node.body)), (node.orelse, orelse, _raises(node.orelse))], ctx)

    def try_stmt(self, node: ast.Try, ctx: _Context) -> None:
        in_try = ctx.in_try or catches_import_error(node)
        branch = replace(ctx, conditional=True)
        # Paths through a try: the body then the else branch, or the body cut short and one handler.
        # A name bound in the body and in every handler that does not re-raise is bound either way.
        self.branch_logs.append(set())
        try:
            self.body(node.body, replace(branch, in_try=in_try))
            guard = try_guard(node)
            self.body(node.orelse, replace(branch, guards=_merge(ctx.guards, guard)))
        finally:
            happy = self.branch_logs.pop()
        # A body that imports only the package's own modules is expected to succeed (trimesh's ``from . import
        # path`` under ``try:``, ``path = ExceptionWrapper(E)`` in the handler): what it bound stays bound. Whether
        # another package's import succeeds depends on the environment (skimage's ``from pooch import file_hash``,
        # its own ``def file_hash`` in the handler): the handler's binding stays the one recorded, as before.
        succeeded = {name: self.facts.bindings[name] for name in happy
                     if name in self.facts.bindings} if self._imports_own_modules_only(node.body) else {}
        fallback = replace(branch, fallback_for=_merge(ctx.fallback_for, guard))
        for handler in node.handlers:
            self.body(handler.body, fallback)
        self.facts.bindings.update(succeeded)
        self._settle_try(happy, node, ctx)
        self.body(node.finalbody, ctx)

    def _imports_own_modules_only(self, body: list[ast.stmt]) -> bool:
        """``body`` imports something, and only modules of the package this file belongs to."""
        top = self.facts.name.partition(".")[0]
        imported: list[str] = []
        for node in body:
            if isinstance(node, ast.ImportFrom):
                imported.append(top if node.level else (node.module or ""))
            elif isinstance(node, ast.Import):
                imported.extend(alias.name for alias in node.names)
        return bool(imported) and all(module.partition(".")[0] == top for module in imported)

    def _settle_try(self, happy: set[str], node: ast.Try, ctx: _Context) -> None:
        """Names bound by the body and re-bound by every handler that completes are bound either way
        (with no handler at all, the body always completes when the import succeeds)."""
        if ctx.scope is not Scope.MODULE or ctx.in_class:
            return
        sure = set(happy)
        for handler in node.handlers:
            if _raises(handler.body):
                continue
            sure &= _names_bound_by(handler.body)
        for name in sure:
            binding = self.facts.bindings.get(name)
            if binding is not None:
                self.facts.bindings[name] = replace(binding, guarded_by=ctx.guards, conditional=ctx.conditional)


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")
_BLOCKS_OF: dict[type, tuple[str, ...]] = {}


def _nested_statements(stmts: list[ast.stmt]):
    """Every statement nested in ``stmts`` (not expressions: imports are statements, and this is fast)."""
    stack = list(stmts)
    while stack:
        stmt = stack.pop()
        yield stmt
        kind = type(stmt)
        fields = _BLOCKS_OF.get(kind)
        if fields is None:  # the block fields of this node type, in the order listed above
            fields = _BLOCKS_OF[kind] = tuple(name for name in _BLOCK_FIELDS if name in kind._fields)
        for name in fields:
            children = getattr(stmt, name)
            if children:
                stack.extend(children)


def _alias_of(value: ast.expr | None) -> str | None:
    """What an assignment copies, when it only copies a name: ``RunTree``, or an attribute of one
    (``interactions_x.AntigravityAgentConfig``, through a module imported under another name: google-genai)."""
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
        return f"{value.value.id}.{value.attr}"
    return None


def _hands_over_globals(value: ast.expr) -> bool:
    """``f(globals(), ...)``, but for ``__import__(name, globals(), ...)``, which only reads it."""
    if not isinstance(value, ast.Call) or isinstance(value.func, ast.Name) and value.func.id == "__import__":
        return False
    return any(isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == "globals"
               and not arg.args for arg in [*value.args, *(k.value for k in value.keywords)])


def _raises(stmts: list[ast.stmt]) -> bool:
    """The branch ends with ``raise`` (so the module import fails on that path)."""
    return bool(stmts) and isinstance(stmts[-1], ast.Raise)


def _names_bound_by(stmts: list[ast.stmt]) -> set[str]:
    """Names a branch binds at its own level (assignments, imports, definitions), for try/except merging."""
    names: set[str] = set()
    for stmt in stmts:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name.split(".")[0]) for a in stmt.names if a.name != "*")
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif type(stmt).__name__ == "TypeAlias":
            names.add(stmt.name.id)  # type: ignore[attr-defined]
    return names


def _merge(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(a) | set(b))) if b else a


def _requires_backends(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> tuple[str, ...] | None:
    """``backends`` of an ``@requires(backends=(...))`` decorator, as Python evaluates the literal."""
    for deco in node.decorator_list:
        if not isinstance(deco, ast.Call):
            continue
        func = deco.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name != "requires":
            continue
        for kw in deco.keywords:
            if kw.arg == "backends":
                try:
                    value = ast.literal_eval(kw.value)
                except ValueError:
                    return ("?",)
                if isinstance(value, str):
                    value = (value,)
                return tuple(str(v) for v in value)
        return ()
    return None


_GLOBAL_NAMES = re.compile(r"[ \t]+(\w+(?:[ \t]*,[ \t]*\w+)*)")


def _global_names(text: str) -> tuple[str, ...]:
    """Names declared ``global`` inside a function (an indented ``global`` statement), found in the text:
    function bodies without imports are not walked."""
    names: set[str] = set()
    at = text.find("global")
    while at != -1:
        start = text.rfind("\n", 0, at) + 1
        if at > start and not text[start:at].strip(" \t"):  # indented, first on its line
            match = _GLOBAL_NAMES.match(text, at + 6)
            if match:
                names.update(name.strip() for name in match.group(1).split(","))
        at = text.find("global", at + 6)
    return tuple(sorted(names))


_IMPORT_WORD = re.compile(r"import(?!\w)")
r"""``import`` not followed by an identifier character (``\w``: ``str.isalnum()`` or ``_``). Not written as
``(?<!\w)import``: a look-behind first makes the search try every position (25x slower)."""


def _import_lines(text: str) -> list[int]:
    """Numbers of the lines holding the word ``import`` (the keyword of every import statement; not
    ``important``, ``imports`` or ``__import__``), counted as the tokenizer counts lines (``\n``, with ``\r\n``
    and ``\r`` already normalised), without splitting the text into lines."""
    numbers: list[int] = []
    line, counted = 1, 0
    for match in _IMPORT_WORD.finditer(text):
        at = match.start()
        if at and _word_char(text[at - 1]):
            continue
        line += text.count("\n", counted, at)
        counted = at
        if not numbers or numbers[-1] != line:
            numbers.append(line)
    return numbers


def _lazy_markers(text: str) -> tuple[str, ...]:
    """The kinds of :data:`LAZY_MARKERS` found in ``text``. Each ``in`` is a pass over the file (52 MB for
    transformers): a kind already found is not searched again, and the ``dynamic_globals`` spellings only
    when ``globals()`` or ``locals()`` occurs at all."""
    dynamic = "globals()" in text or "locals()" in text
    kinds: set[str] = set()
    for marker, kind in LAZY_MARKERS.items():
        if kind not in kinds and (dynamic or kind != "dynamic_globals") and marker in text:
            kinds.add(kind)
    return tuple(sorted(kinds))


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def scan_source(module: str, path: str, is_package: bool, source: bytes, *,
                trees: dict[str, ast.Module] | None = None) -> ModuleFacts:
    """Facts of one file. Never raises on bad input: the problem is recorded instead.
    ``trees``: where to keep the parsed tree (by path) for a later stage (the scan does not change it)."""
    # A parse allocates ~100k tracked objects per large file, all alive until the facts are collected and
    # freed together by reference counting (a tree has no cycles). With the cyclic GC on, the first
    # allocations after the parse make it walk the whole tree, then again when promoting it: ~6 % of a
    # scan's CPU. It is paused for the file.
    with gc_paused():
        return _scan(module, path, is_package, source, trees)


def _scan(module: str, path: str, is_package: bool, source: bytes,
          trees: dict[str, ast.Module] | None) -> ModuleFacts:
    facts = ModuleFacts(name=module, path=path, is_package=is_package)
    text = None
    if not is_package and path.endswith(".py"):  # what define_import_structure's line readers would see
        facts.line_reading, text = read_lines(source)
    if text is None:
        text = source.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    facts.lazy_markers = _lazy_markers(text)
    try:
        tree = parse_source(source, path)
    except SyntaxError as exc:
        facts.problem = ParseProblem(path, exc.lineno, f"SyntaxError: {exc.msg}")
        return facts
    except (ValueError, UnicodeDecodeError) as exc:
        facts.problem = ParseProblem(path, None, f"{type(exc).__name__}: {exc}")
        return facts
    except (RecursionError, MemoryError) as exc:
        facts.problem = ParseProblem(path, None, f"{type(exc).__name__}: too deeply nested to parse")
        return facts
    if trees is not None:
        trees[path] = tree
    facts.probes = read_probes(source, path, tree)
    collector = _Collector(facts, import_lines=_import_lines(text))
    collector.all_collector.tree = tree
    try:
        collector.body(tree.body, _Context())
    except RecursionError:
        facts.problem = ParseProblem(path, None, "RecursionError: too deeply nested to analyse")
        return facts
    collector.all_collector.finish(facts)
    if collector.hands_over_globals:  # the lazy stage evaluates the call (it may install a __getattr__)
        facts.lazy_markers = tuple(sorted({*facts.lazy_markers, "dynamic_globals", "hands_over_globals"}))
    error = compile_error(tree, collector.function_imports)
    if error is not None:  # it parses, but importing it raises SyntaxError all the same
        facts.problem = ParseProblem(path, error[0], f"SyntaxError: {error[1]}")
    if "getattr" in facts.lazy_markers and "__getattr__" not in facts.bindings:
        # The text matched a method (``    def __getattr__`` in a class): PEP 562 needs a module-level one.
        facts.lazy_markers = tuple(kind for kind in facts.lazy_markers if kind != "getattr")
    facts.name_uses = collect_name_uses(tree, walrus=":=" in text)
    facts.global_names = _global_names(text)
    return facts
