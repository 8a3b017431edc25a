"""Which of each module's bindings the stages after the scan read, recorded for the result cache's early cutoff.

A statement added to a modeling file (``_CACHE = {}``, a new helper ``def``) changes that file's facts: its
bindings gain a name. The lazy maps, the graph and the rules never ask for most names of most modules, though:
they look up the names a lazy map serves, the names other modules import, ``__getattr__``... While the stages
run, each module's ``bindings`` is a :class:`RecordingBindings` that notes every name looked up; reading the
bindings whole (iterating them, their length) is noted as such. The result cache stores these reads with
what each found (:func:`found`): a changed file whose new facts differ only in bindings that nobody read, and
whose looked-up names find what they found before, cannot change the result (:func:`same_reads`).

Every read of a module's bindings in the later stages goes through its ``ModuleFacts.bindings`` (or
:func:`conditional_lines`); a mutation raises, so no stage can change facts behind the recording's back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from . import inputs
from .model import Binding, ModuleFacts

Token = tuple | None
"""What a read found: a binding's fields (all but the name), the conditional lines, or None (no such name)."""

Reads = dict[str, Token]
"""Key (a bound name, or :data:`CONDITIONAL_LINES`) -> what it found."""

CONDITIONAL_LINES = "?conditional-lines"
"""The key of :func:`conditional_lines` (no Python name starts with ``?``)."""


def binding_token(binding: Binding | None) -> Token:
    return None if binding is None else (binding.line, binding.kind, binding.guarded_by, binding.conditional,
                                         binding.source)


def _token(bindings: Mapping[str, Binding], key: str) -> Token:
    if key == CONDITIONAL_LINES:
        return tuple(sorted({b.line for b in dict.values(bindings) if b.conditional}))
    return binding_token(dict.get(bindings, key))


_UNSEEN = object()


def _note(module: str, key: str) -> None:
    # What the read found is worked out once, when the entry is stored (:func:`found`): a lookup only notes
    # the key (~50k lookups on transformers).
    log = inputs.active_log()
    if log is not None:
        keys = log.bindings.get(module, _UNSEEN)
        if keys is _UNSEEN:
            log.bindings[module] = {key}
        elif keys is not None:  # (None: read whole already)
            keys.add(key)


def _note_whole(module: str) -> None:
    log = inputs.active_log()
    if log is not None:
        log.bindings[module] = None


def found(keys: Mapping[str, set[str] | None], modules: Mapping[str, ModuleFacts]) -> dict[str, Reads | None]:
    """The recorded keys of each module (:attr:`~importgraph.inputs.ReadLog.bindings`) with what each found."""
    return {module: None if names is None else {key: _token(modules[module].bindings, key) for key in sorted(names)}
            for module, names in keys.items()}


def _reads_whole(name: str):
    """``dict``'s method ``name``, noting that the bindings were read whole."""
    method = getattr(dict, name)

    def whole(self, *args):
        _note_whole(self.module)
        return method(self, *args)

    whole.__name__ = name
    return whole


class RecordingBindings(dict):
    """A module's bindings that note every read into the active :class:`~importgraph.inputs.ReadLog`."""

    __slots__ = ("module",)

    def __init__(self, module: str, bindings: Mapping[str, Binding]):
        super().__init__(bindings)
        self.module = module

    def get(self, name, default=None):
        _note(self.module, name)
        return dict.get(self, name, default)

    def __getitem__(self, name):
        _note(self.module, name)
        return dict.__getitem__(self, name)

    def __contains__(self, name):
        _note(self.module, name)
        return dict.__contains__(self, name)

    # Anything that sees every name reads the bindings whole (``dict.copy`` gives a plain dict).
    __iter__ = _reads_whole("__iter__")
    keys = _reads_whole("keys")
    values = _reads_whole("values")
    items = _reads_whole("items")
    __len__ = _reads_whole("__len__")
    __reversed__ = _reads_whole("__reversed__")
    __repr__ = _reads_whole("__repr__")
    copy = _reads_whole("copy")
    __eq__ = _reads_whole("__eq__")
    __or__ = _reads_whole("__or__")
    __ror__ = _reads_whole("__ror__")

    __hash__ = None

    def _read_only(self, *args, **kwargs):
        raise TypeError("a module's bindings are read-only after the scan")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _read_only

    def __reduce__(self):
        raise TypeError("recording bindings are never stored (restore the plain dicts first)")


def conditional_lines(facts: ModuleFacts) -> set[int]:
    """The lines of the module's bindings made in one branch of an ``if``/``try`` (recorded as one read)."""
    if isinstance(facts.bindings, RecordingBindings):
        _note(facts.bindings.module, CONDITIONAL_LINES)
    return set(_token(facts.bindings, CONDITIONAL_LINES))


@contextmanager
def watching(modules: Mapping[str, ModuleFacts]) -> Iterator[None]:
    """While the block runs, every module's ``bindings`` records its reads; the plain dicts are back after it."""
    plain = {name: facts.bindings for name, facts in modules.items()}
    try:
        for name, facts in modules.items():
            facts.bindings = RecordingBindings(name, facts.bindings)
        yield
    finally:
        for name, facts in modules.items():
            facts.bindings = plain[name]


def reads_of(facts: ModuleFacts, reads: Reads | None) -> Reads | None:
    """What the keys of ``reads`` find in ``facts`` (after an edit that moved lines, the stored result's reads
    renumbered: :mod:`importgraph.line_moves`)."""
    return None if reads is None else {key: _token(facts.bindings, key) for key in reads}


def same_reads(old: ModuleFacts, new: ModuleFacts, reads: Reads | None) -> bool:
    """Whether the stages after the scan, reading ``new`` instead of ``old``, would see exactly what they saw:
    every other field equal, and each recorded read of the bindings (``reads``; None: read whole) the same."""
    if reads is None:
        return old == new
    if dataclasses.replace(old, bindings={}) != dataclasses.replace(new, bindings={}):
        return False
    return all(_token(new.bindings, key) == token for key, token in reads.items())
