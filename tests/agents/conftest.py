"""A shop with three teams (one a sub-team), its team worktrees set up for every agent, and
the recorded hook inputs of each agent (``events/``) filled in for it."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gitorch.agents.githooks import guard_entry
from gitorch.agents.guard import Outcome, run
from tests.conftest import Cli, GitRepo, isolate

EVENTS = Path(__file__).parent / "events"

MANIFEST = """\
version: 1
project: shop
shared: [README.md]
teams:
  alpha:
    description: Foundation layer
    owns: ["src/core/**"]
  alpha-db:
    parent: alpha
    owns: ["src/core/db/**"]
  beta:
    description: API layer
    owns: ["src/api/**"]
    depends_on: [alpha]
"""

SEED = {"gitorch.yaml": MANIFEST, "README.md": "shop\n", "AGENTS.md": "# Rules\nRun the tests.\n",
        "src/core/base.py": "x = 1\n", "src/core/old.py": "old = 1\n",
        "src/core/mv.py": "mv = 1\n", "src/api/app.py": "app = 1\n"}


@dataclass
class Shop:
    repo: GitRepo
    main: Path
    alpha: Path
    alpha_db: Path
    beta: Path

    def tree(self, team: str) -> Path:
        return {"alpha": self.alpha, "alpha-db": self.alpha_db, "beta": self.beta}[team]


def make_shop(tmp_path: Path, cli: Cli, *, agents: str | None = None,
              seed: dict[str, str] | None = None) -> Shop:
    repo = GitRepo(tmp_path / "repo")
    repo.commit("Seed the shop", {**SEED, **(seed or {})})
    args = ["init-worktrees", *(["--agent", agents] if agents else [])]
    result = cli(*args, cwd=repo.path)
    assert result.exit_code == 0, result.output
    where = tmp_path / "repo-worktrees"
    return Shop(repo, repo.path.resolve(), (where / "alpha").resolve(),
                (where / "alpha-db").resolve(), (where / "beta").resolve())


@pytest.fixture
def shop(tmp_path: Path, cli: Cli) -> Shop:
    return make_shop(tmp_path, cli)


@pytest.fixture(scope="module")
def shared_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """One shop for a module's read-only questions (the guard writes nothing)."""
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, tmp_path_factory.mktemp("home"))
        where = tmp_path_factory.mktemp("shop")
        made = make_shop(where, Cli(where))
        os.symlink("../api", made.alpha / "src" / "core" / "link")   # a way out of alpha's paths
        yield made


def event(name: str, **values: str) -> str:
    """The recorded event ``events/NAME.json`` with its ``@KEY@`` placeholders filled in."""
    text = (EVENTS / f"{name}.json").read_text()
    wanted = set(re.findall(r"@([A-Z]+)@", text))
    assert wanted == {k.upper() for k in values}, (name, wanted, sorted(values))
    for key, value in values.items():
        text = text.replace(f"@{key.upper()}@", json.dumps(value)[1:-1])
    json.loads(text)
    return text


def guard(agent: str, text: str) -> Outcome:
    """The guard, in process, as the hook entry runs it."""
    return run(["--agent", agent], io.StringIO(text))


def guard_process(agent: str, text: str, cwd: Path,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The guard as the agents' settings run it: ``python -I -S .../gitorch/guard.py``."""
    return subprocess.run([*shlex.split(guard_entry()), "--agent", agent],
                          input=text, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def decision(agent: str, stdout: str) -> dict[str, Any]:
    data = json.loads(stdout)
    assert isinstance(data, dict)
    return data


def assert_allowed(agent: str, outcome: Outcome) -> None:
    assert (outcome.code, outcome.stderr) == (0, ""), outcome
    assert outcome.stdout == ("{}\n" if agent in ("gemini", "cursor") else ""), outcome


def assert_refused(agent: str, outcome: Outcome, *phrases: str) -> str:
    """Both documented forms: exit 2 with the reason on stderr, and the agent's JSON denial
    carrying the same reason on stdout. Returns the reason."""
    assert outcome.code == 2, outcome
    reason = outcome.stderr.rstrip("\n")
    data = decision(agent, outcome.stdout)
    if agent == "gemini":
        assert data == {"decision": "deny", "reason": reason}
    elif agent == "cursor":
        assert data == {"permission": "deny", "user_message": reason, "agent_message": reason}
    else:
        assert data == {"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                               "permissionDecision": "deny",
                                               "permissionDecisionReason": reason}}
    assert reason.startswith("gitorch: refused: ")
    for phrase in phrases:
        assert phrase in reason, (phrase, reason)
    return reason
