"""importgraph: a static analyzer of the lazy-import machinery of large Python packages.

It rebuilds every lazy map (``_import_structure`` dicts, ``define_import_structure``,
``lazy_loader`` attach/stubs, PEP 562 ``__getattr__`` tables) from the files alone, joins it with the
real import edges in one ``networkx`` graph, and reports defects. Nothing of the analysed package is
imported or executed.

    >>> import importgraph
    >>> report = importgraph.analyze("transformers")          # doctest: +SKIP
    >>> report.lazy_modules["transformers"].names["BertModel"].module  # doctest: +SKIP
    'transformers.models.bert.modeling_bert'
"""

__version__ = "0.1.0"

from .analysis import Report, Stats, analyze, make_environment  # noqa: E402
from .graph import build_graph  # noqa: E402
from .model import Environment, Finding, LazyModule, LazyName, ModuleFacts, Severity, Target  # noqa: E402

__all__ = [
    "Environment",
    "Finding",
    "LazyModule",
    "LazyName",
    "ModuleFacts",
    "Report",
    "Severity",
    "Stats",
    "Target",
    "__version__",
    "analyze",
    "build_graph",
    "make_environment",
]
