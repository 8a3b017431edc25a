"""Read one file of the analysed package, safely: whatever sits in a site-packages folder.

A package directory can hold things that are not regular files under a ``.py`` name: a FIFO (``open``
would block forever waiting for a writer), a character device such as a symlink to ``/dev/zero`` (a read
that never ends), a directory, a socket. Only regular files are read; everything else raises
:class:`OSError` with a message saying what it is, which every caller already records as an unreadable
file. The open is non-blocking so that the type check itself cannot hang, and the check is made on the
opened descriptor (``fstat``), so a file swapped between a ``stat`` and the ``open`` cannot slip through.
"""

from __future__ import annotations

import ast
import errno
import os
import stat
import warnings

from .. import inputs

MAX_SOURCE_BYTES = 10 * 2**20
"""Larger files are not read (reported instead). The largest hand-written or generated module in the
site-packages we measured is 4 MB (moto's IAM policy table); a 20 MB module of short statements costs
minutes and gigabytes to parse, which bounds the memory and time of a run over a whole site-packages."""

_KINDS = {stat.S_IFIFO: "a FIFO (named pipe)", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a directory"}


def read_source(path: str, *, record: bool = True) -> bytes:
    """The bytes of the regular file at ``path``; :class:`OSError` for anything else, when it is gone, or
    when it is larger than :data:`MAX_SOURCE_BYTES`. Noted in the active :class:`~importgraph.inputs.ReadLog`
    unless ``record`` is false (the caller notes a use of it instead)."""
    try:
        data = _read_regular(path)
    except OSError:
        if record:
            inputs.note_read(path, None)
        raise
    if record:
        inputs.note_read(path, data)
    return data


def _read_regular(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise OSError(errno.EINVAL, f"not a regular file ({kind})", path)
        size = os.fstat(fd).st_size
        if size > MAX_SOURCE_BYTES:
            raise OSError(errno.EFBIG, f"too large to analyse ({size / 2**20:.1f} MB, the limit is "
                          f"{MAX_SOURCE_BYTES / 2**20:.0f} MB)", path)
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
    return decode_text(read_source(path))


def decode_text(data: bytes) -> str:
    """``read_text`` of these bytes (UnicodeDecodeError as ``open().read()`` would raise it)."""
    text = data.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if b"\r" in data else text


def file_digest(path: str) -> bytes | None:
    """SHA-256 of the file as :func:`read_source` reads it now (not recorded), or None when it cannot be read."""
    try:
        return inputs.digest(read_source(path, record=False))
    except OSError:
        return None


def parse_source(source: bytes | str, path: str = "<unknown>") -> ast.Module:
    """``ast.parse(source, filename=path)`` for a file of the analysed package, without its compile warnings.

    The parser warns about the analysed code (an invalid escape sequence such as ``"\\/"``: a
    ``SyntaxWarning`` on Python 3.12+, a ``DeprecationWarning`` on 3.11). Those are the package's business, not
    the user's: they are not shown, and the caller's warning filters cannot turn them into errors (under
    ``-W error`` the file would otherwise be reported as a SyntaxError although it imports fine)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse(source, filename=path)


def parse_file(path: str) -> ast.Module | None:
    """The file's tree (:func:`parse_source` of :func:`read_source`), or None when it cannot be read or parsed
    (the scan has recorded why: IG009)."""
    try:
        return parse_source(read_source(path), path)
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def dotted_name(node: ast.expr) -> str | None:
    """``a.b.c`` as text, None unless made of names and attributes only."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = dotted_name(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None

