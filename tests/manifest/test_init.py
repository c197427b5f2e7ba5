"""gitorch init: a starter manifest for the repository it runs in, valid at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import Cli, GitRepo

ROOT = Path(__file__).resolve().parents[2]

CLICK_LIKE = {
    "README.md": "x\n", "pyproject.toml": "[project]\nname = 'click'\n", "CHANGES.rst": "c\n",
    "src/click/__init__.py": "", "src/click/core.py": "x = 1\n", "src/click/types.py": "y = 1\n",
    "src/click/testing.py": "z = 1\n", "src/extra/__init__.py": "",
    "src/extra/more.py": "m = 1\n", "tests/test_core.py": "def test(): pass\n",
    "docs/index.rst": "docs\n", ".github/workflows/ci.yml": "on: push\n",
    "examples/repo/pyproject.toml": "[project]\nname = 'repo'\n",
    "examples/repo/repo.py": "print(1)\n",
}


def test_init_writes_a_manifest_valid_on_the_first_validate(repo: GitRepo, cli: Cli) -> None:
    repo.commit("a src layout", CLICK_LIKE)
    result = cli("init", cwd=repo.path)
    assert result.exit_code == 0, result.output
    assert result.stdout == (f"wrote {repo.path / 'gitorch.yaml'} (2 teams: click, extra); check "
                             "it with 'gitorch validate', then commit it\n")
    text = (repo.path / "gitorch.yaml").read_text()
    doc = yaml.safe_load(text)
    assert doc["teams"]["click"]["owns"] == ["/src/click/**"]
    assert doc["teams"]["extra"]["owns"] == ["/src/extra/**"]
    assert set(doc["shared"]) == {"/.github/**", "/CHANGES.rst", "/README.md", "/docs/**",
                                  "/examples/**", "/pyproject.toml", "/tests/**"}
    assert doc["gates"]["test_command"].endswith("python -m pytest -q")
    assert doc["base"] == "main"
    assert text.count("\n#") >= 6                       # the keys are explained
    assert cli("validate", cwd=repo.path).exit_code == 0
    # every tracked file has an owner or is shared
    for path in CLICK_LIKE:
        owner = cli("owner", path, cwd=repo.path).stdout.strip()
        assert owner and "nobody" not in owner and owner != "-", (path, owner)


def test_init_never_overwrites(repo: GitRepo, cli: Cli) -> None:
    repo.commit("a src layout", {**CLICK_LIKE, "gitorch.yaml": "mine\n"})
    result = cli("init", cwd=repo.path)
    assert result.exit_code == 2
    assert "exists; gitorch init never overwrites it" in result.output
    assert (repo.path / "gitorch.yaml").read_text() == "mine\n"


@pytest.mark.parametrize(("marker", "command"), [
    ({"package.json": "{}\n"}, "npm test"), ({"go.mod": "module x\n"}, "go test ./..."),
    ({"Cargo.toml": "[package]\n"}, "cargo test"), ({"setup.py": ""}, "python -m pytest -q")])
def test_init_detects_the_test_command_and_honours_teams(repo: GitRepo, cli: Cli,
                                                         marker: dict[str, str],
                                                         command: str) -> None:
    files = {"api/a.js": "a\n", "api/b.js": "b\n", "core/c.go": "c\n", "web/d.rs": "d\n",
             "web/e.rs": "e\n", "web/f.rs": "f\n", **marker}
    repo.commit("many dirs", files)
    result = cli("init", "--teams", "2", "--json", cwd=repo.path)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["test_command"] == command
    assert doc["teams"] == {"web": ["/web/**"], "api": ["/api/**", "/core/**"]}
    assert cli("validate", cwd=repo.path).exit_code == 0


@pytest.mark.parametrize("name", ["ecommerce", "minimal"])
def test_init_templates_are_the_shipped_examples(repo: GitRepo, cli: Cli, name: str) -> None:
    repo.commit("empty", {"README.md": "x\n"})
    result = cli("init", "--template", name, cwd=repo.path)
    assert result.exit_code == 0, result.output
    assert (repo.path / "gitorch.yaml").read_text() == (ROOT / "manifests" / f"{name}.yaml").read_text()
    assert (ROOT / "gitorch" / "data" / f"{name}.yaml").read_text() == (
        ROOT / "manifests" / f"{name}.yaml").read_text()     # package data kept in step
    assert cli("validate", cwd=repo.path).exit_code == 0
