"""Patterns that surprise (issue 16, item 8): a name without '/' matches at every depth;
giving one file to another team."""

from __future__ import annotations

import json

import pytest

from gitorch.errors import ManifestError
from gitorch.manifest.loading import parse_manifest
from tests.conftest import Cli, GitRepo

MANIFEST = """\
version: 1
project: p
shared:
  - pyproject.toml
  - README.md
teams:
  core:
    owns: ["src/**"]
"""


def test_validate_warns_of_a_pattern_matching_at_every_depth(repo: GitRepo, cli: Cli) -> None:
    repo.commit("examples with their own pyproject", {
        "gitorch.yaml": MANIFEST, "pyproject.toml": "x\n", "README.md": "r\n",
        "src/a.py": "a\n", "examples/one/pyproject.toml": "1\n",
        "examples/two/pyproject.toml": "2\n"})
    result = cli("validate", cwd=repo.path)
    assert result.exit_code == 0
    path = repo.path / "gitorch.yaml"
    assert result.stderr == (
        f"{path}:4: warning: 'pyproject.toml' in 'shared' has no '/', so it matches at every "
        "depth: 3 files in 3 directories (., examples/one, examples/two); write "
        "'/pyproject.toml' for the one at the root only\n")
    doc = json.loads(cli("validate", "--json", cwd=repo.path).stdout)
    assert doc["valid"] is True and len(doc["warnings"]) == 1
    repo.commit("anchored", {"gitorch.yaml": MANIFEST.replace("- pyproject.toml",
                                                              "- /pyproject.toml")})
    assert cli("validate", cwd=repo.path).stderr == ""


def test_giving_one_file_away_names_the_exact_lines() -> None:
    text = ("version: 1\nproject: p\nteams:\n  core:\n    owns:\n      - src/core/**\n{extra}"
            "  old:\n    owns: [src/core/legacy.py]\n")
    with pytest.raises(ManifestError) as info:
        parse_manifest(text.format(extra=""), "gitorch.yaml")
    assert info.value.problems == [
        "gitorch.yaml:8: teams 'core' and 'old' can both own 'src/core/legacy.py': to give "
        "'src/core/legacy.py' to 'old', add '!src/core/legacy.py' and "
        "'!src/core/legacy.py/**' to the 'owns' of team 'core'"]
    fixed = text.format(extra="      - '!src/core/legacy.py'\n      - '!src/core/legacy.py/**'\n")
    manifest = parse_manifest(fixed, "gitorch.yaml")
    assert manifest.ownership.owner_of("src/core/legacy.py") == "old"
    assert manifest.ownership.owner_of("src/core/new.py") == "core"
