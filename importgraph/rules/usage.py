"""IG011 unused-lazy-name and IG014 unknown-lazy-import: the lazy maps seen from the code that uses them.

Usage paths (``--usage PATH``, files or directories of application code) are scanned like package
files, never executed: their import statements (``ImportFact``) and, with one extra ``ast`` pass,
attribute chains on an imported package (``transformers.BertModle``).

What a lazy module provides is decided the way its ``__getattr__`` would: a transformers-style
``_LazyModule`` replaces the init in ``sys.modules``, so only its map (names, extra objects,
registered submodules) and the name-pattern fallbacks its implementation really has
(``XTokenizerFast`` -> ``XTokenizer``, ``XImageProcessorFast`` -> ``XImageProcessor``, tokenizer aliases
from ``SLOW_TO_FAST_CONVERTERS``) count; the init's own globals do not. lazy_loader and PEP 562 keep
the init module, so its bindings count too.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..discover import SourceFile
from ..model import Finding, LazyModule, Scope, Severity
from ..resolve import resolve_name
from ..scan import scan_file
from ..lazy.constants import ModuleConstants
from ..scan.read import parse_source, read_source
from .base import Rule, RuleContext, register

_REPLACES_INIT = {"hf-dict", "hf-structure"}


@dataclass(frozen=True)
class Use:
    """``from module import name`` (``attribute=False``) or ``module.name`` in a usage or package file."""

    module: str
    name: str
    path: str
    line: int
    attribute: bool = False


def usage_files(paths: Iterable[str]) -> list[str]:
    files: list[str] = []
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
                files.extend(os.path.join(root, n) for n in sorted(names) if n.endswith(".py"))
        elif os.path.isfile(path):
            files.append(path)
    return files


def usage_uses(ctx: RuleContext) -> list[Use]:
    """Every import from, and attribute access on, the analysed package in the usage files."""
    cached = ctx._exports_cache.get("usage_uses")
    if cached is not None:
        return cached
    top = ctx.target.name
    uses: list[Use] = []
    for path in usage_files(ctx.usage):
        stem = os.path.splitext(os.path.basename(path))[0]
        facts = scan_file(SourceFile(module=f"__usage__.{stem}", path=path, is_package=False))
        for imp in facts.imports:
            if imp.module == top or imp.module.startswith(top + "."):
                uses.extend(Use(imp.module, n, path, imp.line) for n in imp.names if n != "*")
        uses.extend(_attribute_uses(path, top, ctx))
    ctx._exports_cache["usage_uses"] = uses
    return uses


def _attribute_uses(path: str, top: str, ctx: RuleContext) -> Iterator[Use]:
    """``pkg.Name`` / ``alias.sub.Name`` where the base name was bound by ``import pkg[.sub] [as alias]``."""
    try:
        with open(path, "rb") as handle:
            tree = parse_source(handle.read(), path)
    except (OSError, SyntaxError, ValueError):
        return
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == top or alias.name.startswith(top + "."):
                    aliases[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                node.module == top or node.module.startswith(top + ".")):
            for alias in node.names:
                if f"{node.module}.{alias.name}" in ctx.modules:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    if not aliases:
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or isinstance(getattr(node, "_ig_inner", None), bool):
            continue
        chain: list[str] = []
        inner: ast.expr = node
        while isinstance(inner, ast.Attribute):
            chain.append(inner.attr)
            inner = inner.value
            inner._ig_inner = True  # type: ignore[attr-defined]  (visit each chain once, outermost first)
        if not isinstance(inner, ast.Name) or inner.id not in aliases:
            continue
        module = aliases[inner.id]
        for attr in reversed(chain):
            if f"{module}.{attr}" in ctx.modules:
                module = f"{module}.{attr}"
                continue
            yield Use(module, attr, path, node.lineno, attribute=True)
            break


class _Provider:
    """Does ``module`` provide ``name`` at runtime? ``bound``, ``missing`` or ``undecided``."""

    def __init__(self, ctx: RuleContext):
        self.ctx = ctx
        self.fallbacks = _fallbacks(ctx)
        self.converters = _slow_to_fast_keys(ctx) if "converters" in self.fallbacks else set()
        self.aliases = {k: v for lazy in ctx.lazy_modules.values() for k, v in lazy.aliases.items()}

    def provides(self, module: str, name: str, attribute: bool) -> str:
        ctx = self.ctx
        if module in self.aliases and module not in ctx.modules:
            replacement = self.aliases[module]
            status = resolve_name(replacement, name, ctx.modules, ctx.lazy_modules).status
            if status == "missing" and name.endswith("ImageProcessorFast"):
                status = resolve_name(replacement, name[:-4], ctx.modules, ctx.lazy_modules).status
            return status
        if module not in ctx.modules:
            return "no-module"
        lazy = ctx.lazy_modules.get(module)
        if lazy is None or lazy.style not in _REPLACES_INIT:
            if f"{module}.{name}" in ctx.modules and attribute and lazy is not None:
                return "undecided"  # an unregistered submodule: depends on import order (IG010)
            return resolve_name(module, name, ctx.modules, ctx.lazy_modules).status
        if name in lazy.names or name in lazy.extra_objects or f"{module}.{name}" in lazy.submodules:
            return "bound"
        if f"{module}.{name}" in ctx.modules or f"{module}.{name}" in self.aliases:
            return "undecided" if attribute else "bound"  # ``from pkg import sub`` imports the submodule
        return "bound" if self._fallback(lazy, name) else "missing"

    def _fallback(self, lazy: LazyModule, name: str) -> bool:
        if "tokenizer_fast" in self.fallbacks and name.endswith("TokenizerFast") and name[:-4] in lazy.names:
            return True
        if "image_processor_fast" in self.fallbacks and name.endswith("ImageProcessorFast") \
                and name[:-4] in lazy.names:
            return True
        lookup = name[:-4] if name.endswith("TokenizerFast") else name
        return name.endswith(("Tokenizer", "TokenizerFast")) and lookup in self.converters


def _fallbacks(ctx: RuleContext) -> set[str]:
    """Which name-pattern fallbacks the package's own ``_LazyModule.__getattr__`` implements."""
    found: set[str] = set()
    for facts in ctx.modules.values():
        binding = facts.bindings.get("_LazyModule")
        if binding is None or binding.kind != "class" or not facts.path.endswith(".py"):
            continue
        try:
            text = read_source(facts.path).decode("utf-8", errors="replace")
        except OSError:
            continue
        if 'endswith("TokenizerFast")' in text:
            found.add("tokenizer_fast")
        if 'endswith("ImageProcessorFast")' in text:
            found.add("image_processor_fast")
        if "SLOW_TO_FAST_CONVERTERS" in text:
            found.add("converters")
    return found


def _slow_to_fast_keys(ctx: RuleContext) -> set[str]:
    """Keys of ``SLOW_TO_FAST_CONVERTERS`` in ``<pkg>.convert_slow_tokenizer`` (read like any module constant)."""
    facts = ctx.modules.get(f"{ctx.target.name}.convert_slow_tokenizer")
    if facts is None:
        return set()
    try:
        converters = ModuleConstants(facts.name, facts.path, read_source(facts.path)).get("SLOW_TO_FAST_CONVERTERS")
    except (OSError, SyntaxError, ValueError, RecursionError):
        return set()
    return {str(k) for k in converters if isinstance(k, str)} if isinstance(converters, dict) else set()


@register
class UnknownLazyImport(Rule):
    """Application code (``--usage PATH``) imports a name from the lazy package that nothing provides.

    ``from transformers import BertModle`` raises ImportError when the application runs, and no type
    checker catches it: mypy accepts any name from a module that defines ``__getattr__``, and lazy
    packages all do. This checks the application against the lazy maps it depends on, including the
    package's own runtime fallbacks (``XTokenizerFast`` -> ``XTokenizer`` and friends, legacy module
    aliases), and attribute chains such as ``transformers.BertModle`` on an imported package.

    Fix: correct the name (or the module it is imported from), or pin a version of the package that
    still provides it.
    """

    code = "IG014"
    name = "unknown-lazy-import"

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        if not ctx.usage:
            return
        provider = _Provider(ctx)
        for use in usage_uses(ctx):
            status = provider.provides(use.module, use.name, use.attribute)
            if status == "undecided":
                ctx.count_undecided(self.code)
                continue
            if status == "bound":
                continue
            if status == "no-module":
                message = (f"{use.module} does not exist in {ctx.target.name} {ctx.target.version or ''}: this "
                           "import raises ModuleNotFoundError. Fix the module path.")
            elif use.attribute:
                message = (f"`{use.module}.{use.name}` raises AttributeError: {use.module} provides no "
                           f"{use.name!r} (not in its lazy map, not a submodule). Fix the name.")
            else:
                message = (f"`from {use.module} import {use.name}` raises ImportError: {use.module} provides no "
                           f"{use.name!r} (not in its lazy map, not a submodule, no runtime fallback). Fix "
                           "the name or import it from the module that defines it.")
            yield self.finding(use.module, use.name, use.path, use.line, message)


@register
class UnusedLazyName(Rule):
    """A lazy name that nothing in the analysed package (or the ``--usage`` paths) imports or touches.

    Answers "which of these exports does my code base use?". Counted as a use: ``from M import Name``
    (any scope, ``TYPE_CHECKING`` included) where ``M`` is the lazy module or the module that defines the
    name, and in usage files also ``pkg.Name`` attribute chains. Not seen: string lookups
    (``getattr(module, "Name")``, auto-class tables), so packages that resolve classes by name get many
    findings: off by default, informational.

    Fix: nothing to fix necessarily; drop exports nobody needs, or keep them as public API.
    """

    code = "IG011"
    name = "unused-lazy-name"
    severity = Severity.INFO
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        used: set[tuple[str, str]] = set()
        for facts in ctx.modules.values():
            mirror = facts.name in ctx.lazy_modules  # a lazy init's TYPE_CHECKING half declares, not uses
            for imp in facts.imports:
                if not (mirror and imp.scope is Scope.TYPE_CHECKING):
                    used.update((imp.module, n) for n in imp.names)
        used.update((u.module, u.name) for u in usage_uses(ctx))
        for module, name in list(used):  # `from pkg import X` also uses X in every nested map it passes
            for _ in range(10):
                lazy = ctx.lazy_modules.get(module)
                if lazy is None or name not in lazy.names:
                    break
                module = lazy.names[name].module
                used.add((module, name))
        for lazy in ctx.lazy_modules.values():
            for name, entry in sorted(lazy.names.items()):
                if (lazy.name, name) in used or (entry.module, name) in used:
                    continue
                yield self.finding(
                    lazy.name, name, entry.path, entry.line,
                    f"{lazy.name}.{name} (from {entry.module}) is imported by nothing in {ctx.target.name}"
                    f"{' or the usage paths' if ctx.usage else ''}. If it is not public API, consider dropping "
                    "the export.")
