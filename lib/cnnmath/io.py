"""Atomic file writes: a reader never sees half a file, an interrupted write leaves the old one.

The temporary file lives beside its target as ``.<name>.<pid>.<random>.tmp``: hidden, and with a
suffix no tool collects (nbval collects ``*.ipynb``, so a half-written notebook is never tested).
It is removed on any exception, including ``KeyboardInterrupt`` and the runner's SIGTERM; a
process killed outright (SIGKILL) can leave one, which :func:`remove_stale_temps` deletes once its
process is gone. Written files get ordinary permissions (``0644``), not ``mkstemp``'s ``0600``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["FILE_MODE", "atomic_path", "remove_stale_temps", "write_text_atomic"]

FILE_MODE = 0o644
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[^.]+\.tmp$")


@contextmanager
def atomic_path(target: Path | str, mode: int = FILE_MODE) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    The file is given ``mode`` before it replaces ``target``. On any exception the temporary
    file is removed and ``target`` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(folder: Path | str) -> list[Path]:
    """Delete the temporary files of :func:`atomic_path` in ``folder`` whose process has ended.

    Temporary files of running processes (another writer at work) are left alone. Returns the
    files removed.
    """
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        match = _TEMP.match(path.name)
        if match and path.is_file() and not _alive(int(match["pid"])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def write_text_atomic(target: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
