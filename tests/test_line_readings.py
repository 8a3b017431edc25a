"""The scan's line readings stand in for reading files again in the lazy stage and in IG008.

``define_import_structure`` reads every sibling file with transformers' line readers; the scan computes the
same reading (``ModuleFacts.line_reading``) while it has the bytes, and the lazy stage reads a file again only
when a ``BASE_FILE_REQUIREMENTS`` rule needs its content. These tests compare the shortcut with the long way
on the real transformers wheel.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from importgraph.lazy.define_structure import StructureReader, builtin_rules, package_rules
from importgraph.scan import scan_source
from importgraph.scan.hf_reader import fetch_all
from importgraph.scan.read import read_text


def module_files(package: Path) -> list[Path]:
    return sorted(p for p in package.rglob("*.py") if p.name != "__init__.py")


@pytest.fixture(scope="module")
def transformers_dir(transformers5) -> Path:
    return Path(transformers5[1]) / "transformers"


@pytest.mark.parametrize("which", ["package's own", "built-in"])
def test_rules_decided_by_name_agree_with_the_content(which, transformers_dir):
    rules = (package_rules("transformers.utils.import_utils", str(transformers_dir / "utils" / "import_utils.py"))
             if which == "package's own" else builtin_rules())
    assert rules is not None
    by_name = deferred = 0
    for path in module_files(transformers_dir):
        name = path.stem
        decided = rules.reading_by_name(name)
        if decided is None:
            deferred += 1
            assert "image_processing_" in name, path
            continue
        by_name += 1
        assert decided == rules.reading(name, read_text(str(path))), path
    # Only the rule that looks for a TorchvisionBackend subclass needs the content, and only for
    # image-processing files: everything else is decided by the name.
    assert by_name > 2000 and deferred > 0
    assert rules.reading_by_name("image_processing_bert") is None
    assert rules.reading_by_name("modeling_bert") == (("torch",), None)


def test_structure_from_scanned_readings_equals_reading_every_file(transformers_dir):
    """The whole ``models`` structure, once from the scan's readings and once reading every file."""
    models = transformers_dir / "models"
    rules = package_rules("transformers.utils.import_utils", str(transformers_dir / "utils" / "import_utils.py"))
    scanned = {}
    for path in module_files(models):
        relative = path.relative_to(transformers_dir.parent).with_suffix("")
        scanned[str(path)] = scan_source(".".join(relative.parts), str(path), False, path.read_bytes())
    from_scan = StructureReader(rules, scanned)
    from_files = StructureReader(rules)
    assert from_scan.define(str(models), prefix="models") == from_files.define(str(models), prefix="models")
    assert from_scan.files_read == from_files.files_read
    assert from_scan.problems == from_files.problems == []


def test_every_module_file_carries_its_line_reading_and_inits_none():
    facts = scan_source("pkg.mod", "/src/pkg/mod.py", False, b'__all__ = ["A"]\n\n\nclass A:\n    pass\n')
    assert [r.name for r in facts.line_reading.all_names] == ["A"]
    assert facts.line_reading.mentions_all and not facts.line_reading.mentions_requires
    init = scan_source("pkg", "/src/pkg/__init__.py", True, b'__all__ = ["A"]\n')
    assert init.line_reading is None  # define_import_structure never reads __init__.py
    bad = scan_source("pkg.bad", "/src/pkg/bad.py", False, b'x = "\xff"\n')
    assert bad.line_reading.undecodable is not None


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_imports_in_functions_are_found_whatever_the_line_breaks(newline):
    """A form feed is not a line break for Python (nor are the other ``str.splitlines`` separators):
    counting it as one used to shift the pre-check past the function and lose its import."""
    source = newline.join(["x = 1\x0c", "y = 2\x0c", "z = '\u2028'", "def f():", "    import json", ""])
    facts = scan_source("pkg.mod", "/src/pkg/mod.py", False, source.encode())
    assert [(i.module, i.line, i.scope.value) for i in facts.imports] == [("json", 5, "function")]


_REAL_FETCH_ALL = """
import json, sys
from transformers.utils.import_utils import fetch__all__
print(json.dumps([fetch__all__(text) for text in json.load(sys.stdin)]))
"""

_PIECES = ["__all__ = [", "__all__ = ['A', \"B\"]", "__all__ = []", "    'C',", '    "D"', "]", " ]", "", "x = 1",
           "# __all__ = ['E']", "__all__x = 1", "__all__ += ['F']", "class G:", "    __all__ = ['H']"]
_BREAKS = ["\n", "\n", "\n", "\f\n", "\x0c", "\v", "\x1c", "\x85", "\u2028", "\u2029", "\r", "\r\n"]


def _drawn_texts(count: int) -> list[str]:
    draw = random.Random(5)
    texts = []
    for _ in range(count):
        text = ""
        for _ in range(draw.randint(0, 9)):
            text += draw.choice(_PIECES) + draw.choice(_BREAKS if draw.random() < 0.2 else ["\n"])
        texts.append(text if draw.random() < 0.7 else text.rstrip("\n"))
    return texts


def test_fetch_all_reads_what_transformers_reads(transformers5, transformers_dir):
    """``fetch_all`` against transformers' own ``fetch__all__`` (run in the pinned venv) on every module file of
    the wheel and on drawn texts mixing every line break ``str.splitlines`` knows: the names agree, and each
    name's line number points at the line it was read from."""
    texts = [read_text(str(path)) for path in module_files(transformers_dir)] + _drawn_texts(3000)
    texts = [text for text in texts if _transformers_can_read(text)]
    real = json.loads(subprocess.run([transformers5[0], "-c", _REAL_FETCH_ALL], input=json.dumps(texts),
                                     capture_output=True, text=True, check=True).stdout)
    assert sum(1 for names in real if names) > 1500
    for text, expected in zip(texts, real):
        ours = fetch_all(text)
        assert [r.name for r in ours] == expected, text
        lines = text.splitlines()
        assert all(r.name in lines[r.line - 1] for r in ours)


def _transformers_can_read(text: str) -> bool:
    """Texts on which ``fetch__all__`` itself raises (``__all__ ]`` without ``=``) are left out."""
    last = [line for line in text.splitlines() if line.startswith("__all__")][-1:]
    return not last or not last[0].endswith("]") or "=" in last[0]
