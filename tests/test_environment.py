"""pyproject.toml and environment.yml list the same pins, and environment.yml (what Binder and
conda build) installs this package and torch's CPU build."""

import tomllib

import yaml
from cnnmath.book.catalog import repo_root

CPU_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


def _pip_lines() -> list[str]:
    env = yaml.safe_load((repo_root() / "environment.yml").read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)


def test_pyproject_and_environment_yml_agree() -> None:
    project = tomllib.loads((repo_root() / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | {r for extra in project["optional-dependencies"].values() for r in extra}
    pins = {line for line in _pip_lines() if not line.startswith("-")}
    assert pins == wanted
    assert "torch==2.13.0" in wanted, "torch must stay pinned to the CPU build of the project's machines"


def test_environment_yml_installs_the_package_and_cpu_torch() -> None:
    lines = _pip_lines()
    options = [line for line in lines if line.startswith("-")]
    assert options == [CPU_INDEX, "--editable ."], options
    assert lines[0] == CPU_INDEX, "the CPU index must come before torch"
    assert lines[-1] == "--editable .", "the package installs last, after its pinned dependencies"
