"""Web assets the HTML book serves itself, so that it reads offline: MathJax 3.

Sphinx loads MathJax from a CDN by default; the book instead points ``mathjax_path`` (in
``_config.yml``) at ``_assets/mathjax/tex-mml-chtml.js``, a copy of MathJax's ``es5``
bundle (component, fonts and lazily loaded extensions) unpacked from the npm tarball
``mathjax@3.2.2``, checked by SHA-256. The folder is built, not committed (``.gitignore``).

``python -m cnnmath.book.assets [DEST]`` installs it (``make html`` does).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from cnnmath import npm
from cnnmath.data import cache_dir

__all__ = ["MATHJAX_PACKAGE", "MATHJAX_SHA256", "install_mathjax"]

MATHJAX_PACKAGE = "mathjax@3.2.2"
MATHJAX_SHA256 = "1b9c0a1c44df864e915690558e72adb9cc5203360daefd385084ced3b6c64c09"
MATHJAX_ENTRY = "tex-mml-chtml.js"


def install_mathjax(dest: Path | str) -> Path:
    """Unpack MathJax's ``es5`` bundle into ``dest`` (replaced atomically); return the entry script.

    Nothing is done when ``dest`` already holds this version (a ``VERSION`` stamp records it).
    """
    dest = Path(dest)
    stamp = dest / "VERSION"
    if stamp.exists() and stamp.read_text().strip() == MATHJAX_PACKAGE:
        return dest / MATHJAX_ENTRY
    archive = npm.tarball(MATHJAX_PACKAGE, MATHJAX_SHA256, cache_dir())
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as tmp:
        staged = Path(tmp) / "es5"
        with tarfile.open(archive, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/es5/") and m.isfile()]
            for member in members:
                member.name = member.name.removeprefix("package/es5/")
            tar.extractall(staged, members=members, filter="data")
        (staged / "VERSION").write_text(MATHJAX_PACKAGE + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staged, dest)
    return dest / MATHJAX_ENTRY


def main(argv: list[str] | None = None) -> int:
    """Command line: install the book's offline assets."""
    parser = argparse.ArgumentParser(prog="python -m cnnmath.book.assets", description=__doc__.splitlines()[0])
    parser.add_argument("dest", nargs="?", default="_assets/mathjax", help="where MathJax goes")
    args = parser.parse_args(argv)
    try:
        entry = install_mathjax(args.dest)
    except npm.NpmError as err:
        parser.exit(2, f"error: {err}\n")
    print(f"MathJax ({MATHJAX_PACKAGE}) at {entry}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
