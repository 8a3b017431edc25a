"""The scan cache and the process pool never change a result.

Real packages on disk (copies of the fixture packages, and a generated transformers-5-style package large
enough to go through the process pool), real cache files, real concurrent processes. The reference is
always the same analysis with no cache at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

import importgraph
from importgraph.discover import find_target, walk_package
from importgraph.render.json_report import to_json
from importgraph.scan import scan_files
from importgraph.scan import cache as cache_module
from importgraph.scan.cache import CacheWarning, ScanCache
from importgraph.scan.pool import MIN_FILES_FOR_POOL
from tests.conftest import fixture_package

FIXTURES = ["hf5_structure", "hf4_dict", "diffusers_style", "lazyloader_attach", "pep562_map"]


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / "site" / name
    shutil.copytree(fixture_package(name), target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def report_json(package: Path, cache_dir: Path | None) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)  # a healthy cache must never warn
        return to_json(importgraph.analyze(str(package), cache_dir=cache_dir))


def drop_results(cache: Path) -> None:
    """Remove the result cache's entries, so that the next run reads the scan cache (what these tests test)."""
    for entry in cache.glob("result-*.pack"):
        entry.unlink()


def make_big_package(tmp_path: Path, models: int = 20) -> Path:
    """A transformers-5-style package with enough files for the process pool."""
    package = copy_fixture("hf5_structure", tmp_path)
    model_init = (package / "models" / "foo" / "__init__.py").read_text()
    for index in range(models):
        name = f"m{index}"
        folder = package / "models" / name
        folder.mkdir()
        (folder / "__init__.py").write_text(model_init)
        (folder / f"configuration_{name}.py").write_text(
            f'class M{index}Config:\n    model_type = "{name}"\n\n\n__all__ = ["M{index}Config"]\n')
        (folder / f"modeling_{name}.py").write_text(textwrap.dedent(f"""\
            from ...utils import requires
            from .configuration_{name} import M{index}Config


            class M{index}Model:
                config_class = M{index}Config

                def load(self):
                    import json
                    return json


            @requires(backends=("vision",))
            class M{index}VisionModel(M{index}Model):
                pass


            __all__ = ["M{index}Model"]
            """))
    return package


@pytest.mark.parametrize("name", FIXTURES)
def test_cold_and_warm_cache_give_the_uncached_report(name, tmp_path):
    package = copy_fixture(name, tmp_path)
    uncached = report_json(package, None)
    cache = tmp_path / "cache"
    assert report_json(package, cache) == uncached  # cold: fills the cache
    assert list(cache.glob("facts-*.pack"))
    assert report_json(package, cache) == uncached  # warm: the stored result
    drop_results(cache)
    assert report_json(package, cache) == uncached  # warm scan cache: every file's facts from it


def test_a_result_serving_dummy_objects_is_cached(tmp_path):
    """No backend installed: diffusers-style inits ``setattr`` their dummy objects onto the lazy module, under
    names read from the init's own literals. Caching that result once crashed (a literal's tagged ``str``
    subclass reached the graph, which the result cache encodes with ``marshal``)."""
    package = copy_fixture("diffusers_style", tmp_path)
    cache = tmp_path / "cache"

    def dummies_json(cache_dir: Path | None) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("error", CacheWarning)
            report = importgraph.analyze(str(package), backends=[], cache_dir=cache_dir)
        assert any(e.origin == "attribute" for lazy in report.lazy_modules.values() for e in lazy.names.values())
        return to_json(report)

    uncached = dummies_json(None)
    assert dummies_json(cache) == uncached
    assert list(cache.glob("result-*.pack"))
    assert dummies_json(cache) == uncached  # the stored result, reused


def test_an_edited_file_is_rescanned(tmp_path):
    package = copy_fixture("hf5_structure", tmp_path)
    cache = tmp_path / "cache"
    before = report_json(package, cache)
    modeling = package / "models" / "foo" / "modeling_foo.py"
    # Same size, one name changed, the modification time put back: only the content hash can tell.
    stat = modeling.stat()
    modeling.write_text(modeling.read_text().replace('"FooModel",', '"FooMadel",'))
    os.utime(modeling, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert modeling.stat().st_size == stat.st_size
    after_cached = report_json(package, cache)
    assert after_cached == report_json(package, None)
    assert after_cached != before
    assert "FooMadel" in after_cached


def test_pool_and_cache_facts_equal_serial_facts(tmp_path):
    package = make_big_package(tmp_path)
    files = walk_package(find_target(str(package)))
    assert len(files) >= MIN_FILES_FOR_POOL
    serial = scan_files(files, workers=1)
    pooled = scan_files(files, workers=2)
    cold = scan_files(files, workers=2, cache_dir=tmp_path / "cache", cache_key=(str(package),))
    warm = scan_files(files, workers=2, cache_dir=tmp_path / "cache", cache_key=(str(package),))
    # repr shows every field, container type and enum member: equal reprs, equal facts.
    assert list(serial) == list(pooled) == list(cold) == list(warm)
    assert repr(serial) == repr(pooled) == repr(cold) == repr(warm)


def test_big_package_report_through_pool_and_cache(tmp_path):
    package = make_big_package(tmp_path)
    uncached = report_json(package, None)
    cache = tmp_path / "cache"
    assert report_json(package, cache) == uncached
    assert report_json(package, cache) == uncached  # the stored result
    drop_results(cache)
    assert report_json(package, cache) == uncached  # every file's facts from the scan cache


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped"])
def test_corrupt_cache_is_ignored_with_a_warning(damage, tmp_path):
    package = copy_fixture("hf4_dict", tmp_path)
    cache = tmp_path / "cache"
    uncached = report_json(package, None)
    report_json(package, cache)
    drop_results(cache)
    (pack,) = cache.glob("facts-*.pack")
    data = pack.read_bytes()
    if damage == "garbage":
        pack.write_bytes(b"not a pack at all")
    elif damage == "truncated":
        pack.write_bytes(data[: len(data) // 2])
    else:
        middle = len(data) // 2
        pack.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])
    with pytest.warns(CacheWarning, match="corrupt"):
        damaged = to_json(importgraph.analyze(str(package), cache_dir=cache))
    assert damaged == uncached
    assert report_json(package, cache) == uncached  # the run rewrote a good pack


def test_unwritable_cache_is_ignored_with_a_warning(tmp_path):
    package = copy_fixture("diffusers_style", tmp_path)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be")
    with pytest.warns(CacheWarning, match="not writable"):
        result = to_json(importgraph.analyze(str(package), cache_dir=blocker / "cache"))
    assert result == report_json(package, None)


def test_unreadable_pack_is_ignored_with_a_warning(tmp_path):
    package = copy_fixture("pep562_map", tmp_path)
    cache = tmp_path / "cache"
    report_json(package, cache)
    drop_results(cache)
    (pack,) = cache.glob("facts-*.pack")
    pack.unlink()
    pack.mkdir()  # open() fails with IsADirectoryError, an OSError that is not "missing"
    with pytest.warns(CacheWarning):
        result = to_json(importgraph.analyze(str(package), cache_dir=cache))
    assert result == report_json(package, None)


def test_two_concurrent_runs_share_a_cache_safely(tmp_path):
    package = make_big_package(tmp_path, models=30)
    cache = tmp_path / "cache"
    expected = report_json(package, None)
    command = [sys.executable, "-W", "error::UserWarning", "-m", "importgraph", "analyze", str(package),
               "--format", "json", "--cache-dir", str(cache), "-q"]
    for round_ in range(3):
        if round_ == 2:  # a changed file: both runs rescan it and race to write the pack
            modeling = package / "models" / "m3" / "modeling_m3.py"
            modeling.write_text(modeling.read_text() + "\nEXTRA = 1\n")
            expected = report_json(package, None)
        runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
        for run in runs:
            out, errors = run.communicate(timeout=300)
            assert run.returncode == 0, errors
            assert "CacheWarning" not in errors
            assert out == expected
    assert not list(cache.glob(".facts-*")) and not list(cache.glob(".result-*"))  # no temporary file left
    assert report_json(package, cache) == expected


def test_cli_no_cache_and_environment_variable(tmp_path):
    package = copy_fixture("hf5_structure", tmp_path)
    env_cache = tmp_path / "env-cache"
    env = {**os.environ, "IMPORTGRAPH_CACHE_DIR": str(env_cache)}
    base = [sys.executable, "-m", "importgraph", "analyze", str(package), "--format", "json", "-q"]
    no_cache = subprocess.run(base + ["--no-cache"], env=env, capture_output=True, text=True, check=True)
    assert not env_cache.exists()
    from_env = subprocess.run(base, env=env, capture_output=True, text=True, check=True)
    assert list(env_cache.glob("facts-*.pack"))
    explicit = tmp_path / "explicit"
    flag = subprocess.run(base + ["--cache-dir", str(explicit)], env=env, capture_output=True, text=True,
                          check=True)
    assert list(explicit.glob("facts-*.pack"))
    graph = subprocess.run([sys.executable, "-m", "importgraph", "graph", str(package), "--no-cache", "-q"],
                           env=env, capture_output=True, text=True, check=True)
    assert no_cache.stdout == from_env.stdout == flag.stdout == report_json(package, None)
    assert graph.stdout.startswith("{")


def test_cache_entry_is_keyed_by_module_name_too(tmp_path):
    """The same bytes under another module name give other facts (relative imports resolve differently)."""
    package = copy_fixture("hf5_structure", tmp_path)
    files = walk_package(find_target(str(package)))
    cache = tmp_path / "cache"
    scan_files(files, cache_dir=cache, cache_key=("k",))
    pack = ScanCache.open(cache, ("k",))
    first = files[0]
    digest = pack.entries[first.path][0]
    assert pack.lookup(first.path, digest, first.module, first.is_package) is not None
    assert pack.lookup(first.path, digest, first.module + "x", first.is_package) is None
    assert pack.lookup(first.path, b"0" * 32, first.module, first.is_package) is None


def test_clean_removes_only_importgraph_files(tmp_path):
    package = copy_fixture("hf5_structure", tmp_path)
    cache = tmp_path / "cache"
    report_json(package, cache)
    (cache / "notes.txt").write_text("not ours")
    assert list(cache.glob("facts-*.pack")) and list(cache.glob("result-*.pack"))
    done = subprocess.run([sys.executable, "-m", "importgraph", "clean", "--cache-dir", str(cache)],
                          capture_output=True, text=True, check=True)
    assert done.stdout.startswith("removed 2 cache files")
    assert sorted(p.name for p in cache.iterdir()) == ["notes.txt"]
    again = subprocess.run([sys.executable, "-m", "importgraph", "clean", "--cache-dir", str(tmp_path / "none")],
                           capture_output=True, text=True, check=True)
    assert again.stdout.startswith("removed 0 cache files")


def test_cache_keeps_the_most_recently_used_entries(tmp_path):
    """Bounded across options: the cache keeps ``KEEP_ENTRIES`` result entries; one more evicts the least
    recently used (a hit counts as a use)."""
    package = copy_fixture("hf5_structure", tmp_path)
    cache = tmp_path / "cache"
    keep = cache_module.KEEP_ENTRIES
    runs = [{"select": {f"IG{n:03d}"}} for n in range(1, 16)] + [{"select": {"IG001", "IG002"}},
                                                                  {"select": {"IG001", "IG003"}}]
    assert len(runs) == keep + 1  # one option set per entry kept, and one more
    entries: list[Path] = []
    for options in runs[:keep]:
        before = set(cache.glob("result-*.pack"))
        importgraph.analyze(str(package), cache_dir=cache, **options)
        entries.extend(set(cache.glob("result-*.pack")) - before)
    assert len(entries) == keep
    for age, entry in enumerate(entries, start=1):  # used in the order of the runs, the first the longest ago
        os.utime(entry, (age, age))
    assert importgraph.analyze(str(package), cache_dir=cache, **runs[0]).from_cache  # the first used again
    importgraph.analyze(str(package), cache_dir=cache, **runs[keep])
    assert len(list(cache.glob("result-*.pack"))) == keep
    assert importgraph.analyze(str(package), cache_dir=cache, **runs[0]).from_cache  # kept: recently used
    assert not importgraph.analyze(str(package), cache_dir=cache, **runs[1]).from_cache  # evicted: the oldest


def test_this_process_scans_at_most_a_fair_share_of_inits(tmp_path):
    """Inits are scanned here (their trees kept for the lazy stage) while the pool scans the rest; a package
    made mostly of big inits must not leave the pool waiting on this process."""
    from importgraph.scan.pool import inits_for_this_process

    jobs = []
    for index in range(12):
        package = tmp_path / f"p{index}"
        package.mkdir()
        (package / "__init__.py").write_text("x = 1\n" * (100 * (index + 1)))
        jobs.append((f"p{index}", str(package / "__init__.py"), True))
        for module in range(5):
            (package / f"mod{module}.py").write_text("y = 2\n" * 50)
            jobs.append((f"p{index}.mod{module}", str(package / f"mod{module}.py"), False))
    here, rest = inits_for_this_process(jobs, workers=2)
    size = lambda job: os.path.getsize(job[1])  # noqa: E731
    assert 0 < len(here) < 12 and all(job[2] for job in here)
    assert sum(map(size, here)) <= sum(map(size, jobs)) / 3
    assert sorted(here + rest) == sorted(jobs)
    assert max(map(size, here)) <= min(size(job) for job in rest if job[2])  # the smallest inits first
    assert inits_for_this_process(jobs, workers=1)[0] == sorted((j for j in jobs if j[2]), key=size)  # no pool


@pytest.mark.skipif(sys.platform != "linux", reason="platformdirs reads XDG_CACHE_HOME on Linux only")
def test_default_cache_directory_is_the_user_cache_unless_the_variable_names_one(tmp_path, monkeypatch):
    from importgraph.scan.cache import default_cache_dir

    monkeypatch.setenv("IMPORTGRAPH_CACHE_DIR", str(tmp_path / "chosen"))
    assert default_cache_dir() == tmp_path / "chosen"
    monkeypatch.delenv("IMPORTGRAPH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # where platformdirs puts user caches on Linux
    assert default_cache_dir() == tmp_path / "xdg" / "importgraph" / "scan"
