"""Import pyvis without IPython.

``pyvis.network`` does ``from IPython.display import IFrame`` at import time, for its notebook ``show()``,
which the report never calls. Importing IPython costs ~0.45 s (two thirds of pyvis' import), paid by every
``importgraph analyze`` that writes the HTML report. When IPython is not loaded yet, a placeholder stands in
for ``IPython.display`` during pyvis' import and is removed right after, so a later ``import IPython``
(a notebook, a user's code) gets the real package. When IPython is already loaded it is used as it is.
"""

from __future__ import annotations

import sys
import types


class _NotInANotebook:
    """Stands in for ``IPython.display.IFrame`` (only pyvis' notebook display would call it)."""

    def __init__(self, *args: object, **kwargs: object):
        raise RuntimeError("pyvis' notebook display is not available inside importgraph")


def pyvis_network():
    """``(pyvis, pyvis.network.Network)``."""
    if "IPython" in sys.modules or "pyvis.network" in sys.modules:
        import pyvis
        from pyvis.network import Network

        return pyvis, Network
    display = types.ModuleType("IPython.display")
    display.IFrame = _NotInANotebook
    package = types.ModuleType("IPython")
    package.display = display
    sys.modules["IPython"], sys.modules["IPython.display"] = package, display
    try:
        import pyvis
        from pyvis.network import Network
    finally:
        for name, placeholder in (("IPython.display", display), ("IPython", package)):
            if sys.modules.get(name) is placeholder:
                del sys.modules[name]
    return pyvis, Network
