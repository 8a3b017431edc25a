"""Read one file of the analysed package, safely: whatever sits in a site-packages folder.

A package directory can hold things that are not regular files under a ``.py`` name: a FIFO (``open``
would block forever waiting for a writer), a character device such as a symlink to ``/dev/zero`` (a read
that never ends), a directory, a socket. Only regular files are read; everything else raises
:class:`OSError` with a message saying what it is, which every caller already records as an unreadable
file. The open is non-blocking so that the type check itself cannot hang, and the check is made on the
opened descriptor (``fstat``), so a file swapped between a ``stat`` and the ``open`` cannot slip through.
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


def read_source(path: str) -> bytes:
    """The bytes of the regular file at ``path``; :class:`OSError` for anything else or when it is gone."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise OSError(errno.EINVAL, f"not a regular file ({kind})", path)
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def read_text(path: str) -> str:
    """What ``open(path, encoding="utf-8").read()`` gives: strict UTF-8, universal newlines."""
    return read_source(path).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
