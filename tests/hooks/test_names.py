"""Awkward file names through the hook: real pushes carrying the whole corpus at once,
and the hook's reader against git's own listing over generated names."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch.enforce import gitread
from gitorch.manifest.pathnames import shown
from tests.conftest import Cli
from tests.hooks.conftest import Server, on_branch, push
from tests.names import commit_files, corpus, ls_tree_paths, paths


def test_a_directory_with_a_space_is_read_by_its_format(server: Server) -> None:
    c = server.clone
    on_branch(c, "team/docs")
    c.commit("A page in a spaced directory", {"docs/with space/a.md": "a\n"})
    result = push(c, "team/docs")
    assert result.code == 0, result.stderr
    assert result.remote == ["gitorch: ok refs/heads/team/docs: 1 new commit within team "
                             "docs's scope"]


def test_one_push_with_every_awkward_name_in_scope_is_accepted(server: Server) -> None:
    c = server.clone
    names = corpus("docs")
    ref = "refs/heads/team/docs"
    commit_files(c.path, "Add awkward names", dict.fromkeys(names, "x\n"), ref=ref,
                 parent=c.head("main"))
    changed = {**dict.fromkeys(names[::2]), **dict.fromkeys(names[1::2], "y\n")}
    tip = commit_files(c.path, "Change and delete them", changed, ref=ref)
    result = push(c, "team/docs", user="lead")
    assert result.code == 0, result.stderr
    assert result.remote == ["gitorch: ok refs/heads/team/docs: 2 new commits within team "
                             "docs's scope"]
    assert server.ref(ref) == tip


def test_awkward_names_already_on_the_base_are_read_in_their_trees(server: Server) -> None:
    c = server.clone
    names = corpus("docs")
    base = commit_files(c.path, "Integrator adds awkward names", dict.fromkeys(names, "x\n"),
                        ref="refs/heads/main")
    assert push(c, "main", user="lead").code == 0       # no checkout: names beyond a disk's
    commit_files(c.path, "Docs edits them", dict.fromkeys(names, "edited\n"),
                 ref="refs/heads/team/docs", parent=base)
    result = push(c, "team/docs")
    assert result.code == 0, result.stderr
    assert result.remote == ["gitorch: ok refs/heads/team/docs: 1 new commit within team "
                             "docs's scope"]


def test_every_awkward_name_out_of_scope_is_listed_once_with_its_owner(server: Server,
                                                                      cli: Cli) -> None:
    c = server.clone
    names = corpus("docs")
    bad = commit_files(c.path, "Alpha writes docs", dict.fromkeys(names, "x\n"),
                       ref="refs/heads/team/alpha", parent=c.head("main"))
    result = push(c, "team/alpha")
    assert result.code == 1
    listed = [f"    {shown(n)}  (owner: docs)" for n in sorted(names)]
    assert result.remote == [
        "gitorch: REFUSED refs/heads/team/alpha: 1 commit of 1 changes paths outside team "
        "alpha's scope",
        f"  {bad[:8]} Alpha writes docs",
        *listed,
        result.remote[-2], "gitorch: push rejected (1 of 1 ref refused); nothing was applied"]
    # gitorch check is the same engine on the same commits: the same paths, exactly.
    text = cli("check", "team/alpha", cwd=c.path)
    assert text.exit_code == 1
    assert [line for line in text.output.split("\n") if line.startswith("    ")] == listed
    found = cli("check", "--json", "team/alpha", cwd=c.path)
    assert found.exit_code == 1
    violations = json.loads(found.stdout)["violations"]
    assert [v["path"] for v in violations] == sorted(names)


def test_twins_of_awkward_names_are_collisions(server: Server) -> None:
    c = server.clone
    base = commit_files(c.path, "Docs pages", {"docs/new\nline/A b.md": "a\n",
                                               "docs/tab\tdir/caf\u00e9.md": "b\n"},
                        ref="refs/heads/main")
    assert push(c, "main", user="lead").code == 0
    bad = commit_files(c.path, "Alpha's twins", {"Docs/NEW\nLINE/a B.md": "a\n",
                                                 "Docs/TAB\tDIR/cafe\u0301.md": "b\n"},
                       ref="refs/heads/team/alpha", parent=base)
    result = push(c, "team/alpha")
    assert result.code == 1
    assert result.remote[1:4] == [
        f"  {bad[:8]} Alpha's twins",
        f"    {shown('Docs/NEW' + chr(10) + 'LINE/a B.md')}  (same file as "
        f"{shown('docs/new' + chr(10) + 'line/A b.md')} on case-insensitive file systems; "
        "owner: docs)",
        f"    {shown('Docs/TAB' + chr(9) + 'DIR/cafe' + chr(0x301) + '.md')}  (same file as "
        f"{shown('docs/tab' + chr(9) + 'dir/caf' + chr(0xe9) + '.md')} on case-insensitive "
        "file systems; owner: docs)"]


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(paths, min_size=1, max_size=8), st.data())
def test_reader_answers_as_git_lists(files: list[str], data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
        contents = {p: f"content of {p!r}\n".encode("utf-8", "surrogateescape") for p in files}
        commit = commit_files(repo, "names", contents, ref="refs/heads/main")
        listed = ls_tree_paths(repo, commit)        # git's truth: a file may hide a directory
        with gitread.Git(str(repo)) as reader:
            infos = reader.new_commits([commit], [])
            assert [i.changed for i in infos] == [frozenset(listed)]
            assert infos[0].added == frozenset(listed)
            for path in listed:
                found = reader.blob(commit, path)
                assert found is not None and found[1] == contents[path], path
                missing = path + data.draw(st.sampled_from([" missing", " ambiguous", "\n",
                                                             "/x missing"]))
                if missing not in listed:
                    assert reader.blob(commit, missing) is None
                head, _, leaf = path.rpartition("/")
                entries = reader.trees([f"{commit}:{head}"])[f"{commit}:{head}"]
                assert entries is not None and leaf in [e.name for e in entries], path
                folded = gitread.FoldedTrees(reader)
                assert path in folded.find(commit, path)
                twin = path.swapcase()
                if gitread.collision_key(twin) == gitread.collision_key(path):
                    assert path in folded.find(commit, twin)
                    if twin not in listed:
                        assert twin in folded.suspects(commit, [twin])
