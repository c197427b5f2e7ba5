"""``integrate --keep-green`` on real repositories: the culprit search and its rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, GitRepo
from tests.integrate.conftest import Scenario
from tests.integrate.greenproject import base_files, command, counter_env

Teams = list[tuple[str, int, list[str]]]
EIGHT: Teams = [(f"t{i}", 100 - i, []) for i in range(1, 9)]


@pytest.fixture(autouse=True)
def flaky_counter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in counter_env(tmp_path).items():
        monkeypatch.setenv(key, value)


def project(repo: GitRepo, cli: Cli, teams: Teams, work: dict[str, str],
            base_extra: str = "") -> Scenario:
    """One branch per team; ``work`` maps a team to the lines it adds to its file."""
    s = Scenario(repo, cli, base_files(teams, extra=base_extra))
    for team, _, _ in teams:
        s.team(team, {f"src/{team}/work.txt": "start\n" + base_extra + work.get(team, "ok\n")})
    return s


def green(s: Scenario, *more: str) -> tuple[int, Any]:
    code, data, result = s.run("--test", command(), "--keep-green", "--junit-file", "junit.xml",
                               *more)
    assert data is not None, result.output
    return code, data


def skipped(data: Any) -> dict[str, str]:
    return {x["team"]: x["reason"] for x in data["skipped"]}


def test_green_chain_changes_nothing(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT, {})
    code, data = green(s)
    assert code == 0
    assert data["culprits"] == [] and data["skipped"] == []
    assert [r["purpose"] for r in data["test_runs"]] == ["tip"]
    assert data["tests"]["passed"] is True
    assert s.refs()["refs/heads/integration"] == data["integration"]


def test_without_keep_green_the_report_has_no_new_keys(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT[:2], {"t2": "break oops\n"})
    code, data, _ = s.run("--test", command())
    assert code == 1
    assert "culprits" not in data and "test_runs" not in data
    assert data["merged"] == ["t1", "t2"]         # published red, as before


def test_a_red_base_publishes_nothing(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT[:3], {}, base_extra="break basebug\n")
    before = s.refs()
    code, data = green(s)
    assert code == 1
    assert data["keep_green"]["base_fails"] is True
    assert data["keep_green"]["base_failed_tests"] == ["checks::basebug"]
    assert "the base fails its own tests: checks::basebug" in data["gates"]["failures"]
    assert data["integration"] is None
    assert "refs/heads/integration" not in s.refs()
    assert {k: v for k, v in s.refs().items() if k.startswith("refs/heads/")} == \
        {k: v for k, v in before.items() if k.startswith("refs/heads/")}


def test_a_culprit_alone_is_found_and_left_out(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT, {"t7": "break parser\n"})
    code, data = green(s)
    assert code == 1
    assert data["culprits"] == [{
        "team": "t7", "kind": "alone", "with": [], "failing_tests": ["checks::parser"],
        "decided_by": "fails alone on the base: the team that broke the tests",
        "left_out": "t7"}]
    assert list(skipped(data)) == ["t7"]
    assert "checks::parser" in skipped(data)["t7"]
    assert data["merged"] == ["t1", "t2", "t3", "t4", "t5", "t6", "t8"]
    assert data["tests"]["passed"] is True
    assert s.refs()["refs/heads/integration"] == data["integration"]
    purposes = [r["purpose"] for r in data["test_runs"]]
    # the tip fails (and again when retried), the base passes, then a binary search
    assert purposes[:3] == ["tip", "retry", "base"] and purposes[-1] == "tip"
    assert purposes.count("search") <= 3                  # log2(8), not a scan
    assert purposes.count("alone") == 1
    assert len(purposes) <= 10, purposes
