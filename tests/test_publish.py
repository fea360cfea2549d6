"""The published book's launch buttons point at the repository it is built from."""


import pytest
import yaml
from cnnmath.book.catalog import repo_root
from cnnmath.book.publish import BINDER, api_pages, with_launch_buttons


def test_launch_buttons_are_added_without_losing_the_config() -> None:
    config = yaml.safe_load((repo_root() / "_config.yml").read_text())
    assert "repository" not in config and "launch_buttons" not in config, "local builds have no buttons"
    out = with_launch_buttons(config, "someone/cnn-book", "main")
    assert out["repository"] == {"url": "https://github.com/someone/cnn-book", "branch": "main"}
    assert out["launch_buttons"]["binderhub_url"] == BINDER
    assert "colab_url" not in out["launch_buttons"], "Colab's environment lacks this package"
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


CHAPTER_PAPERS = {"volterra": "2110.09902", "analytic": "2407.06087", "relu": "1910.00744", "shift": "2209.11740"}


@pytest.mark.parametrize("chapter", ["volterra", "analytic", "relu", "shift", "cross"])
def test_every_chapter_page_ends_with_its_sources(chapter: str) -> None:
    text = (repo_root() / "book" / chapter / "index.md").read_text()
    assert "\n## Sources\n" in text, f"book/{chapter}/index.md has no Sources section"
    sources = text.split("\n## Sources\n", 1)[1]
    wanted = CHAPTER_PAPERS.values() if chapter == "cross" else [CHAPTER_PAPERS[chapter]]
    for arxiv in wanted:
        assert f"https://arxiv.org/abs/{arxiv}" in sources, f"{chapter}: no link to arXiv:{arxiv}"
    if chapter != "cross":
        assert f"https://doi.org/10.48550/arXiv.{CHAPTER_PAPERS[chapter]}" in sources


def test_the_bibliography_holds_every_paper_and_citation_cff_parses() -> None:
    bib = (repo_root() / "book" / "references.bib").read_text()
    for arxiv in CHAPTER_PAPERS.values():
        assert f"eprint  = {{{arxiv}}}" in bib or f"eprint    = {{{arxiv}}}" in bib, arxiv
    cff = yaml.safe_load((repo_root() / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["title"] and cff["authors"]
    assert {r["title"] for r in cff["references"]} >= {"Reverse-engineering deep ReLU networks"}


def test_the_api_pages_document_every_module_of_every_chapter() -> None:
    """`python -m cnnmath.book.publish --api-pages` writes them; regenerate and compare."""
    pages = api_pages()
    assert len(pages) == 6 and "book/api/volterra.md" in pages
    assert ".. automodule:: cnnmath.relu.oracle" in pages["book/api/relu.md"]
    stale = [rel for rel, text in pages.items() if (repo_root() / rel).read_text() != text]
    assert not stale, f"{stale} are stale: run `python -m cnnmath.book.publish --api-pages`"
