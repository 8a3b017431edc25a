"""Stage 2: scan every file of the package into :class:`~importgraph.model.ModuleFacts`."""

from __future__ import annotations

from ..discover import SourceFile
from ..model import ModuleFacts, ParseProblem
from .visitor import scan_source

__all__ = ["scan_file", "scan_files", "scan_source"]


def scan_file(source_file: SourceFile) -> ModuleFacts:
    """Facts of one module; a file that cannot be read becomes a recorded problem, never an exception."""
    if source_file.kind != "source":
        return ModuleFacts(name=source_file.module, path=source_file.path, is_package=source_file.is_package)
    try:
        with open(source_file.path, "rb") as handle:
            source = handle.read()
    except OSError as exc:
        facts = ModuleFacts(name=source_file.module, path=source_file.path, is_package=source_file.is_package)
        facts.problem = ParseProblem(source_file.path, None, f"unreadable: {exc.strerror or exc}")
        return facts
    return scan_source(source_file.module, source_file.path, source_file.is_package, source)


def scan_files(files: list[SourceFile], progress=None) -> dict[str, ModuleFacts]:
    """Facts of every module, keyed by dotted module name."""
    result: dict[str, ModuleFacts] = {}
    for source_file in files:
        result[source_file.module] = scan_file(source_file)
        if progress is not None:
            progress()
    return result
