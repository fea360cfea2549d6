"""Time the README's two commands, `make book` then `make test`, on a fresh clone of HEAD.

The clone gets its own virtual environment and an empty data cache, as a new machine would;
goals (issue: the book as a product): `make book` ≤ 15 min, `make test` ≤ 30 min on 2 cores.
After each command the clone's `git status --porcelain` must be empty: a reader's run never
rewrites the committed record.
"""

import os
import subprocess
import tempfile
import time
from pathlib import Path

from cnnmath.book.bench import record
from cnnmath.book.catalog import repo_root

GOALS = {"make book": 15 * 60, "make test": 30 * 60}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(repo_root()), str(clone)], check=True)
        env = {**os.environ, "CNNMATH_DATA": str(Path(tmp) / "data")}
        for command, goal in GOALS.items():
            start = time.perf_counter()
            subprocess.run(command.split(), cwd=clone, env=env, check=True, stdout=subprocess.DEVNULL)
            seconds = time.perf_counter() - start
            changed = subprocess.run(["git", "status", "--porcelain"], cwd=clone, check=True,
                                     capture_output=True, text=True).stdout.splitlines()
            rows.append([f"`{command}`", round(seconds), round(seconds / 60, 1), goal // 60,
                         "yes" if seconds <= goal else "**no**",
                         "yes" if not changed else f"**no** ({len(changed)} paths)"])
    record(
        "make_commands", "The two commands on a fresh clone",
        ["command", "seconds", "minutes", "goal (min)", "within goal", "tree clean after"], rows,
        summary="A fresh clone of the repository, an empty data cache: `make book` creates the virtual"
                " environment, executes every notebook and builds the HTML; `make test` then runs every test;"
                " after each, `git status --porcelain` of the clone lists nothing.",
    )


if __name__ == "__main__":
    main()
