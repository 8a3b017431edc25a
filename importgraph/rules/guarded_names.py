"""IG012: a name bound only under a guard, used unguarded while the module executes."""

from __future__ import annotations

from collections.abc import Iterable

from ..fact_reads import conditional_lines
from ..line_refs import at
from ..model import Finding, NameUse, Scope, normalise_backend
from ..scan.name_uses import NEWEST_KNOWN_BUILTINS
from ..scan.python_versions import PYTHON3_MINORS, describe
from .backends import BackendMap, reaching, runtime_imports, shared_reach
from .base import Rule, RuleContext, register

_USE = {
    "base": "as a base class",
    "decorator": "in a decorator",
    "default": "as a default value",
    "annotation": "in an annotation (evaluated at definition time before Python 3.14, PEP 649)",
    "class-body": "in a class body",
    "module-level": "in a module-level statement",
}


_NOT_BACKENDS = frozenset({"TYPE_CHECKING", "ImportError", "python version"})


@register
class GuardedNameAtImport(Rule):
    """A name bound only under an availability/version guard is used unguarded while the module executes.

    ``if is_torch_available(): import torch`` (or ``try: import torch except ImportError: pass``) binds
    ``torch`` only when the guard holds, but a base class ``class Net(torch.nn.Module)``, a decorator
    ``@torch.no_grad()``, a default value, an unquoted annotation (without
    ``from __future__ import annotations``), a class-body or module-level expression all run when the
    module is imported: without the backend the import fails with ``NameError`` — the guard was meant
    to make the module importable without it. Uses inside functions, under the same guard, in quoted
    annotations, or of names bound on every branch (``else:``/``except:`` fallbacks) are fine and not
    reported, nor are uses after a fallback branch that ends the process (``sys.exit(1)``), in the
    ``if __name__ == "__main__":`` script part, or of builtin names (``ExceptionGroup`` behind its 3.10
    backport), nor where the module needs the guarded package anyway (it, or a module of the package it imports
    first, imports it unconditionally: litellm's proxy endpoints and fastapi fail with ModuleNotFoundError before
    any NameError). ``TYPE_CHECKING``-only names used unquoted at import time always fail. A use that sits under
    *another* backend's guard (``if is_onnxscript_available(): TABLE = {torch.float32: ...}``) fails only
    with that backend installed and this one not, which the message says; when that guarded block first
    imports from the other backend's package, that import may itself need the missing backend (onnxscript's
    ``torch_lib`` needs torch) and fail first: such a use is counted undecided, not reported. A name bound
    under a ``sys.version_info`` test is reported with the versions on which the use fails
    (``if sys.version_info >= (3, 12): from typing import override`` then ``@override`` in a class: NameError on
    Python < 3.12); annotations are evaluated at definition time only before 3.14 (PEP 649), so a name bound on
    every version up to 3.13 is fine in one. A name missing only on versions newer than those whose builtins
    importgraph knows (3.15 and later) may be a new builtin there: undecided, not reported.

    Fix: quote the annotation or add ``from __future__ import annotations``; move the definition under
    the guard; or bind a fallback in the ``else``/``except`` branch (``torch = None``, a dummy base).
    """

    code = "IG012"
    name = "guarded-name-at-import"

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        backends = BackendMap(ctx)
        importers, sources = runtime_imports(ctx, backends)
        reach = shared_reach(ctx)  # IG007 computed most of these already
        for module, facts in sorted(ctx.modules.items()):
            grouped: dict[tuple[str, str], list[NameUse]] = {}
            for use in facts.name_uses:
                grouped.setdefault((use.name, use.guard), []).append(use)
            required = self._required_by_guarded_imports(ctx, facts)
            for (name, guard), uses in grouped.items():
                needed = self._needed(facts, name, guard, backends)
                if self._masked(module, needed, importers, sources, reach):
                    continue
                if required & set(guard.split(", ")):
                    continue  # ``from .image_utils import PILImageResampling`` (vision-only) fails first
                uses = [u for u in uses if _failing_versions(u) != []]  # [] : bound wherever it is evaluated
                if not uses:
                    continue
                if all(_maybe_a_future_builtin(u) for u in uses):
                    ctx.count_undecided(self.code)
                    continue
                uses.sort(key=lambda u: u.line)
                unguarded = [u for u in uses if not u.inside]
                if not unguarded and self._guarded_import_first(facts, uses[0]):
                    ctx.count_undecided(self.code)
                    continue
                shown = unguarded or uses
                message = self._message(module, facts.path, shown)
                hard = sorted(n for n in needed if normalise_backend(n) in ctx.env.always)
                if guard == "ImportError" and hard:
                    owner = ctx.target.distribution or ctx.target.name
                    message += (f" ({', '.join(hard)} is a hard requirement of {owner}: only an install "
                                "without it gets there, but the fallback is then broken)")
                yield self.finding(module, name, facts.path, shown[0].line, message)

    @staticmethod
    def _guarded_import_first(facts, use: NameUse) -> bool:
        """The use runs only under another backend's guard, and under that guard the module first imports from
        another package (``if is_onnxscript_available(): from onnxscript.function_libs.torch_lib ...``), which
        may itself need the missing backend: the NameError may never be reached. Undecided, not reported."""
        others = set(use.inside)
        top = facts.name.split(".")[0]
        return any(fact.scope is Scope.MODULE and fact.line < use.line and others & set(fact.guarded_by)
                   and fact.module.split(".")[0] not in ("", top) for fact in facts.imports)

    @staticmethod
    def _required_by_guarded_imports(ctx: RuleContext, facts) -> set[str]:
        """Backends the module needs anyway: it imports, unconditionally, a name that its source module binds
        only under that backend's guard (the import raises ImportError before any NameError)."""
        conditional = conditional_lines(facts)
        required: set[str] = set()
        for fact in facts.imports:
            if fact.scope is not Scope.MODULE or fact.guarded_by or fact.in_try or fact.line in conditional:
                continue
            source = ctx.modules.get(fact.module)
            if source is None:
                continue
            for name in fact.names:
                binding = source.bindings.get(name)
                if binding is not None and binding.guarded_by:
                    required.update(binding.guarded_by)
        return required

    @staticmethod
    def _needed(facts, name: str, guard: str, backends: BackendMap) -> set[str]:
        """The import names whose absence leaves ``name`` unbound: the guarded backend's, or for a ``try:`` that
        catches ImportError, the package the name is imported from (litellm's ``from fastapi import APIRouter``)."""
        if guard == "ImportError":
            binding = facts.bindings.get(name)
            if binding is None or binding.kind != "import":
                return set()
            top = (binding.source or binding.name).partition(":")[0].split(".")[0]
            return set() if not top or top == facts.name.split(".")[0] else {top}
        if guard in _NOT_BACKENDS:
            return set()
        return {imported for backend in guard.split(", ") for imported in backends.imports(backend)}

    @staticmethod
    def _masked(module: str, needed: set[str], importers, sources, reach) -> bool:
        """The module imports what the guard is about unconditionally anyway (itself or through the package):
        it cannot be imported without it, so the NameError never shows (the guard is merely redundant)."""
        for name in sorted(needed):
            if name not in reach:
                reach[name] = reaching(importers, sources.get(name, {}), name) if name in sources else {}
            if module in reach[name]:
                return True
        return False

    @staticmethod
    def _message(module: str, path: str, uses: list[NameUse]) -> str:
        use = uses[0]
        more = f" (and {len(uses) - 1} more uses, up to line {at(path, uses[-1].line)})" if len(uses) > 1 else ""
        if use.guard == "TYPE_CHECKING":
            why = f"only under `if TYPE_CHECKING:` (line {at(path, use.guard_line)}), which never runs"
            when = "always"
        elif use.guard == "ImportError":
            why = f"only when the `try:` at line {at(path, use.guard_line)} does not raise ImportError"
            when = "when that import fails"
        elif use.guard == "python version":
            failing = _failing_versions(use)
            if failing is None:
                why = f"only on the Python versions the guard at line {at(path, use.guard_line)} selects"
                when = "on the other Python versions"
            else:
                why = f"only on Python {describe(list(use.bound_on or ()))} (the guard at line {at(path, use.guard_line)})"
                when = f"on Python {describe(failing)}"
        else:
            why = f"only under the {use.guard} availability guard at line {at(path, use.guard_line)}"
            when = f"without {use.guard}"
        others = ", ".join(use.inside)
        if others:  # the use itself sits under another backend's guard: it runs only with that backend
            when = f"with {others} installed and {use.guard} not," if use.guard not in _NOT_BACKENDS \
                else f"{when} (with {others} installed)"
        return (f"{use.name!r} is bound {why} but used {_USE.get(use.kind, use.kind)} at line {at(path, use.line)}"
                f"{more}, which runs when {module} is imported: {when} the import raises NameError. Quote the "
                "annotation / add `from __future__ import annotations`, move the code under the guard, or "
                "bind a fallback in the other branch.")


def _maybe_a_future_builtin(use: NameUse) -> bool:
    """The use fails only on Python versions newer than those whose builtins are known: the name may be one of
    their builtins (anyio's ``if sys.version_info < (3, 15): from typing_extensions import sentinel``)."""
    failing = _failing_versions(use)
    return bool(failing) and min(failing) > NEWEST_KNOWN_BUILTINS


def _failing_versions(use: NameUse) -> list[int] | None:
    """The Python 3 minor versions on which the use raises NameError, for a version guard that was understood
    (None otherwise): those the name is not bound on, less 3.14 and later for an annotation (evaluated only
    when read there, PEP 649)."""
    if use.guard != "python version" or use.bound_on is None:
        return None
    bound = set(use.bound_on)
    return [m for m in PYTHON3_MINORS if m not in bound and not (use.kind == "annotation" and m >= 14)]
