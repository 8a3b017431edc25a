"""Record what a piece of code makes CPython do, through one audit hook (``sys.addaudithook``).

Used by the nothing-is-executed tests: while ``recording(...)`` is active, every forbidden event
(process start, ``os.system``, socket bind/connect/listen), any import of the fixture package, any ``exec``
of its code and any ``open`` of a marker path is recorded. Audit hooks cannot be removed, so one hook is
installed for the whole test session and records only inside ``recording``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FORBIDDEN_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.fork", "socket.bind",
                    "socket.connect", "socket.listen")

_active: dict | None = None


def _audit(event: str, args: tuple) -> None:
    watch = _active
    if watch is None:
        return
    events = watch["events"]
    if event.startswith(FORBIDDEN_EVENTS):
        events.append((event, repr(args)[:200]))
    elif event == "import" and str(args[0]).startswith(watch["package"]):
        events.append((event, str(args[0])))
    elif event == "exec" and watch["directory"] in getattr(args[0], "co_filename", ""):
        events.append((event, args[0].co_filename))
    elif event == "open" and watch["marker"] and str(args[0]).startswith(watch["marker"]):
        events.append((event, str(args[0])))


sys.addaudithook(_audit)


@contextmanager
def recording(package: str, directory: Path, marker: Path | None = None) -> Iterator[list[tuple[str, str]]]:
    """Events caused while the block runs: forbidden calls, imports/exec of ``package``, opens of ``marker*``."""
    global _active
    events: list[tuple[str, str]] = []
    _active = {"events": events, "package": package, "directory": str(directory),
               "marker": str(marker) if marker is not None else ""}
    try:
        yield events
    finally:
        _active = None
