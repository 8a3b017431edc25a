"""``[tool.importgraph]`` in ``pyproject.toml``: find it, read it, refuse anything it does not understand.

A linter's configuration is read by CI long after it was written, so a misspelt key or a bad value is an
error that names the file and the key (exit 2), never a silently ignored setting or a traceback.
Paths in the file (``target``, ``usage``) are relative to the file's directory; globs (``exclude``,
``per-path-ignores``) are matched against finding paths relative to that directory.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model import Severity

TABLE = "[tool.importgraph]"
KNOWN_KEYS = ("target", "select", "ignore", "extend-select", "severity", "per-path-ignores", "usage", "exclude")


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


@dataclass
class Config:
    """The validated settings. Rule codes are normalised (``lazy-missing-name`` -> ``IG002``)."""

    path: Path | None = None
    """The file the settings came from (None: no configuration found, all defaults)."""
    target: str | None = None
    """An import name, or an absolute path when the configured value names an existing path."""
    select: set[str] | None = None
    """None: the rules enabled by default."""
    ignore: set[str] = field(default_factory=set)
    extend_select: set[str] = field(default_factory=set)
    severity: dict[str, Severity] = field(default_factory=dict)
    per_path_ignores: dict[str, set[str]] = field(default_factory=dict)
    usage: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        """Where relative paths and globs start: the configuration's directory, else the current one."""
        return self.path.parent if self.path is not None else Path.cwd()


def find_config(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has a ``[tool.importgraph]`` table."""
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                # A broken pyproject.toml without our table is not ours to judge; one with it is
                # reported by load_config when the text mentions the table.
                if "[tool.importgraph" in candidate.read_text(encoding="utf-8", errors="replace"):
                    return candidate
                continue
            if "importgraph" in data.get("tool", {}):
                return candidate
    return None


def load_config(path: Path | None, known_codes: dict[str, str]) -> Config:
    """Read and validate ``path`` (None: defaults). ``known_codes`` maps codes and rule names to codes."""
    if path is None:
        return Config()
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    table = data.get("tool", {}).get("importgraph")
    if table is None:
        raise ConfigError(f"{path}: no {TABLE} table")
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.importgraph must be a table, got {_show(table)}")
    return _validate(path, table, known_codes)


def _validate(path: Path, table: dict[str, Any], known_codes: dict[str, str]) -> Config:
    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{path}: {TABLE} {key}: {problem}")

    for key in table:
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(KNOWN_KEYS)}"
            raise ConfigError(f"{path}: {TABLE} unknown key {key!r}{hint}")

    def codes(key: str, value: Any) -> set[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, f"expected a list of rule codes such as [\"IG002\"], got {_show(value)}")
        out = set()
        for item in value:
            code = known_codes.get(item.strip()) or known_codes.get(item.strip().upper())
            if code is None:
                raise fail(key, f"unknown rule {item!r} (`importgraph rules` lists them)")
            out.add(code)
        return out

    def strings(key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(key, f"expected a list of non-empty strings, got {_show(value)}")
        return tuple(value)

    config = Config(path=path)
    root = path.parent
    if "target" in table:
        value = table["target"]
        if not isinstance(value, str) or not value.strip():
            raise fail("target", f"expected a package name or a path, got {_show(value)}")
        as_path = root / value
        config.target = str(as_path.resolve()) if ("/" in value or value.startswith(".") or as_path.exists()) \
            else value
    if "select" in table:
        config.select = codes("select", table["select"])
    if "ignore" in table:
        config.ignore = codes("ignore", table["ignore"])
    if "extend-select" in table:
        config.extend_select = codes("extend-select", table["extend-select"])
    if "severity" in table:
        value = table["severity"]
        if not isinstance(value, dict):
            raise fail("severity", f"expected a table of code = \"error\"|\"warning\"|\"info\", got {_show(value)}")
        for code, level in value.items():
            resolved = codes("severity", [code]).pop()
            if level not in {s.value for s in Severity}:
                raise fail(f"severity.{code}", f"expected \"error\", \"warning\" or \"info\", got {_show(level)}")
            config.severity[resolved] = Severity(level)
    if "per-path-ignores" in table:
        value = table["per-path-ignores"]
        if not isinstance(value, dict):
            raise fail("per-path-ignores", f"expected a table of \"glob\" = [codes], got {_show(value)}")
        for glob, listed in value.items():
            config.per_path_ignores[glob] = codes(f"per-path-ignores.{glob!r}", listed)
    if "usage" in table:
        config.usage = tuple(str((root / p).resolve()) for p in strings("usage", table["usage"]))
    if "exclude" in table:
        config.exclude = strings("exclude", table["exclude"])
    return config


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"
