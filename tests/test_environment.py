"""pyproject.toml and environment.yml list the same pins."""

import tomllib

import yaml

from cnnmath.book.catalog import repo_root


def test_pyproject_and_environment_yml_agree() -> None:
    root = repo_root()
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | {r for extra in project["optional-dependencies"].values() for r in extra}
    env = yaml.safe_load((root / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert set(pip) == wanted
    assert "torch==2.13.0" in wanted, "torch must stay pinned to the CPU build of the project's machines"
