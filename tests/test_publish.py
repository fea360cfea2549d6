"""The published book's launch buttons point at the repository it is built from."""

import pytest
import yaml

from cnnmath.book.catalog import repo_root
from cnnmath.book.publish import BINDER, COLAB, with_launch_buttons


def test_launch_buttons_are_added_without_losing_the_config() -> None:
    config = yaml.safe_load((repo_root() / "_config.yml").read_text())
    assert "repository" not in config and "launch_buttons" not in config, "local builds have no buttons"
    out = with_launch_buttons(config, "someone/cnn-book", "main")
    assert out["repository"] == {"url": "https://github.com/someone/cnn-book", "branch": "main"}
    assert out["launch_buttons"]["binderhub_url"] == BINDER and out["launch_buttons"]["colab_url"] == COLAB
    assert out["html"]["use_repository_button"] and out["html"]["favicon"] == config["html"]["favicon"]
    link = "[someone/cnn-book](https://github.com/someone/cnn-book)"
    assert out["parse"]["myst_substitutions"]["repository"] == link, "the one place the address is set"
    assert {k: v for k, v in out["parse"].items() if k != "myst_substitutions"} == {
        k: v for k, v in config["parse"].items() if k != "myst_substitutions"
    }
    assert {k: v for k, v in out.items() if k not in ("repository", "launch_buttons", "html", "parse")} == {
        k: v for k, v in config.items() if k not in ("html", "parse")
    }


def test_the_landing_page_names_the_repository_through_the_substitution() -> None:
    config = yaml.safe_load((repo_root() / "_config.yml").read_text())
    local = config["parse"]["myst_substitutions"]["repository"]
    assert "http" not in local, "a local build names no address"
    assert "{{ repository }}" in (repo_root() / "book" / "intro.md").read_text()


@pytest.mark.parametrize(("repository", "branch", "message"), [
    ("cnn-book", "main", "repository must be 'owner/name'"),
    ("a/b/c", "main", "repository must be 'owner/name'"),
    ("someone/cnn-book", "", "branch must be a non-empty name"),
    ("someone/cnn-book", "my branch", "branch must be a non-empty name"),
])
def test_bad_addresses_are_refused(repository: str, branch: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        with_launch_buttons({}, repository, branch)
