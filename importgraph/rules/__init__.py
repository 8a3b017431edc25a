"""Stage 5: rules. Each rule is a small class with a code, a name and a docstring (see ``base``)."""

from __future__ import annotations

from ..model import Finding
from . import core  # noqa: F401  (registers the rules)
from . import cycles, dead_keys, submodules, usage  # noqa: F401  (IG005 IG006 IG010 IG011 IG014 IG015)
from . import backends, dummies, dunder_all, guarded_names  # noqa: F401  (IG007 IG013 IG008 IG012)
from ..check import suppress as _suppress  # noqa: F401,E402  (registers IG100 unused-suppression)
from .base import REGISTRY, Rule, RuleContext

__all__ = ["REGISTRY", "Rule", "RuleContext", "all_rules", "run_rules"]


def all_rules() -> list[type[Rule]]:
    return [REGISTRY[code] for code in sorted(REGISTRY)]


def run_rules(ctx: RuleContext, select: set[str] | None = None) -> list[Finding]:
    """Run the selected rules (default: those enabled by default); findings sorted by file and line."""
    findings: list[Finding] = []
    for rule_cls in all_rules():
        if select is None and not rule_cls.enabled_by_default:
            continue
        if select is not None and rule_cls.code not in select:
            continue
        findings.extend(rule_cls().check(ctx))
    return sorted(set(findings), key=Finding.sort_key)
