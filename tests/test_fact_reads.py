"""The reads of a module's bindings that the result cache's early cutoff relies on (importgraph.fact_reads)."""

from __future__ import annotations

import pickle

import pytest

from importgraph import inputs
from importgraph.fact_reads import CONDITIONAL_LINES, conditional_lines, found, same_reads, watching
from importgraph.scan.visitor import scan_source

SOURCE = b"""\
import os

try:
    import numpy
except ImportError:
    pass


class Model:
    pass


def helper():
    return os.sep
"""


def facts_of(source: bytes):
    return scan_source("pkg.mod", "/pkg/mod.py", False, source)


def test_lookups_are_noted_with_what_they_found():
    facts = facts_of(SOURCE)
    with inputs.recording() as log, watching({"pkg.mod": facts}):
        assert facts.bindings.get("Model").kind == "class"
        assert "missing" not in facts.bindings
        assert facts.bindings["helper"].kind == "def"
        with pytest.raises(KeyError):
            facts.bindings["absent"]
        assert conditional_lines(facts) == {4}  # numpy: bound in the try body only
    assert log.bindings == {"pkg.mod": {"Model", "missing", "helper", "absent", CONDITIONAL_LINES}}
    reads = found(log.bindings, {"pkg.mod": facts})["pkg.mod"]  # what each found, worked out when stored
    assert reads["Model"] == (9, "class", (), False, None)
    assert reads["missing"] is None and reads["absent"] is None
    assert reads[CONDITIONAL_LINES] == (4,)
    assert type(facts.bindings) is dict  # the plain dict is back after the block


@pytest.mark.parametrize("read", [list, len, lambda b: b.items(), lambda b: b.values(), lambda b: b.keys(),
                                  lambda b: b == {}, lambda b: b | {}, lambda b: {**b}, sorted, repr, dict,
                                  lambda b: b.copy()])
def test_anything_that_sees_every_name_reads_them_whole(read):
    facts = facts_of(SOURCE)
    with inputs.recording() as log, watching({"pkg.mod": facts}):
        facts.bindings.get("Model")
        read(facts.bindings)
        facts.bindings.get("helper")  # a later lookup does not undo the whole read
    assert log.bindings == {"pkg.mod": None}


@pytest.mark.parametrize("mutate", [lambda b: b.__setitem__("x", None), lambda b: b.pop("Model"),
                                    lambda b: b.update({}), lambda b: b.setdefault("x"), lambda b: b.clear(),
                                    lambda b: b.__delitem__("Model"), lambda b: b.popitem()])
def test_bindings_are_read_only_while_recorded(mutate):
    facts = facts_of(SOURCE)
    with watching({"pkg.mod": facts}), pytest.raises(TypeError):
        mutate(facts.bindings)


def test_recording_bindings_are_never_stored():
    facts = facts_of(SOURCE)
    with watching({"pkg.mod": facts}), pytest.raises(TypeError):
        pickle.dumps(facts)
    assert pickle.loads(pickle.dumps(facts)) == facts


def test_nothing_is_noted_outside_a_recording():
    facts = facts_of(SOURCE)
    with watching({"pkg.mod": facts}):
        facts.bindings.get("Model")
        list(facts.bindings)
    assert inputs.active_log() is None


def test_a_forked_childs_reads_merge_into_the_parents():
    parent, child = inputs.ReadLog(), inputs.ReadLog()
    parent.bindings = {"a": {"X"}, "b": None, "c": {"Y"}}
    child.bindings = {"a": {"Z"}, "b": {"W"}, "c": None, "d": {"V"}}
    parent.merge(child)
    assert parent.bindings == {"a": {"X", "Z"}, "b": None, "c": None, "d": {"V"}}


def test_same_reads_compares_only_what_was_read():
    old = facts_of(SOURCE)
    appended = facts_of(SOURCE + b"\n_CACHE = {}\n")
    with inputs.recording() as log, watching({"pkg.mod": old}):
        old.bindings.get("Model")
        conditional_lines(old)
    reads = found(log.bindings, {"pkg.mod": old})["pkg.mod"]
    assert old != appended and same_reads(old, appended, reads)
    assert same_reads(old, appended, {})  # nobody read the bindings
    assert not same_reads(old, appended, None)  # read whole: any change counts
    assert not same_reads(old, appended, {**reads, "_CACHE": None})  # looked up while absent, present now
    renamed = facts_of(SOURCE.replace(b"class Model:", b"class Model2:"))
    assert not same_reads(old, renamed, reads)
    moved = facts_of(b"# a comment moves every line\n" + SOURCE)
    assert not same_reads(old, moved, {})  # other fields (the import's line) differ, whatever was read
    guarded = facts_of(SOURCE.replace(b"    pass\n", b"    numpy = None\n", 1))  # bound either way now
    assert same_reads(old, guarded, {"Model": reads["Model"]})
    assert not same_reads(old, guarded, {CONDITIONAL_LINES: reads[CONDITIONAL_LINES]})
