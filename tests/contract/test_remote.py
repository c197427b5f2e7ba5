"""Where commands look a team's branch up: a team's branch is the local <prefix><team>, else
origin/<prefix><team>; --remote NAME picks another remote. Every command that looks
team branches up does it the same way."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Cli, git
from tests.contract.conftest import Project

Check = Callable[[Project, dict[str, Any]], None]


def _conflicts(p: Project, doc: dict[str, Any]) -> None:
    assert doc["teams"].get("alpha") == p.alpha and doc["teams"].get("beta") == p.beta


def _integrate(p: Project, doc: dict[str, Any]) -> None:
    assert doc["merged"] == ["alpha", "beta"]


def _status(p: Project, doc: dict[str, Any]) -> None:
    heads = {t["team"]: t["head"] for t in doc["teams"]}
    assert heads["alpha"] == p.alpha and heads["beta"] == p.beta


def _head(p: Project, doc: dict[str, Any]) -> None:
    assert doc["head"] == p.alpha


# command, its arguments, what the report says when the branches are found, the exit codes
# with and without --remote upstream (without it the lead clone, whose only remote is
# 'upstream', finds no team branch).
# Found: alpha and beta both change the shared README.md, a predicted conflict (exit 1) that
# --fix settles; alpha's commit stays in its scope. Not found: no teams conflict (0), the
# teams are skipped as missing (1), the head to judge does not exist (2).
CASES: list[tuple[tuple[str, ...], Check, int, int]] = [
    (("conflicts",), _conflicts, 1, 0),
    (("integrate", "--dry-run", "--fix"), _integrate, 0, 1),
    (("status",), _status, 0, 0),
    (("monitor",), _status, 0, 0),
    (("gate", "--head", "team/alpha", "--base", "main"), _head, 0, 2),
    (("check", "team/alpha"), _head, 0, 2),
]


@pytest.mark.parametrize(("args", "found", "code", "code_without"), CASES,
                         ids=[" ".join(case[0]) for case in CASES])
def test_remote_picks_the_remote(project: Project, cli: Cli, args: tuple[str, ...],
                                 found: Check, code: int, code_without: int) -> None:
    result = cli(*args, "--remote", "upstream", "--json", cwd=project.lead)
    assert result.exit_code == code, result.output
    found(project, json.loads(result.stdout))

    without = cli(*args, "--json", cwd=project.lead)      # origin: there is no such remote
    assert without.exit_code == code_without, without.output
    if without.exit_code == 2:
        assert without.stdout == ""
    else:
        with pytest.raises(AssertionError):
            found(project, json.loads(without.stdout))


def test_check_finds_a_team_branch_on_origin(project: Project, cli: Cli) -> None:
    git(project.lead, "remote", "rename", "upstream", "origin")
    result = cli("check", "team/alpha", "--json", cwd=project.lead)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["head"] == project.alpha


def test_the_local_branch_wins_over_the_remote(project: Project, cli: Cli) -> None:
    git(project.lead, "branch", "team/alpha", "main")
    for args in (("status",), ("check", "team/alpha")):
        result = cli(*args, "--remote", "upstream", "--json", cwd=project.lead)
        doc = json.loads(result.stdout)
        head = doc["head"] if "head" in doc else doc["teams"][0]["head"]
        assert head == project.base


def test_signal_builds_on_the_remote_team_branch(project: Project, cli: Cli) -> None:
    result = cli("signal", "ready", "--team", "alpha", "--remote", "upstream", "--json",
                 cwd=project.lead)
    assert result.exit_code == 0, result.output
    commit = json.loads(result.stdout)["commit"]
    assert git(project.lead, "rev-parse", f"{commit}^").stdout.strip() == project.alpha


@pytest.mark.parametrize(("remote", "start"), [(("--remote", "upstream"), "alpha"), ((), "base")])
def test_init_worktrees_starts_a_team_branch_from_the_remote_one(
        project: Project, cli: Cli, remote: tuple[str, ...], start: str) -> None:
    result = cli("init-worktrees", *remote, "--json", cwd=project.lead)
    assert result.exit_code == 0, result.output
    created = {w["team"]: w["branch_created"] for w in json.loads(result.stdout)["worktrees"]}
    assert created == {"alpha": True, "alpha-db": True, "beta": True}
    tip = git(project.lead, "rev-parse", "team/alpha").stdout.strip()
    assert tip == getattr(project, start)
