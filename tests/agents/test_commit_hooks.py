"""The worktree's own commit hooks: the scope check at commit, --no-verify, renames, merges,
the repository's own hooks chained; and the server as the gate no client setting bypasses."""

from __future__ import annotations

import os
from pathlib import Path

from gitorch.enforce.install import install_server
from tests.agents.conftest import SEED, Shop
from tests.conftest import Cli, GitRepo, git

REFUSED = "gitorch: commit refused: 1 staged path outside team alpha's scope"


def commit(tree: Path, *args: str) -> tuple[int, str]:
    proc = git(tree, "commit", "-q", *args, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_hooks_live_in_the_worktrees_git_directory(shop: Shop) -> None:
    where = git(shop.alpha, "config", "--worktree", "core.hooksPath").stdout.strip()
    assert where == str(shop.main / ".git" / "worktrees" / "alpha" / "gitorch-hooks")
    assert sorted(os.listdir(where)) == ["pre-commit", "prepare-commit-msg"]
    # the main checkout keeps the repository's hooks
    assert git(shop.main, "config", "--get", "core.hooksPath", check=False).stdout == ""


def test_out_of_scope_is_refused_at_commit_even_with_no_verify(shop: Shop) -> None:
    (shop.alpha / "src" / "api" / "app.py").write_text("app = 2\n")
    git(shop.alpha, "add", "-A")
    code, out = commit(shop.alpha, "-m", "sneak")
    assert code != 0 and REFUSED in out and "src/api/app.py  (owner: beta)" in out
    code, out = commit(shop.alpha, "--no-verify", "-m", "sneak")
    assert code != 0 and REFUSED in out            # prepare-commit-msg is not skipped
    assert git(shop.alpha, "rev-parse", "HEAD").stdout == git(shop.main, "rev-parse",
                                                              "main").stdout


def test_commit_a_judges_what_it_stages(shop: Shop) -> None:
    (shop.alpha / "src" / "api" / "app.py").write_text("app = 2\n")      # not staged yet
    code, out = commit(shop.alpha, "-a", "-m", "all of it")
    assert code != 0 and REFUSED in out


def test_a_rename_across_scopes_counts_both_paths(shop: Shop) -> None:
    git(shop.alpha, "mv", "src/api/app.py", "src/core/app.py")      # out of beta's paths
    code, out = commit(shop.alpha, "--no-verify", "-m", "take it")
    assert code != 0 and REFUSED in out and "src/api/app.py  (owner: beta)" in out
    git(shop.alpha, "reset", "-q", "--hard")
    git(shop.alpha, "mv", "src/core/base.py", "src/api/base.py")    # into beta's paths
    code, out = commit(shop.alpha, "--no-verify", "-m", "give it")
    assert code != 0 and "src/api/base.py  (owner: beta)" in out


def test_in_scope_commits_and_merges_from_the_base_pass(shop: Shop) -> None:
    (shop.alpha / "src" / "core" / "new.py").write_text("new = 1\n")
    (shop.alpha / "README.md").write_text("shop, shared\n")
    git(shop.alpha, "add", "-A")
    assert commit(shop.alpha, "-m", "core work") == (0, "")
    shop.repo.commit("beta's API lands on main", {"src/api/app.py": "app = 3\n"})
    proc = git(shop.alpha, "merge", "-q", "--no-ff", "-m", "merge main", "main", check=False)
    assert proc.returncode == 0, proc.stderr        # beta's paths differ from main: not alpha's


def test_the_repositorys_own_hooks_keep_running(tmp_path: Path, cli: Cli) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write({**SEED, ".githooks/commit-msg": "#!/bin/sh\n"
                "grep -q JIRA- \"$1\" || { echo 'no ticket' >&2; exit 1; }\n",
                ".githooks/pre-commit": "#!/bin/sh\n"
                "echo ran >> \"$(git rev-parse --git-dir)/ran\"\n"})
    for name in ("commit-msg", "pre-commit"):
        os.chmod(repo.path / ".githooks" / name, 0o755)
    repo.git("config", "core.hooksPath", ".githooks")      # the project's own hooks, relative
    repo.git("add", "-A")
    repo.git("commit", "-qm", "JIRA-0 seed")
    assert cli("init-worktrees", "--agent", "claude", cwd=repo.path).exit_code == 0
    alpha = (tmp_path / "repo-worktrees" / "alpha").resolve()
    (alpha / "src" / "core" / "new.py").write_text("new = 1\n")
    git(alpha, "add", "-A")
    code, out = commit(alpha, "-m", "no ticket here")
    assert code != 0 and "no ticket" in out                          # commit-msg chained
    assert commit(alpha, "-m", "JIRA-1 core work")[0] == 0
    ran = Path(git(alpha, "rev-parse", "--absolute-git-dir").stdout.strip()) / "ran"
    assert ran.read_text() == "ran\nran\n"                           # pre-commit chained
    # the main checkout still runs them directly
    assert git(repo.path, "config", "core.hooksPath").stdout.strip() == ".githooks"


def test_only_the_server_cannot_be_bypassed(shop: Shop, tmp_path: Path) -> None:
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(shop.main, "remote", "add", "origin", str(bare))
    git(shop.main, "push", "-q", "origin", "main", "team/alpha")
    install_server(bare)
    (shop.alpha / "src" / "api" / "app.py").write_text("app = 2\n")
    git(shop.alpha, "add", "-A")
    # git -c core.hooksPath=/dev/null: no client-side hook runs (the guard refuses the
    # command when an agent's shell tool asks; a person can still type it)
    assert git(shop.alpha, "-c", "core.hooksPath=/dev/null", "commit", "-qm", "sneak").returncode == 0
    push = git(shop.alpha, "push", "origin", "team/alpha", check=False)
    assert push.returncode != 0
    assert "REFUSED refs/heads/team/alpha" in push.stderr and "src/api/app.py" in push.stderr
