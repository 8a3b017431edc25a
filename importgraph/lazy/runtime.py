"""What a lazy module object does with the structure it is given, as the runtime does it.

``_LazyModule.__init__`` (transformers 4.x/5.x, diffusers' copy) turns the structure into
``_class_to_module`` (name -> key, last one wins), ``_modules`` and, for backend-keyed structures,
``_object_missing_backend``. This module reproduces that, keeping where every name was declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import DuplicateEntry, Environment, LazyName, SourceRef, normalise_backend
from .values import Tagged


@dataclass
class EmulatedLazyModule:
    names: dict[str, LazyName] = field(default_factory=dict)
    modules: set[str] = field(default_factory=set)
    duplicates: list[DuplicateEntry] = field(default_factory=list)
    missing_modules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Module keys of a group with missing backends (the runtime's placeholder keys; last group wins)."""
    invalid: list[tuple[str, int, str]] = field(default_factory=list)
    """Entries the runtime would reject or mangle: (text, line, reason)."""


def qualify(package: str, key: str) -> str:
    """Keys are relative to the lazy package (transformers also accepts already-qualified ones)."""
    return key if key == package or key.startswith(package + ".") else f"{package}.{key}"


def emulate(package: str, structure: dict, env: Environment, fallback: SourceRef) -> EmulatedLazyModule:
    """Build ``_class_to_module`` & co. for ``structure`` in the modelled environment."""
    result = EmulatedLazyModule()
    history: dict[str, list[tuple[str, SourceRef]]] = {}

    def add(name: object, key: str, backends: tuple[str, ...], missing: tuple[str, ...]) -> None:
        if not isinstance(name, str):
            result.invalid.append((repr(name), fallback.line, "a lazy name that is not a string"))
            return
        ref = SourceRef(getattr(name, "path", fallback.path), getattr(name, "line", fallback.line))
        module = qualify(package, key)
        if isinstance(name, Tagged) and not backends:
            backends = tuple(sorted(name.guard))
        history.setdefault(name, []).append((module, ref))
        previous = result.names.get(str(name))
        if not missing and previous is not None and previous.missing_backends:
            # transformers only ever sets _object_missing_backend[name] (never clears it): a name declared
            # under a missing backend stays a placeholder even when a later group declares it without one.
            missing = previous.missing_backends
        result.names[str(name)] = LazyName(str(name), module, backends, ref.path, ref.line, missing)

    if any(isinstance(key, frozenset) for key in structure):
        for backend_key, modules in structure.items():
            if not isinstance(backend_key, frozenset) or not isinstance(modules, dict):
                result.invalid.append((repr(backend_key), fallback.line, "mixed backend and module keys"))
                continue
            backends = tuple(sorted(str(b) for b in backend_key))
            missing = tuple(sorted(str(b) for b in backend_key if not env.has(normalise_backend(str(b)))))
            for key in modules:
                parts = str(key).split(".")
                result.modules.update(".".join(parts[: i + 1]) for i in range(len(parts)))
                if missing:
                    result.missing_modules[qualify(package, str(key))] = missing
            for key, values in modules.items():
                for value in _names(values):
                    add(value, str(key), backends, missing)
    else:
        for key, values in structure.items():
            if not isinstance(key, str):
                result.invalid.append((repr(key), fallback.line, "a structure key that is not a module name"))
                continue
            result.modules.add(key)
            for value in _names(values):
                add(value, key, (), ())

    for name, entries in history.items():
        modules = tuple(dict.fromkeys(m for m, _ in entries))
        if len(modules) > 1:
            result.duplicates.append(
                DuplicateEntry(str(name), modules, tuple(r for _, r in entries), winner=entries[-1][0]))
    result.modules = {qualify(package, m) for m in result.modules}
    return result


def _names(values: object) -> list:
    if isinstance(values, (list, tuple, set, frozenset)):
        return list(values)
    if isinstance(values, dict):
        return list(values.keys())
    return []
