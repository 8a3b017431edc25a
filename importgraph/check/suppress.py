"""Inline suppressions: ``# importgraph: ignore[IG002]`` (or bare ``# importgraph: ignore``) on the line a
finding points at (the declaring line) silences that finding.

A suppression that silences nothing is itself a defect waiting to happen (it will hide the next real
finding on that line), so with ``--report-unused-ignores`` (or rule IG100 selected) each one becomes an
IG100 finding. Comments are found with ``tokenize``, so the text inside a string literal is never taken
for a suppression.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..model import Finding, Severity
from ..rules.base import Rule, RuleContext, register

PATTERN = re.compile(r"#\s*importgraph:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)


@register
class UnusedSuppression(Rule):
    """An ``# importgraph: ignore`` comment suppresses nothing.

    The line it sits on has no finding of the codes it names (or none at all, for a bare ignore), or it
    names a code that is no rule. Nothing breaks today, but the comment will silently hide the next real
    defect declared on that line, and readers take it as a statement that the line is broken.
    Only the rules that ran are judged: a suppression for a rule that was not selected is not reported.
    Reported by ``importgraph check --report-unused-ignores`` (or when IG100 is selected).

    Fix: remove the comment, or the codes in it that no longer apply.
    """

    code = "IG100"
    name = "unused-suppression"
    severity = Severity.WARNING
    enabled_by_default = False

    def check(self, ctx: RuleContext) -> Iterable[Finding]:
        return ()  # produced by the check command, which sees the findings and the comments together


@dataclass
class Suppression:
    path: str
    line: int
    codes: tuple[str, ...] | None
    """Codes as written (upper-cased); None for a bare ``ignore``."""
    text: str
    used: set[str] = field(default_factory=set)
    """Codes that silenced a finding (``*`` for a bare ignore that did)."""


def read_suppressions(path: str) -> list[Suppression]:
    """Every suppression comment of one file (none when the file cannot be read)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return []
    if b"importgraph:" not in raw.lower():
        return []
    out: list[Suppression] = []
    try:
        for tok in tokenize.tokenize(io.BytesIO(raw).readline):
            if tok.type == tokenize.COMMENT:
                out.extend(_parse(path, tok.start[0], tok.string))
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError):
        # Unparsable file (IG009 reports it): fall back to reading comments line by line.
        out = []
        for number, text in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
            if "#" in text:
                out.extend(_parse(path, number, text[text.index("#"):]))
    return out


def _parse(path: str, line: int, comment: str) -> list[Suppression]:
    match = PATTERN.search(comment)
    if match is None:
        return []
    codes = match.group("codes")
    parsed = None if codes is None else tuple(c.upper() for c in re.split(r"[,\s]+", codes) if c)
    return [Suppression(path, line, parsed, match.group(0))]


def apply_suppressions(findings: list[Finding], files: Iterable[str]) -> tuple[list[Finding], list[Finding],
                                                                               list[Suppression]]:
    """Split findings into (kept, suppressed); also return every suppression comment of ``files``."""
    by_line: dict[tuple[str, int], list[Suppression]] = {}
    comments: list[Suppression] = []
    for path in sorted(set(files) | {f.path for f in findings}):
        for sup in read_suppressions(path):
            comments.append(sup)
            by_line.setdefault((sup.path, sup.line), []).append(sup)
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        silenced = False
        for sup in by_line.get((finding.path, finding.line), ()):
            if sup.codes is None:
                sup.used.add("*")
                silenced = True
            elif finding.rule in sup.codes:
                sup.used.add(finding.rule)
                silenced = True
        (suppressed if silenced else kept).append(finding)
    return kept, suppressed, comments


def unused_findings(comments: list[Suppression], judged: set[str], known: set[str],
                    module_of: dict[str, str]) -> list[Finding]:
    """IG100 findings for comments that silenced nothing among the ``judged`` (run) rules."""
    rule = UnusedSuppression()
    out: list[Finding] = []
    for sup in comments:
        module = module_of.get(sup.path, sup.path)
        if sup.codes is None:
            if not sup.used:
                out.append(rule.finding(
                    module, "ignore", sup.path, sup.line,
                    f"`{sup.text}` suppresses nothing: no finding is reported on this line. Remove it, or it "
                    "will hide the next defect declared here."))
            continue
        unknown = [c for c in sup.codes if c not in known]
        unused = [c for c in sup.codes if c in known and c in judged and c not in sup.used]
        if unknown:
            out.append(rule.finding(
                module, f"ignore[{','.join(unknown)}]", sup.path, sup.line,
                f"`{sup.text}` names {', '.join(unknown)}, which {'is' if len(unknown) == 1 else 'are'} not a "
                "rule code (`importgraph rules` lists them); it suppresses nothing. Fix or remove the code."))
        if unused:
            out.append(rule.finding(
                module, f"ignore[{','.join(unused)}]", sup.path, sup.line,
                f"`{sup.text}` suppresses nothing for {', '.join(unused)}: no such finding is reported on this "
                "line. Remove the code, or it will hide the next defect declared here."))
    return out
