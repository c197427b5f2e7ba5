"""git as the oracle: random edits of one file, predicted versus libgit2's real merge."""

from __future__ import annotations

from collections.abc import Iterator

import pygit2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch import repo as git
from gitorch.overlap import Files, compare_changes, compare_targets
from tests.conftest import examples

ALPHABET = ["a\n", "b\n", "c\n", "x\n", "}\n", "\n"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pygit2.Repository]:
    yield pygit2.init_repository(str(tmp_path_factory.mktemp("oracle")), bare=True)


def tree_of(store: pygit2.Repository, data: bytes | None) -> pygit2.Oid:
    builder = store.TreeBuilder()
    if data is not None:
        builder.insert("f", store.create_blob(data), pygit2.enums.FileMode.BLOB)
    return builder.write()


def git_conflicts(store: pygit2.Repository, base: bytes, ours: bytes, theirs: bytes) -> bool:
    index = store.merge_trees(tree_of(store, base), tree_of(store, ours), tree_of(store, theirs))
    return index.conflicts is not None and len(list(index.conflicts)) > 0


def change_of(store: pygit2.Repository, base: bytes, new: bytes) -> git.FileChange | None:
    changes = git.tree_changes(store, tree_of(store, base), tree_of(store, new))
    if not changes:
        return None
    (change,) = changes
    return change


def predicted(store: pygit2.Repository, base: bytes, ours: bytes, theirs: bytes) -> bool:
    ca, cb = change_of(store, base, ours), change_of(store, base, theirs)
    if ca is None or cb is None:
        return False
    return compare_changes(ca, cb, Files(store)).kind == "overlap"


lines = st.lists(st.sampled_from(ALPHABET), max_size=10)
op = st.tuples(st.sampled_from(["replace", "insert", "delete"]), st.integers(0, 12),
               st.integers(1, 3), st.lists(st.sampled_from([*ALPHABET, "y\n", "z\n"]),
                                           min_size=1, max_size=3))


def apply(base: list[str], ops: list[tuple[str, int, int, list[str]]]) -> list[str]:
    out = list(base)
    for kind, pos, size, new in ops:
        pos = min(pos, len(out))
        if kind == "insert":
            out[pos:pos] = new
        elif kind == "delete":
            del out[pos:pos + size]
        else:
            out[pos:pos + size] = new
    return out


def render(body: list[str], eol: bool) -> bytes:
    text = "".join(body)
    if not eol and text.endswith("\n"):
        text = text[:-1]
    return text.encode()


# HYPOTHESIS_PROFILE=deep for a longer hunt (tests/conftest.py has the profiles).
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(base=lines, ours_ops=st.lists(op, min_size=1, max_size=3),
       theirs_ops=st.lists(op, min_size=1, max_size=3),
       shared=st.sampled_from(["none", "identical", "prefix"]),
       eols=st.tuples(st.booleans(), st.booleans(), st.booleans()))
def test_prediction_agrees_with_libgit2_merge(store: pygit2.Repository, base: list[str],
                                             ours_ops: list[tuple[str, int, int, list[str]]],
                                             theirs_ops: list[tuple[str, int, int, list[str]]],
                                             shared: str, eols: tuple[bool, bool, bool]) -> None:
    if shared == "identical":
        theirs_ops = ours_ops
    elif shared == "prefix":
        theirs_ops = ours_ops[:1] + theirs_ops
    b = render(base, eols[0])
    o = render(apply(base, ours_ops), eols[1])
    t = render(apply(base, theirs_ops), eols[2])
    assert predicted(store, b, o, t) == git_conflicts(store, b, o, t), (b, o, t)


BASE = "".join(f"{i}\n" for i in range(1, 11))


def lines_replaced(first: int, last: int, new: str) -> str:
    rows = BASE.splitlines(keepends=True)
    rows[first - 1:last] = [new] if new else []
    return "".join(rows)


def inserted_after(k: int, new: str) -> str:
    rows = BASE.splitlines(keepends=True)
    rows[k:k] = [new]
    return "".join(rows)


@pytest.mark.parametrize(("ours", "theirs", "conflict"), [
    (lines_replaced(3, 4, "A\n"), lines_replaced(5, 6, "B\n"), True),     # 3-4 touches 5-6
    (lines_replaced(3, 4, "A\n"), lines_replaced(6, 7, "B\n"), False),    # line 5 between
    (inserted_after(4, "A\n"), inserted_after(4, "B\n"), True),           # same point
    (inserted_after(4, "A\n"), inserted_after(4, "A\n"), False),          # identical
    (inserted_after(4, "A\n"), lines_replaced(5, 5, "B\n"), True),        # insertion touches
    (inserted_after(4, "A\n"), lines_replaced(6, 6, "B\n"), False),
    (lines_replaced(2, 8, ""), lines_replaced(5, 5, "B\n"), True),        # inside a deletion
    (lines_replaced(4, 4, "X\n"), lines_replaced(4, 5, "X\n"), True),     # one includes the other
], ids=["adjacent", "one-line-apart", "same-insertion-point", "identical-insertion",
        "insertion-before-change", "insertion-apart", "change-in-deletion", "nested"])
def test_examples_agree_with_git(store: pygit2.Repository, ours: str, theirs: str,
                                 conflict: bool) -> None:
    args = (BASE.encode(), ours.encode(), theirs.encode())
    assert git_conflicts(store, *args) is conflict
    assert predicted(store, *args) is conflict


def test_region_read_alike_after_joining_is_clean(store: pygit2.Repository) -> None:
    """Different hunks whose joined region reads the same on both sides: xdiff's conflict
    refinement resolves it, and so must the prediction (found by a random search)."""
    args = (b"a\na\nb\nb\nx\na\nc\na\n", b"a\na\nb\nx\na\nc\n", b"a\nx\na\na\nb\nx\na\nc\n")
    ca = change_of(store, args[0], args[1])
    cb = change_of(store, args[0], args[2])
    assert ca is not None and cb is not None
    files = Files(store)
    assert files.hunks(ca)[0] != files.hunks(cb)[0]
    assert git_conflicts(store, *args) is False
    assert predicted(store, *args) is False


def predicted_whole(store: pygit2.Repository, base: bytes | None, ours: bytes | None,
                    theirs: bytes | None) -> bool:
    """The prediction through the same per-team indexes find_conflicts uses."""
    files = Files(store)
    da = files.diff(tree_of(store, base), tree_of(store, ours))
    db = files.diff(tree_of(store, base), tree_of(store, theirs))
    verdicts = [compare_changes(da.by_old[p], db.by_old[p], files)
                for p in da.by_old.keys() & db.by_old.keys()]
    verdicts += [v for p in da.by_new.keys() & db.by_new.keys()
                 if (v := compare_targets(da.by_new[p], db.by_new[p], files)) is not None]
    return any(v.kind == "overlap" for v in verdicts)


@settings(max_examples=examples(0.5), suppress_health_check=[HealthCheck.too_slow])
@given(base=st.one_of(st.none(), lines), ours_ops=st.lists(op, max_size=2),
       theirs_ops=st.lists(op, max_size=2), absent=st.sampled_from(["", "ours", "theirs"]))
def test_whole_file_cases_agree_with_libgit2_merge(
        store: pygit2.Repository, base: list[str] | None,
        ours_ops: list[tuple[str, int, int, list[str]]],
        theirs_ops: list[tuple[str, int, int, list[str]]], absent: str) -> None:
    """Added on both sides (no base), deleted on one side, or unchanged on one."""
    start = base or []
    b = render(base, True) if base is not None else None
    o = None if absent == "ours" else render(apply(start, ours_ops), True)
    t = None if absent == "theirs" else render(apply(start, theirs_ops), True)
    index = store.merge_trees(tree_of(store, b), tree_of(store, o), tree_of(store, t))
    assert predicted_whole(store, b, o, t) == (index.conflicts is not None), (b, o, t)


def tree_with(store: pygit2.Repository, files: dict[str, bytes]) -> pygit2.Oid:
    builder = store.TreeBuilder()
    for name, data in files.items():
        builder.insert(name, store.create_blob(data), pygit2.enums.FileMode.BLOB)
    return builder.write()


def predicted_trees(store: pygit2.Repository, base: pygit2.Oid, ours: pygit2.Oid,
                    theirs: pygit2.Oid) -> bool:
    files = Files(store)
    da, db = files.diff(base, ours), files.diff(base, theirs)
    verdicts = [compare_changes(da.by_old[p], db.by_old[p], files)
                for p in da.by_old.keys() & db.by_old.keys()]
    verdicts += [v for p in da.by_new.keys() & db.by_new.keys()
                 if (v := compare_targets(da.by_new[p], db.by_new[p], files)) is not None]
    return any(v.kind == "overlap" for v in verdicts)


NUMBERED = [f"line {i}\n" for i in range(1, 13)]


@settings(max_examples=examples(0.5), suppress_health_check=[HealthCheck.too_slow])
@given(ours_ops=st.lists(op, max_size=2), theirs_ops=st.lists(op, max_size=2),
       ours_name=st.sampled_from(["f", "g", None]), theirs_name=st.sampled_from(["f", "g", "h"]))
def test_renames_agree_with_libgit2_merge(store: pygit2.Repository,
                                          ours_ops: list[tuple[str, int, int, list[str]]],
                                          theirs_ops: list[tuple[str, int, int, list[str]]],
                                          ours_name: str | None, theirs_name: str) -> None:
    """One file renamed (to one name or two), deleted, or edited in place, with edits."""
    base = tree_with(store, {"f": render(NUMBERED, True)})
    ours = tree_with(store, {} if ours_name is None
                     else {ours_name: render(apply(NUMBERED, ours_ops), True)})
    theirs = tree_with(store, {theirs_name: render(apply(NUMBERED, theirs_ops), True)})
    index = store.merge_trees(base, ours, theirs)
    assert predicted_trees(store, base, ours, theirs) == (index.conflicts is not None)
