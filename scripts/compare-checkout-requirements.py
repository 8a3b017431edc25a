"""Hard requirements read from a checkout against those its release declares, for real packages.

    python scripts/compare-checkout-requirements.py transformers diffusers accelerate gradio ...

For each package: the newest version with both an sdist and a wheel on PyPI (from the simple index; nothing
is built or installed). The sdist is unpacked as a git checkout would look (its ``PKG-INFO`` and ``*.egg-info``
removed), :func:`importgraph.distribution.checkout_metadata` reads it, and the result is compared with the
wheel's ``Requires-Dist`` (no extra). EXACT: the same names; none: nothing readable (computed by functions);
DIFF: a wrong reading. Unpacked under ``$TMPDIR/importgraph-sdists``.
"""
import io
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from email.parser import HeaderParser
from pathlib import Path

from importgraph.distribution import checkout_metadata, requirement_names

OUT = Path(tempfile.gettempdir()) / "importgraph-sdists"
OUT.mkdir(exist_ok=True)


def links(package: str) -> list[str]:
    html = urllib.request.urlopen(f"https://pypi.org/simple/{package}/", timeout=60).read().decode()
    return re.findall(r'href="([^"]+)"', html)


def download(url: str) -> bytes:
    return urllib.request.urlopen(url.split("#")[0], timeout=120).read()


def compare(package: str) -> str:
    name = re.sub(r"[-_.]+", "[-_.]", package)
    found = links(package)
    sdists = [u for u in found if re.search(rf"/{name}-[0-9][^/]*\.tar\.gz#", u, re.I)]
    wheels = [u for u in found if re.search(rf"/{name}-[0-9][^/]*-(py3-none-any|cp311-[^/]*manylinux[^/]*x86_64)\.whl#",
                                              u, re.I)]

    def version(url: str) -> str:
        return re.search(rf"/{name}-([0-9][^-/]*?)(\.tar\.gz|-)", url, re.I).group(1)

    released = {version(u) for u in sdists}
    both = [v for v in dict.fromkeys(map(version, wheels)) if v in released and not re.search(r"(a|b|rc|dev)\d", v)]
    if not both:
        return f"{package:22s} skipped: no release with both an sdist and a wheel for this platform"
    chosen = both[-1]
    folder = OUT / package
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    with tarfile.open(fileobj=io.BytesIO(download(next(u for u in sdists if version(u) == chosen)))) as archive:
        archive.extractall(folder, filter="data")
    root = next(folder.iterdir())
    for generated in [root / "PKG-INFO", *root.glob("**/*.egg-info")]:  # a git checkout has neither
        shutil.rmtree(generated) if generated.is_dir() else generated.unlink()
    wheel = zipfile.ZipFile(io.BytesIO(download(next(u for u in wheels if version(u) == chosen))))
    metadata = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    declared = HeaderParser().parsestr(wheel.read(metadata).decode()).get_all("Requires-Dist") or []
    truth = sorted(set(requirement_names(declared)))
    tops = sorted({n.split("/")[0] for n in wheel.namelist() if n.endswith("/__init__.py") and n.count("/") == 1})
    top = tops[0] if tops else package
    read = checkout_metadata(top, root / "src" if (root / "src" / top).is_dir() else root, list)  # nothing installed
    got = sorted(set(read.requires)) if read is not None else None
    status = "EXACT" if got == truth else "none" if got is None else "DIFF"
    source = Path(read.source).name if read is not None else "-"
    detail = "" if status == "EXACT" else f"  release: {truth}; read: {got}"
    return f"{package:22s} {chosen:10s} {status:5s} {source:15s}{detail}"


if __name__ == "__main__":
    for package in sys.argv[1:]:
        try:
            print(compare(package), flush=True)
        except Exception as exc:  # a survey: one package's failure is a line, not the end
            print(f"{package:22s} ERROR {type(exc).__name__}: {exc}", flush=True)
