"""Configure the book for publishing: the repository it comes from and its launch buttons.

The repository's address is configured in one place, this module's ``--repository``: it becomes
the repository button, the Binder/Colab launch buttons and the ``{{ repository }}`` text of the
landing page's "How to cite" (``parse.myst_substitutions.repository`` in ``_config.yml``).

Binder (which builds ``environment.yml``) and Colab open a notebook from the repository, so the
buttons exist only where the repository's address is known: in the publishing workflow
(``.github/workflows/pages.yml``), which runs
``python -m cnnmath.book.publish --repository OWNER/NAME --branch BRANCH`` before building. A local
build has no launch buttons rather than buttons that point elsewhere.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import yaml

from cnnmath.book.catalog import repo_root
from cnnmath.io import write_text_atomic

__all__ = ["BINDER", "COLAB", "with_launch_buttons", "main"]

BINDER = "https://mybinder.org"
COLAB = "https://colab.research.google.com"
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")


def with_launch_buttons(config: dict[str, Any], repository: str, branch: str,
                        server: str = "https://github.com") -> dict[str, Any]:
    """A copy of the Jupyter Book ``config`` with the repository (button and ``{{ repository }}`` link)
    and Binder/Colab buttons.

    Examples
    --------
    >>> out = with_launch_buttons({}, "someone/cnn-book", "main")
    >>> out["parse"]["myst_substitutions"]["repository"]
    '[someone/cnn-book](https://github.com/someone/cnn-book)'
    """
    if not _REPOSITORY.match(repository):
        raise ValueError(f"repository must be 'owner/name', got {repository!r}")
    if not branch or any(c.isspace() for c in branch):
        raise ValueError(f"branch must be a non-empty name without spaces, got {branch!r}")
    out = dict(config)
    url = f"{server.rstrip('/')}/{repository}"
    out["repository"] = {"url": url, "branch": branch}
    parse = dict(config.get("parse", {}))
    parse["myst_substitutions"] = {**parse.get("myst_substitutions", {}), "repository": f"[{repository}]({url})"}
    out["parse"] = parse
    out["launch_buttons"] = {"notebook_interface": "classic", "binderhub_url": BINDER, "colab_url": COLAB}
    out["html"] = {**config.get("html", {}), "use_repository_button": True, "use_issues_button": True}
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line: rewrite ``_config.yml`` (atomically) for the published book."""
    parser = argparse.ArgumentParser(prog="python -m cnnmath.book.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--repository", required=True, help="OWNER/NAME on GitHub")
    parser.add_argument("--branch", required=True, help="the branch the book is built from")
    parser.add_argument("--server", default="https://github.com", help="the GitHub server's address")
    args = parser.parse_args(argv)
    path = Path(repo_root()) / "_config.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        config = with_launch_buttons(config, args.repository, args.branch, args.server)
    except ValueError as err:
        parser.error(str(err))
    write_text_atomic(path, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    print(f"{path}: launch buttons for {config['repository']['url']} ({args.branch})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
