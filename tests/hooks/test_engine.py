"""The engine under the hook: one git log agrees with the gateway's changed_paths on every
kind of change, the compiled ownership agrees with pathspec, and collisions are found."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2
from hypothesis import given
from hypothesis import strategies as st

from gitorch import repo as git
from gitorch.enforce import gitread as hookgit
from gitorch.manifest.loading import parse_manifest
from gitorch.manifest.scope import CompiledOwnership
from tests.conftest import GitRepo
from tests.hooks.conftest import MANIFEST, Server, make_server, on_branch, push


def varied_history(r: GitRepo) -> None:
    r.commit("root", {"a.txt": "a\n", "b.txt": "b\n", "dir/c.txt": "c\n"})
    r.git("checkout", "-q", "-b", "side")
    r.commit("modify", {"a.txt": "a2\n"})
    r.git("mv", "dir/c.txt", "dir/renamed.txt")
    r.commit("rename")
    os.chmod(r.path / "b.txt", 0o755)
    r.commit("mode")
    os.symlink("a.txt", r.path / "link")
    r.commit("symlink")
    (r.path / "link").unlink()
    r.write({"link": "now a file\n"})
    r.commit("typechange")
    r.git("update-index", "--add", "--cacheinfo", f"160000,{r.head()},vendor/sub")
    (r.path / "vendor/sub").mkdir(parents=True)     # what a checkout leaves for a submodule
    r.git("commit", "-q", "-m", "submodule")
    r.git("checkout", "-q", "main")
    r.commit("main side", {"m.txt": "m\n"})
    r.git("merge", "-q", "--no-edit", "side")
    r.git("checkout", "-q", "side")
    r.commit("more side", {"s.txt": "s\n"})
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-commit", "side")
    r.git("rm", "-q", "b.txt")                     # both parents have it: charged
    r.write({"a.txt": "evil\n", "new-in-merge.txt": "n\n"})
    r.git("add", "-A")
    r.git("commit", "-q", "-m", "evil merge")
    r.commit("delete", {"s.txt": None})


def test_git_log_agrees_with_changed_paths_on_every_kind_of_change(repo: GitRepo) -> None:
    varied_history(repo)
    handle = git.open_repo(repo.path)
    with hookgit.Git(str(handle.path)) as reader:
        infos = reader.new_commits(["main"], [])
    assert infos[0].subject == "root"
    assert len(infos) == int(repo.git("rev-list", "--count", "main").stdout)
    for info in infos:
        commit = handle[info.id].peel(pygit2.Commit)
        assert info.changed == git.changed_paths(handle, commit), info.subject
        first = commit.parents[0].tree if commit.parents else None
        expected_added = {p for p in info.changed if first is None or p not in first}
        assert info.added == expected_added, info.subject
    by_subject = {i.subject: i for i in infos}
    assert by_subject["rename"].changed == {"dir/c.txt", "dir/renamed.txt"}
    assert by_subject["submodule"].changed == {"vendor/sub"}
    assert by_subject["evil merge"].changed == {"a.txt", "b.txt", "new-in-merge.txt"}
    assert by_subject["Merge branch 'side'"].changed == frozenset()


def test_git_log_parser_rejects_garbage() -> None:
    try:
        hookgit.parse_log(b"\x01" + b"a" * 40 + b" \x02subject\x00\nno-status-here\x00")
    except ValueError as exc:
        assert "cannot read git log output" in str(exc)
    else:
        raise AssertionError("garbage accepted")


NEGATING = """\
version: 1
project: p
shared: ["*.md", "!docs/private.md"]
teams:
  core:
    owns: ["src/core/**", "!src/core/gen/**"]
  core-db:
    parent: core
    owns: ["src/core/db/**"]
  web:
    owns: ["/web/", "src/web/*.ts"]
  gen:
    owns: ["src/core/gen/**"]
"""

SEGMENTS = st.sampled_from(["src", "core", "db", "gen", "web", "docs", "x.md", "private.md",
                            "a.ts", "b.py", "deep"])


@given(st.lists(SEGMENTS, min_size=1, max_size=5))
def test_compiled_ownership_agrees_with_pathspec(parts: list[str]) -> None:
    for text in (NEGATING, MANIFEST):
        ownership = parse_manifest(text).ownership
        path = "/".join(parts)
        assert CompiledOwnership(ownership).owner_of(path) == ownership.owner_of(path), path


LEAF_MANIFEST = MANIFEST + """\
  notes-a:
    owns: ["notes/*.txt"]
  notes-b:
    owns: ["notes/*.TXT"]
"""


def test_leaf_collision_in_the_same_directory(tmp_path: Path) -> None:
    server = make_server(tmp_path, LEAF_MANIFEST, seed={"notes/README.TXT": "b\n"})
    c = server.clone
    on_branch(c, "team/notes-a")
    bad = c.commit("Add readme", {"notes/readme.txt": "a\n", "notes/other.txt": "fine\n"})
    result = push(c, "team/notes-a")
    assert result.code == 1
    assert result.remote[1:3] == [
        f"  {bad[:8]} Add readme",
        "    notes/readme.txt  (same file as notes/README.TXT on case-insensitive file "
        "systems; owner: notes-b)"]


def test_collision_with_a_path_only_the_base_has(tmp_path: Path) -> None:
    server = make_server(tmp_path, LEAF_MANIFEST)
    c = server.clone
    seed = c.head()
    c.commit("Integrator adds B's notes", {"notes/TODO.TXT": "b\n"})
    assert push(c, "main", user="lead").code == 0
    on_branch(c, "team/notes-a", seed)               # branched before the base had it
    c.commit("Add todo", {"notes/todo.txt": "a\n"})
    result = push(c, "team/notes-a")
    assert result.code == 1
    assert result.remote[2] == ("    notes/todo.txt  (same file as notes/TODO.TXT on "
                                "case-insensitive file systems; owner: notes-b)")


def test_many_commits_in_one_push_with_merges(server: Server) -> None:
    c = server.clone
    seed = c.head()
    on_branch(c, "team/beta")
    for i in range(6):
        c.commit(f"beta {i}", {f"src/api/b{i}.py": f"{i}\n"})
    on_branch(c, "team/alpha", seed)
    for i in range(12):
        c.commit(f"alpha {i}", {f"src/core/a{i}.py": f"{i}\n"})
    c.git("merge", "-q", "--no-edit", "team/beta")
    # Pushed together, beta's commits are new to the server and reachable from alpha's tip:
    # alpha is charged with them (judged are the commits no existing ref reaches).
    together = push(c, "team/alpha", "team/beta")
    assert together.code == 1
    assert together.remote[0] == ("gitorch: REFUSED refs/heads/team/alpha: 6 commits of 19 "
                                  "change paths outside team alpha's scope")
    assert ("gitorch: ok refs/heads/team/beta: 6 new commits within team beta's scope"
            in together.remote)
    assert push(c, "team/beta").code == 0            # beta first: then the merge is clean
    result = push(c, "team/alpha")
    assert result.code == 0, result.stderr
    assert result.remote == ["gitorch: ok refs/heads/team/alpha: 13 new commits within team "
                             "alpha's scope"]


def test_started_log_with_a_long_input_and_a_failed_start(repo: GitRepo) -> None:
    first = repo.commit("one", {"a.txt": "a\n"})
    second = repo.commit("two", {"b.txt": "b\n"})
    git_dir = str(repo.path / ".git")
    many = hookgit.Started(git_dir, [second] * 900, [first])     # > a pipe buffer of input
    found = many.result()
    assert found is not None and [c.subject for c in found] == ["two"]
    missing = "1" * 40
    broken = hookgit.Started(git_dir, [missing, second], None)   # no such object: git log fails
    assert broken.result() is None
    with hookgit.Git(git_dir) as reader:
        again = hookgit.Started(git_dir, [missing, second], [first])
        assert [c.subject for c in reader.new_commits([second], [first], started=again)] == ["two"]
