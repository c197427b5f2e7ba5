"""Scope rules: real pushes over file:// into a bare repository with the hook."""

from __future__ import annotations

import os
from collections.abc import Callable

from tests.conftest import git
from tests.hooks.conftest import Server, on_branch, push

ADVICE = ("  what to do: take these changes out of your commits (git rebase -i main; a change to "
          "another team's path goes to that team's branch, an unowned path needs an owner in "
          "gitorch.yaml first) and push again; 'gitorch check' shows this list before you push; "
          "without an editor, on a branch with no merges: git reset --soft $(git merge-base "
          "HEAD origin/main) && git restore --staged -- src/api/app.py 'docs/café.md' "
          "tools/run.sh && git commit -m 'MESSAGE' (one commit of your in-scope work; the "
          "other edits stay in your working tree)")


def short(sha: str) -> str:
    return sha[:8]


def test_in_scope_and_shared_paths_are_accepted(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core models", {"src/core/models.py": "m = 1\n"})
    c.commit("Mention core in the README", {"README.md": "shop, core\n"})
    result = push(c, "team/alpha", user="alice")
    assert result.code == 0, result.stderr
    assert result.remote == ["gitorch: ok refs/heads/team/alpha: 2 new commits within team "
                             "alpha's scope"]
    assert server.ref("team/alpha") == c.head()


def test_out_of_scope_push_is_refused_with_commit_path_owner_and_advice(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    good = c.commit("Core models", {"src/core/models.py": "m = 1\n"})
    bad1 = c.commit("Reach into the API", {"src/api/app.py": "app = 2\n",
                                           "src/core/models.py": "m = 2\n"})
    bad2 = c.commit("Add a top-level tool", {"tools/run.sh": "echo\n", "docs/café.md": "x\n"})
    result = push(c, "team/alpha", user="alice")
    assert result.code == 1
    assert result.remote == [
        "gitorch: REFUSED refs/heads/team/alpha: 2 commits of 3 change paths outside team "
        "alpha's scope",
        f"  {short(bad1)} Reach into the API",
        "    src/api/app.py  (owner: beta)",
        f"  {short(bad2)} Add a top-level tool",
        "    docs/café.md  (owner: docs)",
        "    tools/run.sh  (owner: nobody (no team owns it))",
        ADVICE,
        "gitorch: push rejected (1 of 1 ref refused); nothing was applied",
    ]
    assert "[remote rejected] team/alpha -> team/alpha (pre-receive hook declined)" in result.stderr
    assert server.ref("team/alpha") is None
    assert good  # the good commit alone did not get in either: a push is judged whole


def test_rename_counts_old_and_new_path(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.git("mv", "src/api/app.py", "src/core/app.py")
    bad = c.commit("Move the app into core")
    result = push(c, "team/alpha")
    assert result.remote[1:3] == [f"  {short(bad)} Move the app into core",
                                  "    src/api/app.py  (owner: beta)"]
    assert result.code == 1


def test_deletion_mode_change_symlink_and_submodule_count(server: Server) -> None:
    c = server.clone

    def typechange() -> None:
        os.remove(c.path / "src/api/app.py")
        os.symlink("../core/base.py", c.path / "src/api/app.py")
        c.git("add", "src/api/app.py")

    def symlink() -> None:
        os.symlink("../core/base.py", c.path / "src/api/link.py")
        c.git("add", "src/api/link.py")

    changes: list[tuple[str, Callable[[], object]]] = [
        ("delete", lambda: c.git("rm", "-q", "src/api/app.py")),
        ("mode", lambda: c.git("update-index", "--chmod=+x", "src/api/app.py")),
        ("typechange", typechange),
        ("symlink", symlink),
        ("submodule", lambda: c.git("update-index", "--add", "--cacheinfo",
                                    f"160000,{c.head('main')},src/api/vendor")),
    ]
    for label, change in changes:
        c.git("checkout", "-qf", "-B", "team/alpha", "main")
        change()
        c.git("commit", "-q", "-m", f"Sneak a {label}")
        result = push(c, "+team/alpha")
        path = {"symlink": "src/api/link.py", "submodule": "src/api/vendor"}.get(label,
                                                                                 "src/api/app.py")
        assert result.code == 1, label
        assert result.remote[1:3] == [f"  {short(c.head())} Sneak a {label}",
                                      f"    {path}  (owner: beta)"], label


def test_symlink_inside_own_scope_is_fine(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    os.symlink("../api/app.py", c.path / "src/core/app_link.py")
    c.commit("Link to the app")
    assert push(c, "team/alpha").code == 0


def test_clean_merges_pass_and_an_evil_merge_is_charged(server: Server) -> None:
    c = server.clone
    seed = c.head()
    on_branch(c, "team/beta")
    c.commit("API v2", {"src/api/v2.py": "v2\n"})
    assert push(c, "team/beta", user="bob").code == 0
    c.checkout("main")
    c.commit("Integrator touches the README", {"README.md": "shop v2\n"})
    assert push(c, "main", user="lead").code == 0
    on_branch(c, "team/alpha", seed)
    c.commit("Core work", {"src/core/work.py": "w\n"})
    c.git("merge", "-q", "--no-edit", "main")           # the base: clean
    c.git("merge", "-q", "--no-edit", "team/beta")      # a dependency's branch: clean
    result = push(c, "team/alpha", user="alice")
    assert result.code == 0, result.stderr
    assert result.remote == ["gitorch: ok refs/heads/team/alpha: 3 new commits within team "
                             "alpha's scope"]
    c.checkout("team/beta")
    c.commit("API v3", {"src/api/v3.py": "v3\n"})
    assert push(c, "team/beta", user="bob").code == 0
    c.checkout("team/alpha")
    c.git("merge", "-q", "--no-commit", "team/beta")
    (c.path / "src/api/v2.py").write_text("evil\n")     # a change no parent has
    c.git("add", "-A")
    c.git("commit", "-q", "-m", "Evil merge")
    assert len(c.git("rev-list", "--parents", "-1", "HEAD").stdout.split()) == 3
    result = push(c, "team/alpha", user="alice")
    assert result.code == 1
    assert result.remote[1:3] == [f"  {short(c.head())} Evil merge", "    src/api/v2.py  (owner: beta)"]


def test_commits_already_in_the_repository_are_not_judged(server: Server) -> None:
    c = server.clone
    c.commit("Integrator fixes the API", {"src/api/app.py": "fixed\n"})
    assert push(c, "main", user="lead").code == 0
    result = push(c, "main:refs/heads/team/alpha", user="alice")
    assert result.code == 0
    assert result.remote == ["gitorch: ok refs/heads/team/alpha: 0 new commits within team "
                             "alpha's scope"]


def test_root_commit_is_judged_against_the_empty_tree(server: Server) -> None:
    c = server.clone
    c.git("checkout", "-q", "--orphan", "team/alpha")
    c.git("rm", "-q", "-rf", ".")
    root = c.commit("Fresh start", {"src/core/a.py": "a\n", "src/api/b.py": "b\n"})
    result = push(c, "team/alpha")
    assert result.code == 1
    assert result.remote[1:3] == [f"  {short(root)} Fresh start", "    src/api/b.py  (owner: beta)"]
    c.git("rm", "-q", "--cached", "src/api/b.py")
    c.git("commit", "-q", "--amend", "-m", "Fresh start")
    assert push(c, "+team/alpha").code == 0


def test_policy_comes_from_the_server_never_from_the_pushed_commits(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    text = (c.path / "gitorch.yaml").read_text().replace('"src/core/**"', '"src/**"')
    bad = c.commit("Widen my scope", {"gitorch.yaml": text, "src/api/app.py": "mine\n"})
    result = push(c, "team/alpha")
    assert result.code == 1
    assert result.remote[1:4] == [f"  {short(bad)} Widen my scope",
                                  "    gitorch.yaml  (owner: integrators)",
                                  "    src/api/app.py  (owner: beta)"]


def test_case_and_unicode_collision_with_another_teams_path(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    nfd = "Docs/cafe\u0301.md"                          # alpha owns Docs/**, docs owns docs/**
    bad = c.commit("Add a Docs page", {nfd: "mine\n", "Docs/own.md": "fine\n"})
    result = push(c, "team/alpha")
    assert result.code == 1
    assert result.remote[:3] == [
        "gitorch: REFUSED refs/heads/team/alpha: 1 commit of 1 changes paths outside team "
        "alpha's scope",
        f"  {short(bad)} Add a Docs page",
        f"    {nfd}  (same file as docs/café.md on case-insensitive file systems; owner: docs)",
    ]


def test_one_bad_ref_refuses_the_whole_push(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    c.commit("Core", {"src/core/x.py": "x\n"})
    on_branch(c, "team/beta")
    bad = c.commit("API reaches into core", {"src/core/y.py": "y\n"})
    before = server.refs()
    result = push(c, "team/alpha", "team/beta")
    assert result.code == 1
    assert result.remote[0] == "gitorch: ok refs/heads/team/alpha: 1 new commit within team " \
                               "alpha's scope"
    assert result.remote[2] == f"  {short(bad)} API reaches into core"
    assert result.remote[-1] == "gitorch: push rejected (1 of 2 refs refused); nothing was applied"
    assert server.refs() == before


def test_objects_in_quarantine_are_visible_and_dropped_on_refusal(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/alpha")
    bad = c.commit("Quarantined subject line", {"src/api/q.py": "q\n"})
    result = push(c, "team/alpha")
    assert f"  {short(bad)} Quarantined subject line" in result.remote   # read from quarantine
    assert git(server.bare.path, "cat-file", "-e", bad, check=False).returncode != 0
