"""Line totals counted by git (``LineCounts``) equal libgit2's (``added_line_total``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gitorch import repo as git
from gitorch.ids import ObjectId, object_id
from tests.conftest import GitRepo

LINES = "".join(f"line {i}\n" for i in range(40))


def _tree(repo: GitRepo, rev: str) -> ObjectId:
    return ObjectId(repo.git("rev-parse", f"{rev}^{{tree}}").stdout.strip())


@pytest.fixture
def history(repo: GitRepo) -> tuple[GitRepo, list[tuple[ObjectId, ObjectId]]]:
    """Pairs of trees covering edits, additions, deletions, renames, binary files, odd names."""
    repo.commit("base", {"a.py": LINES, "b.py": LINES, "gone.py": LINES, "old/name.py": LINES,
                         "pic.bin": b"\0\1\2" * 50, "sp ace/é.py": LINES})
    base = _tree(repo, "HEAD")
    edited = LINES.replace("line 3\n", "three\nthree and a half\n").replace("line 30\n", "")
    repo.commit("work", {"a.py": edited, "b.py": LINES + "more\n" * 7, "gone.py": None,
                         "old/name.py": None, "new/name.py": LINES + "renamed\n",
                         "pic.bin": b"\0\3" * 80, "sp ace/é.py": "tab\there\n" + LINES,
                         "weird\nname.txt": "x\ny\n", "empty.txt": ""})
    work = _tree(repo, "HEAD")
    empty = object_id(git.empty_tree(git.open_repo(repo.path)))
    return repo, [(base, work), (work, base), (base, base), (empty, work)]


def test_git_counts_equal_libgit2_counts(history: tuple[GitRepo, list[tuple[ObjectId, ObjectId]]]) -> None:
    repo, pairs = history
    store = git.open_repo(repo.path)
    counts = git.LineCounts(store, pairs)
    keeps: list[Callable[[str], bool] | None] = [None, lambda p: p.endswith(".py"),
                                                  lambda p: p.startswith("sp ace/")]
    seen = set()
    for old, new in pairs:
        for keep in keeps:
            expected = git.added_line_total(store, old, new, keep)
            assert counts.total(old, new, keep) == expected
            seen.add(expected)
    # a, b, new/name (a rename of old/name: its one new line), é, weird name
    assert counts.total(*pairs[0]) == 2 + 7 + 1 + 1 + 2
    assert len(seen) > 3   # the keeps really select different files


def test_a_pair_not_asked_for_is_counted_in_process(
        history: tuple[GitRepo, list[tuple[ObjectId, ObjectId]]]) -> None:
    repo, pairs = history
    store = git.open_repo(repo.path)
    counts = git.LineCounts(store, pairs[:1])
    assert counts.total(*pairs[3]) == git.added_line_total(store, *pairs[3])


def test_git_failing_falls_back_to_libgit2(history: tuple[GitRepo, list[tuple[ObjectId, ObjectId]]],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo, pairs = history
    store = git.open_repo(repo.path)
    monkeypatch.setenv("PATH", "/nonexistent")   # no git to start
    counts = git.LineCounts(store, pairs)
    assert [counts.total(*p) for p in pairs] == [git.added_line_total(store, *p) for p in pairs]


def _many_trees(store: git.Repository, n: int) -> list[ObjectId]:
    out = []
    for i in range(n):
        blob = git.create_blob(store, "".join(f"{i} {k}\n" for k in range(i % 7)).encode())
        out.append(git.flat_tree(store, [git.Entry("f.txt", blob, 0o100644)]))
    return out


def test_more_pairs_than_a_pipe_holds(repo: GitRepo) -> None:
    store = git.open_repo(repo.path)
    empty = object_id(git.empty_tree(store))
    pairs = [(empty, t) for t in _many_trees(store, 600)]   # 600 x 82 bytes of input
    counts = git.LineCounts(store, pairs)
    assert [counts.total(*p) for p in pairs] == [i % 7 for i in range(600)]


def test_close_before_reading_stops_git(repo: GitRepo) -> None:
    store = git.open_repo(repo.path)
    empty = object_id(git.empty_tree(store))
    pairs = [(empty, t) for t in _many_trees(store, 600)]
    counts = git.LineCounts(store, pairs)
    counts.close()
    assert counts.total(*pairs[5]) == 5   # counted in process after all


def test_a_pure_rename_adds_no_lines(repo: GitRepo) -> None:
    # issue 16: a moved 190-line file was counted as 190 added lines
    big = "".join(f"value_{i} = {i}\n" for i in range(190))
    repo.commit("base", {"src/types.py": big})
    base = _tree(repo, "HEAD")
    repo.commit("move", {"src/types.py": None, "src/core/types.py": big})
    moved = _tree(repo, "HEAD")
    repo.commit("move and edit", {"src/core/types.py": big + "extra = 1\n"})
    edited = _tree(repo, "HEAD")
    store = git.open_repo(repo.path)
    counts = git.LineCounts(store, [(base, moved), (base, edited)])
    assert counts.total(base, moved) == git.added_line_total(store, base, moved) == 0
    assert counts.total(base, edited) == git.added_line_total(store, base, edited) == 1
    def keep(path: str) -> bool:
        return path.startswith("src/core/")

    assert counts.total(base, edited, keep) == git.added_line_total(store, base, edited, keep) == 1
