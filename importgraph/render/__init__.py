"""Stage 6: render a :class:`~importgraph.analysis.Report` (text, JSON, graph formats)."""
