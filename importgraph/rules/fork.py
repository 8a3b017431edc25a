"""Run part of the rules in a forked child while this process runs the rest.

The rules stage is CPU-bound Python over data already in memory (facts, lazy maps, graph): a thread would
share the GIL and a ``spawn``ed process would have to be sent all of it. A ``fork``ed child starts with all
of it, runs its rules and sends back only their findings (a few kilobytes), what they counted as undecided,
what they read from disk (for the result cache) and the warnings they raised. The child takes the rules
that do not read the import graph while the parent builds the graph and runs the cycle rules: on
transformers, ~0.4 s of rules beside ~0.4 s of graph and cycles, on two cores. Which process runs which of
those rules is decided as they go (:class:`WorkQueue`): the parent, once its own part is done, takes the ones
the child has not started (on diffusers, rule IG013 alone keeps the child busy for ~0.5 s).

Only on Linux (forking elsewhere is unsafe or unavailable), with at least two usable cores, and for
packages big enough to repay the fork. Anything going wrong in the child (an exception, a crash, a signal)
makes the parent run those rules itself: the fork can cost time, never change a result.
"""

from __future__ import annotations

import os
import pickle
import sys
import warnings
from collections.abc import Callable
from typing import TypeVar

from .. import inputs
from ..scan.pool import available_cores

MIN_MODULES = 1000
"""Below this many modules the rules take well under 0.1 s: not worth a fork."""

T = TypeVar("T")


def can_fork(modules: int) -> bool:
    return (sys.platform == "linux" and hasattr(os, "fork") and modules >= MIN_MODULES
            and available_cores() >= 2)


def start_in_child(work: Callable[[], T]) -> Callable[[], T | None]:
    """Start ``work()`` in a forked child now; the returned function waits for it and gives its result
    (None when the child failed). The child's recorded reads are merged into this process's log and its
    warnings raised again here."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read_fd)
            with warnings.catch_warnings(record=True) as caught, inputs.recording() as log:
                warnings.simplefilter("always")
                result = work()
            messages = [(str(w.message), w.category) for w in caught]
            data = pickle.dumps((result, log, messages), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)  # no atexit handlers, no flushing of the parent's buffers
    os.close(write_fd)

    def wait() -> T | None:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return None
        try:
            result, log, messages = pickle.loads(data)
        except Exception:
            return None
        parent_log = inputs.active_log()
        if parent_log is not None:
            parent_log.merge(log)
        for message, category in messages:
            warnings.warn(message, category, stacklevel=2)
        return result

    return wait


class WorkQueue:
    """The numbers ``0 .. count - 1``, each handed to exactly one of the processes that share it (this one and
    the children forked after it was made), in order, to whichever asks first: a pipe filled and closed for
    writing before the fork, from which each :meth:`claim` reads one byte (a read of one byte from a pipe is
    atomic). Empty, it answers None at once."""

    MAX_ITEMS = 255
    """One byte an item."""

    def __init__(self, count: int):
        if not 0 <= count <= self.MAX_ITEMS:
            raise ValueError(f"a work queue holds 0 to {self.MAX_ITEMS} items, not {count}")
        self._read, write = os.pipe()
        try:
            os.write(write, bytes(range(count)))  # at most 255 bytes: one atomic write, far below a pipe's buffer
        finally:
            os.close(write)

    def claim(self) -> int | None:
        data = os.read(self._read, 1)
        return data[0] if data else None

    def close(self) -> None:
        os.close(self._read)
