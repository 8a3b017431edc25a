"""``importgraph check``: configuration, inline suppressions, baselines and CI output formats.

config.py reads ``[tool.importgraph]``; suppress.py handles ``# importgraph: ignore[...]`` (and rule IG100);
baseline.py fingerprints findings; run.py filters findings in that order; formats.py renders them;
command.py is the typer command. Nothing is imported here, so ``importgraph.rules`` can import
``suppress`` without a cycle.
"""
