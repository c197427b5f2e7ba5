"""Builders for integration scenarios: a base with a manifest and one branch per team."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.conftest import Cli, GitRepo

MANIFEST = """\
version: 1
project: shop
shared: [README.md, "docs/**"]
teams:
  alpha:
    owns: ["src/core/**"]
    priority: 100
    target_loc: [10, 20]
  beta:
    owns: ["src/api/**"]
    priority: 90
    depends_on: [alpha]
  gamma:
    owns: ["src/ui/**"]
    priority: 10
  delta:
    owns: ["src/cli/**"]
    priority: 5
    depends_on: [gamma]
"""

README = "".join(f"line {i}\n" for i in range(1, 11))

BASE_FILES: dict[str, str | bytes | None] = {
    "gitorch.yaml": MANIFEST,
    "README.md": README,
    "src/core/db.py": "def connect():\n    return 'db'\n",
    "src/api/app.py": "def app():\n    return 'app'\n",
    "src/ui/view.py": "def view():\n    return 'view'\n",
    "src/cli/main.py": "def main():\n    return 'main'\n",
}


def readme(**lines: str) -> str:
    """README with some lines replaced: readme(l2="two") changes line 2."""
    out = [f"line {i}" for i in range(1, 11)]
    for key, text in lines.items():
        out[int(key[1:]) - 1] = text
    return "".join(f"{x}\n" for x in out)


class Scenario:
    """A repository with a base commit and team branches, each made of commits on main."""

    def __init__(self, repo: GitRepo, cli: Cli,
                 base: Mapping[str, str | bytes | None] | None = None):
        self.repo = repo
        self.cli = cli
        self.base = repo.commit("base", dict(base or BASE_FILES))

    def team(self, name: str, *commits: Mapping[str, str | bytes | None],
             start: str = "main") -> str:
        """Create team/<name> from ``start`` with one commit per mapping; return its head."""
        self.repo.git("checkout", "-q", "-b", f"team/{name}", start)
        for i, files in enumerate(commits):
            self.repo.commit(f"{name} work {i + 1}", dict(files))
        self.repo.git("checkout", "-q", "main")
        return self.repo.head(f"team/{name}")

    def run(self, *args: str) -> tuple[int, Any, Result]:
        """``gitorch integrate --json --format json ARGS`` in the repo: (exit code, JSON, result)."""
        result = self.cli("integrate", "--json", "--format", "json", *args, cwd=self.repo.path)
        data = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
        return result.exit_code, data, result

    def refs(self) -> dict[str, str]:
        out = self.repo.git("for-each-ref", "--format=%(refname) %(objectname)").stdout
        return dict(line.split() for line in out.splitlines())

    def show(self, rev_path: str) -> str:
        return self.repo.git("show", rev_path).stdout

    @property
    def path(self) -> Path:
        return self.repo.path


@pytest.fixture
def scenario(repo: GitRepo, cli: Cli) -> Scenario:
    return Scenario(repo, cli)
