"""The plain dataclasses that the pipeline stages hand to each other.

discover -> scan (ModuleFacts) -> lazy (LazyModule) -> graph -> rules (Finding) -> render.
Every stage takes and returns these types, never dicts of dicts, so each one can be read,
tested and cached on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from .line_refs import has_refs, render

if TYPE_CHECKING:
    from .scan.hf_reader import LineReading


class ImportgraphWarning(UserWarning):
    """Something the user should know that did not stop the analysis (a cache it could not use, a project file
    it could not read). The command line prints these as ``warning: ...`` lines on stderr."""


# --------------------------------------------------------------------------- discover


@dataclass(frozen=True)
class Target:
    """A top-level package (or single-module distribution) found on disk, never imported."""

    name: str
    """Top-level import name, e.g. ``transformers``."""
    roots: tuple[str, ...]
    """Directories holding the package (several for a namespace package), or the module file."""
    search_path: tuple[str, ...]
    """The ``sys.path`` the package was looked up in (entries that exist)."""
    sys_path_entry: str
    """The ``sys.path`` entry the package was found under."""
    kind: str
    """``package``, ``namespace`` or ``module``."""
    version: str | None = None
    distribution: str | None = None
    requires: tuple[str, ...] = ()
    """Normalised names of the distribution's unconditional requirements, and theirs in turn (read from the
    metadata installed beside it, or a checkout's project files: :mod:`importgraph.distribution`): everything
    installing the package installs."""
    requirements_from: str | None = None
    """The metadata folder or project file ``requires`` was read from (None: nothing found)."""
    requirements_unread: tuple[str, ...] = ()
    """Those of ``requires`` with no metadata on the path looked at (not installed there): what they require in
    turn is unknown, so it counts as optional (a checkout analysed without its environment)."""
    requires_python: str | None = None
    """The Python versions the distribution declares it supports (``>=3.12``), from the same place."""
    shared_by: tuple[str, ...] = ()
    """The distributions (``name version``) that install parts of a namespace package installed by several
    (``google``); ``distribution`` and ``version`` are then None."""
    python: str | None = None
    """The interpreter whose ``sys.path`` was searched, when ``--python`` was given."""


# --------------------------------------------------------------------------- scan


class Scope(str, Enum):
    """Where an import statement runs."""

    MODULE = "module"
    """Executed when the module is imported."""
    FUNCTION = "function"
    """Inside a function or method body: executed only when called."""
    TYPE_CHECKING = "type_checking"
    """Under ``if TYPE_CHECKING:``: never executed at runtime."""


@dataclass(frozen=True)
class ImportFact:
    """One imported module (or ``from module import name``) of one file."""

    module: str
    """Absolute dotted module the statement imports from (relative imports resolved)."""
    names: tuple[str, ...]
    """Names imported with ``from module import ...`` (``*`` for a star import); empty for ``import x``."""
    line: int
    scope: Scope
    guarded_by: tuple[str, ...] = ()
    """Backends whose availability guard the statement sits under (``if is_torch_available():``)."""
    in_try: bool = False
    """Inside ``try: ... except ImportError`` (or a broader handler)."""
    fallback_for: tuple[str, ...] = ()
    """Runs only when one of these backends is *missing*: the ``except OptionalDependencyNotAvailable:``
    branch importing dummy objects, ``if not is_x_available():``, the ``else:`` of a positive guard."""
    conditional: bool = False
    """Under a top-level ``if``/``try``/loop/``match``, recognised guard or not: whether it runs may depend on more
    than the modelled environment (``explain`` predicts no failure from it, IG010 does not count it as imported).
    A class body runs whenever its module does: its imports are conditional only under such a statement."""
    in_with: bool = False
    """In a ``with`` body: it runs, but its context manager may swallow its error (``contextlib.suppress(ImportError)``,
    so ``explain`` predicts no failure from it either)."""


@dataclass(frozen=True)
class Binding:
    """A name bound at module level."""

    name: str
    line: int
    kind: str
    """``class``, ``def``, ``assign``, ``import``."""
    guarded_by: tuple[str, ...] = ()
    conditional: bool = False
    """Bound only in one branch of a top-level ``if``/``try``."""
    source: str | None = None
    """For ``from m import x``: ``"m:x"`` with ``m`` absolute (re-exports); for ``import a.b as c``: ``"a.b"``; for
    an alias of another module-level name (``Run = RunTree``, kind ``assign``): that name."""


@dataclass(frozen=True)
class NameUse:
    """A name read while the module executes (base, decorator, default...) that may be unbound then (IG012)."""

    name: str
    line: int
    kind: str
    """``base``, ``decorator``, ``default``, ``annotation``, ``class-body`` or ``module-level``."""
    guard: str
    """Why it may be unbound: the guard's backends (``torch``), ``ImportError``, ``TYPE_CHECKING``..."""
    guard_line: int
    """The guarded statement that binds the name."""
    inside: tuple[str, ...] = ()
    """Backends of *other* availability guards the use sits under (``if is_onnxscript_available():``): it
    runs only when they are installed."""
    bound_on: tuple[int, ...] | None = None
    """For a ``python version`` guard that was understood: the Python 3 minor versions on which the name is
    bound (``if sys.version_info < (3, 14):`` gives 0-13); None otherwise."""


@dataclass(frozen=True)
class Probe:
    """A top-level ``def is_<backend>_available()`` and what it checks (``scan/probes.py``)."""

    backend: str
    """``<backend>`` as the function's name spells it."""
    path: str
    line: int
    packages: tuple[str, ...]
    """Top-level import names it probes."""
    calls: tuple[str, ...]
    """Other backends whose ``is_<x>_available()`` this probe calls."""


@dataclass(frozen=True)
class ParseProblem:
    path: str
    line: int | None
    reason: str


UNLISTABLE = "cannot list the folder"
"""How the problem of a package folder that cannot be listed starts (rule IG009 words its effect apart)."""


@dataclass
class ModuleFacts:
    """Everything the later stages need to know about one file, without its AST."""

    name: str
    path: str
    is_package: bool
    imports: list[ImportFact] = field(default_factory=list)
    bindings: dict[str, Binding] = field(default_factory=dict)
    star_imports: list[tuple[str, int]] = field(default_factory=list)
    """``from module import *`` at module level: (module, line), in the order they run."""
    dunder_all: list[str] | None = None
    dunder_all_line: int | None = None
    dunder_all_undecided: str | None = None
    """Why ``__all__`` exists but could not be evaluated statically."""
    dunder_all_refs: list[str] = field(default_factory=list)
    """Modules whose ``__all__`` this module's ``__all__`` concatenates (resolved by the lazy stage)."""
    requires: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """``@requires(backends=...)`` on top-level objects, as Python reads the decorator."""
    lazy_markers: tuple[str, ...] = ()
    """Hints that the file builds a lazy module (``_LazyModule``, ``lazy.attach``, ``__getattr__``)."""
    problem: ParseProblem | None = None
    name_uses: list[NameUse] = field(default_factory=list)
    """Names used unguarded at import time but bound only under a guard (``scan/name_uses.py``)."""
    global_names: tuple[str, ...] = ()
    """Names a function declares ``global``: bound at module level only once that function runs."""
    line_reading: LineReading | None = None
    """transformers' line readers' view of the file (``scan/hf_reader.py``); module files only (not inits),
    as ``define_import_structure`` reads them."""
    probes: tuple[Probe, ...] = ()
    """The file's top-level ``is_<backend>_available()`` functions (read once here: IG007, IG012)."""

    @property
    def package(self) -> str:
        """The package relative imports in this file are resolved against."""
        return self.name if self.is_package else self.name.rpartition(".")[0]


# --------------------------------------------------------------------------- lazy maps


@dataclass(frozen=True)
class SourceRef:
    path: str
    line: int


@dataclass(frozen=True)
class LazyName:
    """One public name a lazy module serves, and where it comes from."""

    name: str
    module: str
    """Fully qualified module (or package) the runtime imports to fetch the name."""
    backends: tuple[str, ...]
    """Backends the declaration says the name needs (sorted)."""
    path: str
    """The file that declares the entry (the init, or the target module for ``define_import_structure``)."""
    line: int
    missing_backends: tuple[str, ...] = ()
    """Backends absent in the modelled environment: the runtime serves a placeholder instead."""
    origin: str = "structure"
    """``structure``, ``dummy`` (dummy-object fallback), ``attribute`` (``setattr`` after building)."""
    attribute: str | None = None
    """The attribute fetched from ``module`` when it is not ``name``: an entry served under another name (vllm's
    ``"OldEngine": ".engine.core:Engine"``, langchain_community's ``Baichuan`` served as ``BaichuanLLM``)."""

    def __post_init__(self) -> None:
        # What the evaluator read from the analysed code arrives as Tagged strings (str subclasses carrying their
        # source line): a lazy map holds plain str, which the result cache's marshal writes (it refuses subclasses).
        for label in ("name", "module", "path", "attribute"):
            value = getattr(self, label)
            if value is not None and type(value) is not str:
                object.__setattr__(self, label, str(value))

    @property
    def fetched(self) -> str:
        """The attribute the runtime fetches from ``module``."""
        return self.attribute or self.name


@dataclass(frozen=True)
class Undecided:
    """A construct the static evaluator refused to guess about."""

    path: str
    line: int
    reason: str


@dataclass(frozen=True)
class TypeCheckingImport:
    """An import in the ``if TYPE_CHECKING:`` half of a lazy init."""

    module: str
    name: str
    """Imported name, ``*`` for a star import, or the submodule name for ``from . import sub``."""
    line: int
    backends: tuple[str, ...] = ()


@dataclass(frozen=True)
class DuplicateEntry:
    """A name that several keys of one lazy module declare; ``winner`` is what the runtime serves."""

    name: str
    modules: tuple[str, ...]
    refs: tuple[SourceRef, ...]
    winner: str


@dataclass
class LazyModule:
    """A module whose attributes are served lazily, rebuilt as the runtime would build it."""

    name: str
    path: str
    line: int
    """The statement that installs the lazy module (``sys.modules[__name__] = _LazyModule(...)``)."""
    style: str
    """``hf-dict``, ``hf-structure``, ``lazy_loader``, ``lazy_loader-stub``, ``relative_import``, ``pep562``,
    ``recreate_module`` (celery's) or ``module_proxy`` (names bound to objects that import a module on first use:
    mlflow's ``LazyLoader``)."""
    names: dict[str, LazyName] = field(default_factory=dict)
    submodules: list[str] = field(default_factory=list)
    """Fully qualified modules the lazy module can import on attribute access."""
    extra_objects: list[str] = field(default_factory=list)
    """Names bound directly on the module object (``extra_objects``, ``setattr``)."""
    type_checking: list[TypeCheckingImport] = field(default_factory=list)
    duplicates: list[DuplicateEntry] = field(default_factory=list)
    dead_entries: list[DeadEntry] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    """Legacy module aliases (key -> replacement module), served without a file on disk."""
    module_keys: dict[str, str] = field(default_factory=dict)
    """Keys a ``__getattr__`` serves as modules, key -> the module it imports (also in ``submodules``): plotly's
    ``relative_import`` (whose ``graph_objects`` serves ``plotly.graph_objs.bar`` as ``bar``) and the submodule lists
    of PEP 562 modules (scipy's ``submodules``, huggingface_hub.utils' ``_tqdm`` -> ``tqdm``)."""
    wrapped_at: int | None = None
    """Line of a module-level ``def __getattr__`` that replaces the installed one afterwards (names outside the
    map may be served by it: undecided)."""
    import_fallback: int | None = None
    """Line of a ``try:`` in the ``__getattr__`` whose handler catches the ImportError of its import and serves
    something else (imagecodecs' stubs for codecs not built): a missing module does not raise there."""
    proxies: dict[str, int] = field(default_factory=dict)
    """Module keys bound at import time to a module proxy (mlflow's ``pyfunc = LazyLoader(...)``), each with its
    line: the name is bound for certain, the module imported when the proxy is first used."""
    missing_modules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Submodule keys the runtime serves as placeholders (backend-keyed structures: a key listed under a
    backend set with a missing backend), with those missing backends, as ``_object_missing_backend`` has them."""

    @property
    def replaces_module(self) -> bool:
        """A ``_LazyModule`` object takes the init's place in ``sys.modules`` (its names are all the module has);
        every other style is a ``__getattr__`` on the init, asked only for names the init does not bind."""
        return self.style in ("hf-dict", "hf-structure", "recreate_module")


@dataclass(frozen=True)
class DeadEntry:
    """A structure entry that can never take effect."""

    key: str
    line: int
    reason: str


@dataclass(frozen=True)
class Environment:
    """Which optional backends the analysis assumes are importable.

    ``available=None`` means every backend (the complete declared map).
    """

    available: frozenset[str] | None = None
    unavailable: frozenset[str] = frozenset()
    always: frozenset[str] = frozenset()
    """Hard dependencies (``Requires-Dist``): available whatever the flags say."""

    def has(self, backend: str) -> bool:
        backend = normalise_backend(backend)
        if backend in self.always:
            return True
        if backend in self.unavailable:
            return False
        return self.available is None or backend in self.available

    def describe(self) -> dict[str, object]:
        return {
            "available": "all" if self.available is None else sorted(self.available),
            "unavailable": sorted(self.unavailable),
            "always_available": sorted(self.always),
        }


def normalise_backend(name: str) -> str:
    """Backends are compared by their bare name: ``torch>=2.5`` counts as ``torch``."""
    for sep in ("<", ">", "=", "!", "~", " "):
        name = name.split(sep, 1)[0]
    return name.strip().lower().replace("-", "_")


# --------------------------------------------------------------------------- findings


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    rule: str
    """Rule code, e.g. ``IG002``."""
    name: str
    """Rule name, e.g. ``lazy-missing-name``."""
    severity: Severity
    module: str
    """The lazy module (or module) the finding is about."""
    symbol: str
    """The lazy name, key or module the finding is about."""
    path: str
    line: int
    message: str
    chain: tuple[SourceRef, ...] = ()
    """For cycles and backend leaks: every hop, file:line."""
    template: str | None = field(default=None, compare=False, repr=False)
    """The message with its line numbers as references to their files (:func:`importgraph.line_refs.at`), when it
    prints any: what the result cache renumbers when an edit only moves lines. Not part of a finding's identity."""

    def __post_init__(self) -> None:
        if self.template is None and has_refs(self.message):
            object.__setattr__(self, "template", self.message)
            object.__setattr__(self, "message", render(self.message))

    def sort_key(self) -> tuple:
        # The message breaks ties: two findings can share everything else (same name, two backends) and a
        # set's iteration order must never decide the output order.
        return (self.path, self.line, self.rule, self.module, self.symbol, self.message)
