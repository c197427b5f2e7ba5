"""A shop with four teams (one a sub-team) and their branches, for the progress stage."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from tests.conftest import Cli, GitRepo

# The tests' commits carry a pinned date of 2023 (tests/conftest.py): with the default
# stale_after, every working team would be stale. Staleness has its tests in test_liveness.py.
SHOP_MANIFEST = """\
version: 1
project: shop
shared: [README.md]
stale_after: 0
teams:
  alpha:
    owns: ["src/core/**"]
    target_loc: [10, 20]
  alpha-db:
    parent: alpha
    owns: ["src/core/db/**"]
  beta:
    owns: ["src/api/**"]
    depends_on: [alpha]
    target_loc: 4
  gamma:
    owns: ["src/domain/**"]
"""


@pytest.fixture
def shop(repo: GitRepo) -> GitRepo:
    """main with the manifest; team/alpha and team/beta start at main; main stays checked out."""
    repo.commit("init", {"gitorch.yaml": SHOP_MANIFEST, "README.md": "shop\n"})
    repo.branch("team/alpha")
    repo.branch("team/beta")
    return repo


def work(repo: GitRepo, branch: str, files: Mapping[str, str | None], message: str = "work") -> str:
    """Commit ``files`` on ``branch`` and come back to the branch checked out before."""
    before = repo.git("rev-parse", "--abbrev-ref", "HEAD").stdout.strip()
    repo.checkout(branch)
    sha = repo.commit(message, files)
    repo.checkout(before)
    return sha


def status_json(cli: Cli, repo: GitRepo, *args: str) -> dict[str, Any]:
    result = cli("status", "--json", *args, cwd=repo.path)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


def team(cli: Cli, repo: GitRepo, name: str, *args: str) -> dict[str, Any]:
    for entry in status_json(cli, repo, *args)["teams"]:
        if entry["team"] == name:
            assert isinstance(entry, dict)
            return entry
    raise AssertionError(f"no team {name}")


def state(cli: Cli, repo: GitRepo, name: str) -> str:
    found = team(cli, repo, name)["state"]
    assert isinstance(found, str)
    return found
