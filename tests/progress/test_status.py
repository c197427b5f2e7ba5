"""gitorch status: states and their transitions, lines against target, violations, clones."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli, GitRepo
from tests.progress.conftest import state, status_json, team, work


def test_json_shape_of_a_fresh_shop(shop: GitRepo, cli: Cli) -> None:
    data = status_json(cli, shop)
    assert data["base"] == "main"
    assert data["base_commit"] == shop.head("main")
    assert [t["team"] for t in data["teams"]] == ["alpha", "alpha-db", "beta", "gamma"]
    alpha = data["teams"][0]
    assert alpha == {
        "team": "alpha", "branch": "team/alpha", "ref": "team/alpha", "head": shop.head("main"),
        "commits": 0, "loc_added": 0, "target_loc": [10, 20], "progress": 0.0,
        "state": "not-started", "reason": None, "waiting_on": [], "last_activity": None,
        "idle_minutes": None, "violations": 0,
    }
    gamma = data["teams"][3]
    assert (gamma["ref"], gamma["head"], gamma["state"], gamma["progress"]) == (
        None, None, "not-started", None)


def test_waiting_until_the_dependency_is_ready(shop: GitRepo, cli: Cli) -> None:
    beta = team(cli, shop, "beta")
    assert (beta["state"], beta["waiting_on"]) == ("waiting", ["alpha"])
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    assert team(cli, shop, "beta")["waiting_on"] == ["alpha"]   # working is not ready
    assert cli("signal", "ready", "--team", "alpha", cwd=shop.path).exit_code == 0
    beta = team(cli, shop, "beta")
    assert (beta["state"], beta["waiting_on"]) == ("not-started", [])


def test_state_transitions(shop: GitRepo, cli: Cli) -> None:
    assert state(cli, shop, "alpha") == "not-started"
    work(shop, "team/alpha", {"src/core/a.py": "a\nb\n"})
    assert state(cli, shop, "alpha") == "working"

    assert cli("signal", "blocked", "--team", "alpha", "--reason", "no db", cwd=shop.path).exit_code == 0
    alpha = team(cli, shop, "alpha")
    assert (alpha["state"], alpha["reason"]) == ("blocked", "no db")
    work(shop, "team/alpha", {"src/core/b.py": "b\n"})   # side work does not lift a block
    assert (team(cli, shop, "alpha")["state"], team(cli, shop, "alpha")["reason"]) == ("blocked", "no db")

    assert cli("signal", "working", "--team", "alpha", cwd=shop.path).exit_code == 0
    alpha = team(cli, shop, "alpha")
    assert (alpha["state"], alpha["reason"]) == ("working", None)

    assert cli("signal", "ready", "--team", "alpha", "--reason", "v1 done", cwd=shop.path).exit_code == 0
    alpha = team(cli, shop, "alpha")
    assert (alpha["state"], alpha["reason"]) == ("ready", "v1 done")

    work(shop, "team/alpha", {"src/core/c.py": "c\n"})   # a commit after 'ready' means working again
    alpha = team(cli, shop, "alpha")
    assert (alpha["state"], alpha["reason"], alpha["commits"]) == ("working", None, 3)


def test_blocked_before_the_first_commit(shop: GitRepo, cli: Cli) -> None:
    result = cli("signal", "blocked", "--team", "gamma", "--reason", "needs alpha", cwd=shop.path)
    assert result.exit_code == 0
    gamma = team(cli, shop, "gamma")   # team/gamma did not exist: created from main
    assert (gamma["state"], gamma["reason"], gamma["commits"], gamma["ref"]) == (
        "blocked", "needs alpha", 0, "team/gamma")


def test_signal_commits_are_not_counted(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    cli("signal", "working", "--team", "alpha", cwd=shop.path)
    cli("signal", "working", "--team", "alpha", cwd=shop.path)
    alpha = team(cli, shop, "alpha")
    assert (alpha["commits"], alpha["loc_added"]) == (1, 1)


def test_a_trailer_on_a_real_commit_is_no_signal(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "a\n"},
         "work\n\nGitorch-Team: alpha\nGitorch-State: blocked\nGitorch-Reason: x")
    assert state(cli, shop, "alpha") == "working"


def test_loc_counts_own_paths_only_and_progress_uses_lower_target(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/alpha", {
        "src/core/a.py": "1\n2\n3\n",
        "src/core/db/schema.sql": "4\n5\n",      # the sub-team's path counts for its parent
        "README.md": "shop\nmore\nlines\n",      # shared: nobody's progress
        "src/api/x.py": "stray\n",               # beta's path: a violation, not progress
    }, "mixed")
    work(shop, "team/alpha", {"src/core/a.py": "1\n2\n3\n4\n"}, "one more line")
    alpha = team(cli, shop, "alpha")
    assert (alpha["loc_added"], alpha["progress"], alpha["commits"], alpha["violations"]) == (
        6, 0.6, 2, 1)


def test_sub_team_counts_its_own_lines(shop: GitRepo, cli: Cli) -> None:
    shop.branch("team/alpha-db")
    work(shop, "team/alpha-db", {"src/core/db/s.sql": "a\nb\n", "src/core/x.py": "not mine\n"})
    sub = team(cli, shop, "alpha-db")
    assert (sub["loc_added"], sub["violations"], sub["progress"]) == (2, 1, None)


def test_violations_count_commits_not_paths(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/beta", {"src/api/a.py": "a\n"}, "fine")
    work(shop, "team/beta", {"src/core/x.py": "x\n", "src/domain/y.py": "y\n"}, "two strays")
    work(shop, "team/beta", {"src/core/x.py": "x2\n"}, "again")
    beta = team(cli, shop, "beta")
    assert (beta["violations"], beta["commits"], beta["loc_added"], beta["progress"]) == (
        2, 3, 1, 0.25)


def test_loc_counts_since_the_merge_base(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    shop.commit("main moves on", {"src/core/m.py": "1\n2\n3\n4\n5\n"})
    alpha = team(cli, shop, "alpha")
    assert (alpha["loc_added"], alpha["commits"]) == (1, 1)


def test_last_activity_is_the_tip_time(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    assert team(cli, shop, "alpha")["last_activity"] == "2023-11-14T22:13:20+00:00"


def test_plain_table(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "1\n2\n3\n4\n5\n", "src/api/x.py": "x\n"})
    result = cli("status", cwd=shop.path)
    assert result.exit_code == 0
    assert result.output == (
        "TEAM      STATE        PROGRESS                     LOC      COMMITS  VIOLATIONS"
        "  LAST ACTIVITY              NOTE\n"
        "alpha     working      [##########..........]  50%  5/10-20        1           1"
        "  2023-11-14T22:13:20+00:00\n"
        "alpha-db  not-started  [                    ]    -  0              0           0"
        "  -                          no branch\n"
        "beta      waiting      [....................]   0%  0/4            0           0"
        "  -                          waiting on alpha\n"
        "gamma     not-started  [                    ]    -  0              0           0"
        "  -                          no branch\n"
    )


def test_bar_is_full_beyond_the_target(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/beta", {"src/api/a.py": "".join(f"{i}\n" for i in range(10))})
    line = next(x for x in cli("status", cwd=shop.path).output.splitlines() if x.startswith("beta"))
    assert "[####################]  250%  10/4" in line


def test_fresh_clone_reads_origin_branches(shop: GitRepo, cli: Cli, tmp_path: Path) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    cli("signal", "blocked", "--team", "alpha", "--reason", "waiting for schema", cwd=shop.path)
    cli("signal", "ready", "--team", "beta", cwd=shop.path)
    server = tmp_path / "server.git"
    shop.git("clone", "-q", "--bare", str(shop.path), str(server))
    clone = tmp_path / "clone"
    shop.git("clone", "-q", str(server), str(clone))
    clone_repo = GitRepo.__new__(GitRepo)
    clone_repo.path = clone
    assert "team/alpha" not in clone_repo.git("branch").stdout   # only origin/team/alpha exists
    data = {t["team"]: t for t in status_json(cli, clone_repo)["teams"]}
    assert (data["alpha"]["ref"], data["alpha"]["state"], data["alpha"]["reason"]) == (
        "origin/team/alpha", "blocked", "waiting for schema")
    assert (data["beta"]["ref"], data["beta"]["state"]) == ("origin/team/beta", "ready")
    assert data["alpha"]["commits"] == 1 and data["alpha"]["loc_added"] == 1


def test_remote_option_picks_another_remote(shop: GitRepo, cli: Cli, tmp_path: Path) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    clone = tmp_path / "clone"
    shop.git("clone", "-q", "--origin", "upstream", str(shop.path), str(clone))
    clone_repo = GitRepo.__new__(GitRepo)
    clone_repo.path = clone
    assert team(cli, clone_repo, "alpha")["state"] == "not-started"    # no origin: no branch
    alpha = team(cli, clone_repo, "alpha", "--remote", "upstream")
    assert (alpha["ref"], alpha["state"]) == ("upstream/team/alpha", "working")


def test_missing_base_branch_is_exit_2(shop: GitRepo, cli: Cli) -> None:
    shop.checkout("team/alpha")
    shop.git("branch", "-D", "main")
    result = cli("status", cwd=shop.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: no base branch 'main' here (nor origin/main); "
                             "fetch it, or set 'base:' in the manifest\n")


def test_waiting_on_a_blocked_dependency_then_working(shop: GitRepo, cli: Cli) -> None:
    cli("signal", "blocked", "--team", "alpha", "--reason", "schema", cwd=shop.path)
    beta = team(cli, shop, "beta")
    assert (beta["state"], beta["waiting_on"]) == ("waiting", ["alpha"])
    work(shop, "team/beta", {"src/api/a.py": "a\n"})   # a team may start before it is unblocked
    beta = team(cli, shop, "beta")
    assert (beta["state"], beta["waiting_on"]) == ("working", [])


def test_a_ready_team_stays_ready_once_merged_into_the_base(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    cli("signal", "ready", "--team", "alpha", cwd=shop.path)
    shop.git("merge", "-q", "--no-ff", "-m", "integrate alpha", "team/alpha")
    alpha = team(cli, shop, "alpha")
    assert (alpha["state"], alpha["commits"], alpha["loc_added"]) == ("ready", 0, 0)
    assert team(cli, shop, "beta")["state"] == "not-started"    # no longer waiting on alpha
    work(shop, "team/alpha", {"src/core/b.py": "b\n"})
    assert state(cli, shop, "alpha") == "working"


def test_a_merged_team_without_signal_is_not_started(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    shop.git("merge", "-q", "--ff-only", "team/alpha")
    assert state(cli, shop, "alpha") == "not-started"
