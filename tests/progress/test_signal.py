"""gitorch signal: an empty commit with trailers on the team branch, moved by compare-and-swap."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli, GitRepo
from tests.progress.conftest import state, team, work


def test_blocked_needs_a_reason(shop: GitRepo, cli: Cli) -> None:
    before = shop.head("team/alpha")
    for extra in ((), ("--reason", "  ")):
        result = cli("signal", "blocked", "--team", "alpha", *extra, cwd=shop.path)
        assert result.exit_code == 2
        assert result.output == ("gitorch: a blocked signal needs a reason; say what blocks the "
                                 "team: --reason \"waiting for alpha's API\"\n")
    assert shop.head("team/alpha") == before


def test_signal_on_the_checked_out_branch_keeps_index_and_tree(shop: GitRepo, cli: Cli) -> None:
    shop.checkout("team/alpha")
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    shop.write({"src/core/staged.py": "staged\n", "src/core/a.py": "changed, unstaged\n"})
    shop.git("add", "src/core/staged.py")
    before_status = shop.git("status", "--porcelain").stdout
    parent = shop.head()

    result = cli("signal", "blocked", "--reason", "need the\nschema", cwd=shop.path)
    assert result.exit_code == 0, result.output
    sha = shop.head("team/alpha")
    assert result.stdout == (f"alpha: blocked (need the schema) recorded as {sha[:8]} on team/alpha; "
                             "push it with 'git push origin team/alpha'\n")
    assert shop.head() == sha                                    # HEAD followed the branch
    assert shop.git("rev-parse", "--abbrev-ref", "HEAD").stdout.strip() == "team/alpha"
    assert shop.git("status", "--porcelain").stdout == before_status   # index and tree untouched
    assert shop.head(f"{sha}^") == parent
    assert shop.head(f"{sha}^{{tree}}") == shop.head(f"{parent}^{{tree}}")   # empty commit
    assert shop.git("log", "-1", "--format=%B", sha).stdout == (
        "gitorch signal: blocked - need the schema\n\n"
        "Gitorch-Team: alpha\nGitorch-State: blocked\nGitorch-Reason: need the schema\n\n")
    trailers = shop.git("log", "-1", "--format=%(trailers:key=Gitorch-State,valueonly)", sha).stdout
    assert trailers.strip() == "blocked"     # git itself reads the trailers
    assert "signal" in shop.git("reflog", "-1", "team/alpha").stdout


def test_team_option_leaves_head_alone(shop: GitRepo, cli: Cli) -> None:
    head = shop.head()
    result = cli("signal", "ready", "--team", "beta", "--json", cwd=shop.path)
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data == {"team": "beta", "branch": "team/beta", "state": "ready", "reason": None,
                    "waits_on": [], "commit": shop.head("team/beta")}
    assert shop.head() == head and shop.head("main") == head
    assert shop.head("team/beta^") == head


def test_not_on_a_team_branch(shop: GitRepo, cli: Cli) -> None:
    result = cli("signal", "ready", cwd=shop.path)
    assert result.exit_code == 2
    assert result.output == ("gitorch: branch 'main' is no team branch (team/<team>); "
                             "check out your team's branch or pass --team TEAM\n")
    shop.git("checkout", "-q", "--detach")
    result = cli("signal", "ready", cwd=shop.path)
    assert result.output.startswith("gitorch: a detached HEAD is no team branch")


def test_unknown_team_and_state(shop: GitRepo, cli: Cli) -> None:
    result = cli("signal", "ready", "--team", "omega", cwd=shop.path)
    assert result.exit_code == 2
    assert result.output.startswith("gitorch: no team 'omega' in ")
    assert result.output.endswith("; use one of: alpha, alpha-db, beta, gamma\n")
    result = cli("signal", "done", "--team", "alpha", cwd=shop.path)
    assert result.exit_code == 2
    assert "'done' is not one of 'ready', 'blocked', 'working'" in result.output


def test_signal_from_a_clone_builds_on_the_remote_branch_and_travels(
        shop: GitRepo, cli: Cli, tmp_path: Path) -> None:
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    server = tmp_path / "server.git"
    shop.git("clone", "-q", "--bare", str(shop.path), str(server))
    one, two = tmp_path / "one", tmp_path / "two"
    shop.git("clone", "-q", str(server), str(one))
    remote_tip = shop.head("team/alpha")

    result = cli("signal", "ready", "--team", "alpha", cwd=one)
    assert result.exit_code == 0
    clone = GitRepo.__new__(GitRepo)
    clone.path = one
    assert clone.head("team/alpha^") == remote_tip       # local branch made on origin's tip
    clone.git("push", "-q", "origin", "team/alpha")

    shop.git("clone", "-q", str(server), str(two))
    other = GitRepo.__new__(GitRepo)
    other.path = two
    assert state(cli, other, "alpha") == "ready"
    assert team(cli, other, "alpha")["ref"] == "origin/team/alpha"


def test_compare_and_swap_refuses_a_moved_branch(shop: GitRepo) -> None:
    from gitorch import repo as git
    from gitorch.errors import RepoError

    repository = git.open_repo(shop.path)
    tip = git.resolve_commit(repository, "team/alpha")
    new = git.create_commit(repository, "x\n", tip.tree_id, [tip.id])
    work(shop, "team/alpha", {"src/core/a.py": "moved meanwhile\n"})
    try:
        git.update_ref(repository, "refs/heads/team/alpha", new, tip.id, "test")
    except RepoError as exc:
        assert "cannot update refs/heads/team/alpha" in str(exc)
    else:
        raise AssertionError("the ref moved although its old value was stale")


def test_signal_commit_changes_no_path(shop: GitRepo, cli: Cli) -> None:
    from gitorch import repo as git

    cli("signal", "working", "--team", "alpha", "--reason", "starting", cwd=shop.path)
    repository = git.open_repo(shop.path)
    commit = git.resolve_commit(repository, "team/alpha")
    assert git.changed_paths(repository, commit) == frozenset()
    assert git.is_empty_commit(commit)


def test_signal_commit_follows_gits_identity_environment(shop: GitRepo, cli: Cli) -> None:
    cli("signal", "ready", "--team", "alpha", cwd=shop.path)
    shown = shop.git("log", "-1", "--format=%an <%ae>|%cn <%ce>|%ct %cI", "team/alpha").stdout
    assert shown.strip() == ("Test Author <author@example.com>|Test Committer "
                             "<committer@example.com>|1700000000 2023-11-14T22:13:20+00:00")
    assert team(cli, shop, "alpha")["last_activity"] == "2023-11-14T22:13:20+00:00"


def test_signal_in_a_linked_worktree(shop: GitRepo, cli: Cli, tmp_path: Path) -> None:
    tree = tmp_path / "wt-alpha"
    shop.git("worktree", "add", "-q", str(tree), "team/alpha")
    (tree / "src").mkdir()
    (tree / "src" / "core.txt").write_text("untracked\n")
    result = cli("signal", "working", "--reason", "on it", cwd=tree)
    assert result.exit_code == 0, result.output
    linked = GitRepo.__new__(GitRepo)
    linked.path = tree
    assert linked.head() == shop.head("team/alpha")
    assert linked.git("status", "--porcelain").stdout == "?? src/\n"
    alpha = team(cli, shop, "alpha")
    assert (alpha["state"], alpha["reason"]) == ("working", "on it")


def test_ready_with_uncommitted_changes_warns(shop: GitRepo, cli: Cli) -> None:
    # issue 16: the signal says nothing of work left out of it
    shop.checkout("team/alpha")
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    shop.write({"src/core/a.py": "changed\n", "src/core/new one.py": "n\n"})
    result = cli("signal", "ready", cwd=shop.path)
    assert result.exit_code == 0
    assert result.stderr == ("warning: 2 uncommitted changes (src/core/a.py, src/core/new one.py) "
                             "are not part of the signal: commit them, then signal again\n")
    data = json.loads(cli("signal", "ready", "--json", cwd=shop.path).stdout)
    assert data["uncommitted"] == ["src/core/a.py", "src/core/new one.py"]
    shop.git("stash", "-u", "-q")
    assert cli("signal", "ready", cwd=shop.path).stderr == ""
