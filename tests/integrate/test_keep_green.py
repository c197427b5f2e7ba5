"""``integrate --keep-green`` on real repositories: the culprit search and its rules."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from gitorch.integrate.testruns import WORKTREE_PREFIX, _alive
from tests.conftest import Cli, GitRepo
from tests.integrate.conftest import Scenario
from tests.integrate.greenproject import base_files, command, counter_env, team_files

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
        s.team(team, team_files(team, work.get(team, "ok\n"), extra=base_extra))
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


def test_an_interaction_names_the_pair_and_leaves_out_the_lower_priority(
        repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT, {"t2": "removes cache\n", "t6": "uses cache\n"})
    code, data = green(s)
    assert code == 1
    [culprit] = data["culprits"]
    assert culprit["team"] == "t6" and culprit["kind"] == "interaction"
    assert culprit["with"] == ["t2"]
    assert culprit["failing_tests"] == ["checks::use_cache"]
    assert culprit["left_out"] == "t6"                     # priority 94 < 98
    assert culprit["decided_by"].startswith("priority: t6 (94) is below t2 (98)")
    assert "only with t2" in skipped(data)["t6"]
    assert data["tests"]["passed"] is True


def test_of_a_pair_the_earlier_team_goes_when_its_priority_is_lower(
        repo: GitRepo, cli: Cli) -> None:
    # late depends on dep (priority 1), so low (5) merges before late (50)
    teams: Teams = [("low", 5, []), ("dep", 1, []), ("late", 50, ["dep"]), ("other", 3, [])]
    s = project(repo, cli, teams, {"low": "removes api\n", "late": "uses api\n"})
    code, data = green(s)
    assert data["order"] == ["low", "other", "dep", "late"]
    [culprit] = data["culprits"]
    assert (culprit["team"], culprit["with"], culprit["left_out"]) == ("late", ["low"], "low")
    assert "priority: low (5) is below late (50)" in culprit["decided_by"]
    assert list(skipped(data)) == ["low"]
    assert data["merged"] == ["other", "dep", "late"]
    assert code == 1


def test_of_a_pair_the_dependent_goes_whatever_the_priorities(repo: GitRepo, cli: Cli) -> None:
    teams: Teams = [("core", 1, []), ("app", 90, ["core"])]
    s = project(repo, cli, teams, {"core": "removes hook\n", "app": "uses hook\n"})
    code, data = green(s)
    [culprit] = data["culprits"]
    assert (culprit["team"], culprit["with"], culprit["left_out"]) == ("app", ["core"], "app")
    assert culprit["decided_by"].startswith("dependency: app depends on core")
    assert data["merged"] == ["core"]
    assert code == 1


def test_the_dependents_of_a_culprit_are_left_out_with_it(repo: GitRepo, cli: Cli) -> None:
    teams: Teams = [("base", 50, []), ("lib", 40, []), ("api", 30, ["lib"]), ("ui", 20, ["api"]),
                    ("docs", 10, [])]
    s = project(repo, cli, teams, {"lib": "break storage\n"})
    code, data = green(s)
    assert code == 1
    assert [c["team"] for c in data["culprits"]] == ["lib"]
    reasons = skipped(data)
    assert list(reasons) == ["lib", "api", "ui"]
    assert reasons["api"] == "depends on lib, which was left out"
    assert reasons["ui"] == "depends on lib, which was left out"   # names the culprit
    assert data["merged"] == ["base", "docs"]


def test_a_flaky_test_is_listed_and_never_blamed(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT, {"t5": "flaky wobble\n"})
    code, data = green(s)
    # it failed on the tip, passed on the retry, failed again in the measured run
    assert data["flaky_tests"] == ["checks::wobble", "(the test command, in the measured run)"]
    assert data["culprits"] == [] and data["skipped"] == []
    assert data["tests"]["passed"] is True
    assert [r["purpose"] for r in data["test_runs"]] == ["tip", "retry"]
    assert code == 0


def test_a_flaky_test_beside_a_real_culprit(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT, {"t2": "flaky wobble\n", "t6": "break real\n"})
    code, data = green(s, "--retries", "2")
    assert [c["team"] for c in data["culprits"]] == ["t6"]
    assert list(skipped(data)) == ["t6"]
    assert "checks::wobble" in data["flaky_tests"]
    assert code == 1


def test_with_jobs_the_tips_retry_rides_in_the_first_search_round(repo: GitRepo,
                                                                    cli: Cli) -> None:
    """--jobs 2: the base runs beside the tip, the tip's retry beside the first probe; a
    failure the retry shows flaky is still never blamed, a real one still found."""
    s = project(repo, cli, EIGHT, {"t5": "flaky wobble\n"})
    code, data = green(s, "--jobs", "2")
    assert data["culprits"] == [] and data["skipped"] == []
    assert "checks::wobble" in data["flaky_tests"]
    purposes = [r["purpose"] for r in data["test_runs"]]
    assert sorted(purposes[:2]) == ["base", "tip"] and "retry" in purposes   # side by side
    assert code == 0


def test_with_jobs_a_flaky_test_beside_a_real_culprit(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT, {"t2": "flaky wobble\n", "t6": "break real\n"})
    code, data = green(s, "--jobs", "2", "--retries", "2")
    assert [c["team"] for c in data["culprits"]] == ["t6"]
    assert list(skipped(data)) == ["t6"]
    assert code == 1


THREE = {"t3": "break alpha\n", "t9": "break beta\n", "t14": "break gamma\n"}
SIXTEEN: Teams = [(f"t{i}", 100 - i, []) for i in range(1, 17)]


def changed_teams(s: Scenario, commit: str, teams: Teams) -> list[str]:
    """The teams whose change is in the commit's tree."""
    return [t for t, _, _ in teams if s.show(f"{commit}:src/{t}/work.txt") != "start\n"]


def test_three_culprits_with_different_tests_are_found_in_one_search(
        repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, SIXTEEN, THREE)
    code, data = green(s)
    assert code == 1
    assert sorted((c["team"], c["kind"], c["failing_tests"][0]) for c in data["culprits"]) == [
        ("t14", "alone", "checks::gamma"), ("t3", "alone", "checks::alpha"),
        ("t9", "alone", "checks::beta")]
    assert sorted(skipped(data)) == ["t14", "t3", "t9"]
    purposes = [r["purpose"] for r in data["test_runs"]]
    assert purposes.count("tip") == 2                    # one search, then the green tip
    # once the suspect ranges part, one composite tree a round serves all three
    assert purposes.count("search") == 1 and purposes.count("composite") == 3, purposes
    assert len(purposes) == 11          # one culprit among 16 teams: 9 (tip, retry, base,
    assert data["tests"]["passed"] is True      # 4 search, alone, tip); a scan: 14 + 1
    for run in data["test_runs"]:       # the evidence names every tree's teams
        assert changed_teams(s, run["commit"], SIXTEEN) == run["teams"], run


def test_a_composite_probe_that_misleads_is_searched_again_on_real_prefixes(
        repo: GitRepo, cli: Cli) -> None:
    # use_api fails only with t7 and t12 merged; a composite tree leaving out the upper
    # part of alpha's range (t5 .. t8) holds t12 without t7 and passes use_api
    s = project(repo, cli, SIXTEEN, {"t6": "break alpha\n", "t7": "removes api\n",
                                     "t12": "uses api\n"})
    code, data = green(s)
    assert [(c["team"], c["kind"], c["with"], c["left_out"]) for c in data["culprits"]] == [
        ("t6", "alone", [], "t6"), ("t12", "interaction", ["t7"], "t12")]
    runs = data["test_runs"]
    misled = [r for r in runs if r["purpose"] == "composite"
              and "t12" in r["teams"] and "t7" not in r["teams"]]
    assert misled and not any("checks::use_api" in r["failed_tests"] for r in misled)
    # the hint pointed at a later team; a real prefix before it failed use_api
    contradicting = [r for r in runs if r["purpose"] == "confirm" and "t7" in r["teams"]
                     and "t12" in r["teams"] and "checks::use_api" in r["failed_tests"]
                     and r["teams"] != runs[0]["teams"][:15]]
    assert contradicting, runs
    assert list(skipped(data)) == ["t6", "t12"]
    assert data["tests"]["passed"] is True
    assert code == 1


def test_an_interaction_is_named_beside_culprits_found_by_composite_probes(
        repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, SIXTEEN, {"t1": "removes api\n", "t5": "break one\n",
                                     "t9": "uses api\n", "t15": "break three\n"})
    code, data = green(s)
    assert "composite" in [r["purpose"] for r in data["test_runs"]]
    assert sorted((c["team"], c["kind"], c["with"], c["left_out"])
                  for c in data["culprits"]) == [
        ("t15", "alone", [], "t15"), ("t5", "alone", [], "t5"),
        ("t9", "interaction", ["t1"], "t9")]
    assert "only with t1" in skipped(data)["t9"]
    assert data["tests"]["passed"] is True
    assert code == 1


def overlaps(trace: Path) -> int:
    spans = sorted(tuple(map(float, line.split())) for line in trace.read_text().splitlines())
    return sum(1 for (_, end), (start, _) in pairwise(spans) if start < end)


def test_jobs_two_runs_two_at_once_finds_the_same_culprits_and_removes_its_worktrees(
        repo: GitRepo, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = project(repo, cli, SIXTEEN, THREE)
    monkeypatch.setenv("GREEN_TEST_CPU", "0.1")         # each run lasts a moment
    for jobs in ("1", "2"):
        monkeypatch.setenv("GREEN_TRACE", str(tmp_path / f"trace-{jobs}"))
        code, data = green(s, "--jobs", jobs, "--dry-run")
        assert sorted(c["team"] for c in data["culprits"]) == ["t14", "t3", "t9"]
        assert data["keep_green"]["jobs"] == int(jobs)
        assert code == 1
    assert overlaps(tmp_path / "trace-1") == 0
    assert overlaps(tmp_path / "trace-2") >= 1          # (git adds worktrees one at a time)
    listed = repo.git("worktree", "list", "--porcelain").stdout
    assert listed.count("worktree ") == 1, listed


def test_dry_run_searches_and_moves_nothing(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT, {"t4": "break x\n"})
    before = s.refs()
    code, data = green(s, "--dry-run")
    assert [c["team"] for c in data["culprits"]] == ["t4"]
    assert data["dry_run"] is True and data["integration"]
    assert s.refs() == before
    assert code == 1


def test_a_hanging_test_run_is_killed_and_counts_as_failed(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT[:4], {"t3": "hang\n"})
    code, data = green(s, "--test-timeout", "2", "--retries", "0")
    assert [c["team"] for c in data["culprits"]] == ["t3"]
    timed_out = [r for r in data["test_runs"] if r["timed_out"]]
    assert timed_out and timed_out[0]["failed_tests"] == ["(timed out after 2s)"]
    assert data["merged"] == ["t1", "t2", "t4"]
    assert code == 1


def test_a_test_command_that_cannot_start_is_a_usage_error(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT[:2], {"t2": "break x\n"})
    code, _, result = s.run("--test", "no-such-test-runner --all", "--keep-green")
    assert code == 2
    assert "cannot start: no-such-test-runner" in result.output
    assert "refs/heads/integration" not in s.refs()


def test_options_of_keep_green_need_it(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT[:2], {})
    code, _, result = s.run("--test", command(), "--jobs", "2")
    assert code == 2 and "go with --keep-green" in result.output
    code, _, result = s.run("--keep-green")
    assert code == 2 and "needs a test command" in result.output


def test_status_shows_each_teams_verdict_of_the_last_run(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT[:4], {"t3": "break parser\n"})
    before = cli("status", cwd=s.path).output
    assert "LAST INTEGRATION" not in before               # no run yet: the table as it was
    green(s)
    table = cli("status", cwd=s.path).output
    assert "LAST INTEGRATION" in table
    lines = {line.split()[0]: line for line in table.splitlines()[1:]}
    assert "merged" in lines["t1"]
    assert "left out: its merge breaks the tests (checks::parser)" in lines["t3"]
    data = json.loads(cli("status", "--json", cwd=s.path).stdout)
    verdicts = {t["team"]: t.get("last_integration") for t in data["teams"]}
    assert verdicts["t1"] == "merged" and verdicts["t3"].startswith("left out")


def test_every_report_format_says_why_each_team_was_left_out(
        repo: GitRepo, cli: Cli, tmp_path: Path) -> None:
    teams: Teams = [("core", 50, []), ("api", 40, ["core"]), ("web", 30, [])]
    s = project(repo, cli, teams, {"core": "break db\n"})
    target = tmp_path / "out" / "report.md"
    result = cli("integrate", "--test", command(), "--keep-green", "--junit-file", "junit.xml",
                 "--format", "md,html,junit,json", "--report", str(target), cwd=s.path)
    assert result.exit_code == 1, result.output
    md = target.read_text()
    assert "### Why each team was left out" in md
    assert "| core | core breaks checks::db, also merged alone on the base |" in md
    assert "| api | depends on core, which was left out |" in md
    html = target.with_suffix(".html").read_text()
    assert "<h3>Why each team was left out</h3>" in html and "<b>api</b>" in html
    junit = target.with_suffix(".xml").read_text()
    assert 'classname="gitorch.integrate.culprits" name="core"' in junit
    data = json.loads(target.with_suffix(".json").read_text())
    assert [c["team"] for c in data["culprits"]] == ["core"]
    assert "Keep green:" in result.output and "core (alone) breaks checks::db" in result.output


def _interrupt_during_the_search(s: Scenario, sig: int) -> None:
    """Start --keep-green on a chain whose tests hang; send ``sig`` once a test run started."""
    proc = subprocess.Popen([sys.executable, "-m", "gitorch", "integrate", "--keep-green",
                             "--test", command()], cwd=s.path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    pattern = f"{WORKTREE_PREFIX}{proc.pid}-*"
    deadline = time.monotonic() + 60
    while not list(Path(tempfile.gettempdir()).glob(pattern)):
        assert proc.poll() is None and time.monotonic() < deadline, "no test run started"
        time.sleep(0.05)
    time.sleep(0.3)                      # the test command is running in its worktree
    proc.send_signal(sig)
    proc.wait(timeout=30)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_search_leaves_every_branch_as_it_was(
        repo: GitRepo, cli: Cli, sig: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANG_SECONDS", "3")
    s = project(repo, cli, EIGHT[:3], {"t2": "hang\n"})
    branches = {k: v for k, v in s.refs().items() if k.startswith("refs/heads/")}
    _interrupt_during_the_search(s, sig)
    assert {k: v for k, v in s.refs().items() if k.startswith("refs/heads/")} == branches
    if sig == signal.SIGINT:             # Ctrl-C: the run's worktree is gone at once
        assert repo.git("worktree", "list").stdout.count("\n") == 1
    # the next run removes what a killed one left behind, and finds the hanging team
    code, data = green(s, "--test-timeout", "1", "--retries", "0")
    assert [c["team"] for c in data["culprits"]] == ["t2"]
    assert repo.git("worktree", "list").stdout.count("\n") == 1
    left = [p for p in Path(tempfile.gettempdir()).glob(f"{WORKTREE_PREFIX}*")
            if not _alive(int(p.name[len(WORKTREE_PREFIX):].split("-")[0]))]
    assert left == []
    assert code == 1


def test_watch_with_keep_green_publishes_only_green(repo: GitRepo, cli: Cli) -> None:
    s = project(repo, cli, EIGHT[:4], {"t2": "break cart\n"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitorch", "integrate", "--watch", "--interval", "0.2",
         "--keep-green", "--junit-file", "junit.xml", "--test", command(), "--json"],
        cwd=s.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())      # the first run's report
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert [c["team"] for c in first["culprits"]] == ["t2"]
    assert first["merged"] == ["t1", "t3", "t4"]
    published = s.refs()["refs/heads/integration"]
    assert published == first["integration"]
    assert s.show(f"{published}:src/t2/work.txt") == "start\n"    # t2's change is not in


def test_a_reused_worktree_holds_exactly_the_next_commits_files(make_repo: Any) -> None:
    """One worktree serves every run of a slot: what a run left behind (an untracked file,
    an ignored one, an edit of a tracked file, a deleted file) is gone before the next run,
    and the runner's worktrees are gone after close()."""
    from gitorch.integrate.testruns import TestRunner
    from gitorch.repo import open_repo

    repo = make_repo()
    check = ('test ! -e junk && test ! -e build/out.o && test "$(wc -l < count)" -eq 1 '
             '&& test -e keep && touch junk && mkdir -p build && touch build/out.o '
             '&& echo more >> count && rm keep')
    commits = [repo.commit(f"c{i}", {"count": "one\n", "keep": "k\n", ".gitignore": "build/\n",
                                     "which": f"{i}\n"}) for i in range(4)]
    runner = TestRunner(open_repo(repo.path), f"sh -c '{check}'", retries=0)
    try:
        found = [runner.verdicts([(c, (), "search")])[0] for c in commits]
        made = set(Path(tempfile.gettempdir()).glob(f"{WORKTREE_PREFIX}{os.getpid()}-*"))
    finally:
        runner.close()
    assert [v.passed for v in found] == [True] * 4, [r.failed_tests for r in runner.runs]
    assert len(runner.runs) == 4 and len(made) == 1
    listed = repo.git("worktree", "list", "--porcelain").stdout
    assert listed.count("worktree ") == 1
    assert not [p for p in made if p.exists()]


def test_a_worktree_git_cannot_reset_is_replaced(make_repo: Any) -> None:
    """A run that breaks its worktree (here: deletes its ``.git`` file) costs the next run
    nothing but a fresh worktree; nothing is left behind."""
    from gitorch.integrate.testruns import TestRunner
    from gitorch.repo import open_repo

    repo = make_repo()
    commits = [repo.commit(f"c{i}", {"which": f"{i}\n"}) for i in range(3)]
    runner = TestRunner(open_repo(repo.path), "sh -c 'test ! -e junk && touch junk && rm .git'",
                        retries=0)
    try:
        found = [runner.verdicts([(c, (), "search")])[0].passed for c in commits]
    finally:
        runner.close()
    assert found == [True] * 3
    assert repo.git("worktree", "list", "--porcelain").stdout.count("worktree ") == 1
    assert not list(Path(tempfile.gettempdir()).glob(f"{WORKTREE_PREFIX}{os.getpid()}-*"))
