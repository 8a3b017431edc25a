"""``--format json`` for ``importgraph explain`` and ``importgraph path``: sorted keys, stable order."""

from __future__ import annotations

import json
from dataclasses import asdict

from .. import __version__
from ..explain import Edge, Explanation, ImportCost

SCHEMA_VERSION = 1


def _cost(cost: ImportCost | None) -> dict | None:
    if cost is None:
        return None
    return {"own": list(cost.own), "third_party": list(cost.third_party), "stdlib": list(cost.stdlib),
            "counts": cost.counts()}


def explanation_to_json(exp: Explanation) -> str:
    data = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "importgraph", "version": __version__},
        "package": exp.package, "version": exp.version, "name": exp.name, "qualified": exp.qualified,
        "kind": exp.kind, "base": exp.base, "python": exp.python, "environment": exp.environment,
        "hops": [asdict(h) for h in exp.hops],
        "backends": [asdict(b) for b in exp.backends],
        "outcome": exp.outcome, "outcome_text": exp.outcome_text, "if_missing": exp.if_missing,
        "findings": [{"rule": f.rule, "name": f.name, "module": f.module, "symbol": f.symbol,
                      "path": f.path, "line": f.line, "message": f.message} for f in exp.findings],
        "cost": {"package": _cost(exp.cost_package), "name": _cost(exp.cost_name),
                 "added": {"own": list(exp.added_own), "third_party": list(exp.added_third_party)}},
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def path_to_json(source: str, target: str, chain: list[Edge] | None, paths: dict[str, str]) -> str:
    hops = None if chain is None else [
        {**asdict(edge), "guarded_by": list(edge.guarded_by),
         "path": paths.get(edge.target if edge.kind == "parent" else edge.source)} for edge in chain]
    data = {"schema_version": SCHEMA_VERSION, "tool": {"name": "importgraph", "version": __version__},
            "source": source, "target": target, "found": chain is not None, "hops": hops}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
