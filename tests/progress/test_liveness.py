"""Team liveness: a working team goes stale after stale_after minutes without a commit or a
signal; teams that wait for each other in a circle are a deadlock, named with the way out."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import Cli, GitRepo
from tests.progress.conftest import SHOP_MANIFEST, state, status_json, team

LIVE = SHOP_MANIFEST.replace("stale_after: 0\n", "")
WAY_OUT = ("each team waits for the next, so none can move. Way out: the teams agree on the "
           "smallest interface one needs from the other, one of them commits it as a shared "
           "stub that both build on, and both signal working")


@pytest.fixture
def live(repo: GitRepo) -> GitRepo:
    repo.commit("init", {"gitorch.yaml": LIVE, "README.md": "shop\n"})
    for name in ("alpha", "beta", "gamma"):
        repo.branch(f"team/{name}")
    return repo


def commit_at(repo: GitRepo, branch: str, minutes_ago: float, path: str) -> None:
    when = f"{int(time.time() - minutes_ago * 60)} +0000"
    repo.checkout(branch)
    repo.write({path: f"# {minutes_ago}\n"})
    repo.git("add", "-A")
    repo.git("commit", "-qm", "work", env={"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when})
    repo.checkout("main")


def test_a_quiet_working_team_goes_stale(live: GitRepo, cli: Cli) -> None:
    commit_at(live, "team/alpha", 20, "src/core/a.py")
    commit_at(live, "team/gamma", 5, "src/domain/g.py")
    data = status_json(cli, live)
    assert data["stale_after"] == 15
    alpha, gamma = (team(cli, live, n) for n in ("alpha", "gamma"))
    assert (alpha["state"], gamma["state"]) == ("stale", "working")
    assert alpha["idle_minutes"] in (20, 21) and gamma["idle_minutes"] in (5, 6)
    text = cli("status", cwd=live.path).output
    [row] = [line for line in text.splitlines() if line.startswith("alpha ")]
    assert "stale" in row and row.rstrip().endswith(f"no commit or signal for "
                                                    f"{alpha['idle_minutes']} min")
    monitor = json.loads(cli("monitor", "--json", cwd=live.path).output)
    assert [t["state"] for t in monitor["teams"] if t["team"] == "alpha"] == ["stale"]


def test_a_signal_counts_as_activity(live: GitRepo, cli: Cli,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    commit_at(live, "team/alpha", 30, "src/core/a.py")
    assert state(cli, live, "alpha") == "stale"
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"{int(time.time())} +0000")   # the signal: now
    assert cli("signal", "working", "--team", "alpha", "--reason", "still on it",
               cwd=live.path).exit_code == 0
    alpha = team(cli, live, "alpha")
    assert (alpha["state"], alpha["reason"], alpha["idle_minutes"]) == ("working", "still on it", 0)


def test_stale_after_is_the_manifests(live: GitRepo, cli: Cli) -> None:
    commit_at(live, "team/alpha", 20, "src/core/a.py")
    live.commit("patience", {"gitorch.yaml": LIVE.replace("shared:", "stale_after: 60\nshared:")})
    assert state(cli, live, "alpha") == "working"
    live.commit("never", {"gitorch.yaml": LIVE.replace("shared:", "stale_after: 0\nshared:")})
    assert state(cli, live, "alpha") == "working"


def test_only_working_teams_go_stale(live: GitRepo, cli: Cli) -> None:
    commit_at(live, "team/alpha", 90, "src/core/a.py")
    assert cli("signal", "ready", "--team", "alpha", cwd=live.path).exit_code == 0
    assert state(cli, live, "alpha") == "ready"
    assert state(cli, live, "gamma") == "not-started"


def test_two_teams_blocked_on_each_other(live: GitRepo, cli: Cli) -> None:
    assert cli("signal", "blocked", "--team", "alpha", "--reason", "need the API shape",
               "--on", "beta", cwd=live.path).exit_code == 0
    result = cli("signal", "blocked", "--team", "beta", "--reason", "need the entities",
                 "--on", "alpha", "--json", cwd=live.path)
    assert json.loads(result.output)["waits_on"] == ["alpha"]
    message = live.git("log", "-1", "--format=%B", "team/beta").stdout
    assert message.endswith("Gitorch-Reason: need the entities\nGitorch-Waits-On: alpha\n\n")
    data = status_json(cli, live)
    assert data["deadlocks"] == [{"cycle": ["alpha", "beta", "alpha"],
                                  "text": "alpha -> beta -> alpha", "advice": WAY_OUT}]
    alpha = team(cli, live, "alpha")
    assert (alpha["state"], alpha["waiting_on"]) == ("blocked", ["beta"])
    text = cli("status", cwd=live.path).output
    assert text.splitlines()[-1] == f"deadlock: alpha -> beta -> alpha: {WAY_OUT}"
    [row] = [line for line in text.splitlines() if line.startswith("alpha ")]
    assert row.rstrip().endswith("on beta: need the API shape")
    # one of them unblocks: no cycle left
    assert cli("signal", "working", "--team", "beta", cwd=live.path).exit_code == 0
    assert status_json(cli, live)["deadlocks"] == []


def test_a_cycle_through_a_waiting_team_and_a_longer_one(live: GitRepo, cli: Cli) -> None:
    # beta depends on alpha and has not started (waiting); alpha waits on beta
    assert cli("signal", "blocked", "--team", "alpha", "--reason", "x", "--on", "beta",
               cwd=live.path).exit_code == 0
    data = status_json(cli, live)
    assert [d["text"] for d in data["deadlocks"]] == ["alpha -> beta -> alpha"]
    assert team(cli, live, "beta")["state"] == "waiting"
    for who, on in (("beta", "gamma"), ("gamma", "alpha")):
        assert cli("signal", "blocked", "--team", who, "--reason", "x", "--on", on,
                   cwd=live.path).exit_code == 0
    texts = [d["text"] for d in status_json(cli, live)["deadlocks"]]
    assert texts == ["alpha -> beta -> gamma -> alpha"]


@pytest.mark.parametrize(("args", "message"), [
    (("ready", "--on", "beta"), "gitorch: --on goes with 'blocked': it names the teams a "
                                "blocked team waits for; gitorch signal blocked --reason \"...\" "
                                "--on TEAM\n"),
    (("blocked", "--reason", "x", "--on", "omega"), "gitorch: no team 'omega' in "),
    (("blocked", "--reason", "x", "--on", "alpha"), "gitorch: team alpha cannot wait for itself"),
])
def test_signal_on_refuses_what_cannot_be(live: GitRepo, cli: Cli, args: tuple[str, ...],
                                         message: str) -> None:
    result = cli("signal", *args, "--team", "alpha", cwd=live.path)
    assert result.exit_code == 2 and result.output.startswith(message)


def test_stale_after_must_be_whole_minutes(cli: Cli, repo: GitRepo) -> None:
    repo.write({"gitorch.yaml": LIVE.replace("shared:", "stale_after: soon\nshared:")})
    result = cli("validate", cwd=repo.path)
    assert result.exit_code == 2
    assert result.output.endswith(
        "gitorch.yaml:3: 'stale_after' must be a whole number, not a string ('soon')\n")
