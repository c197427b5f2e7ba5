"""git as the oracle: random edits of one file, predicted versus libgit2's real merge."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pygit2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch import repo as git
from gitorch.overlap import Files, compare_changes

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


# PROP_N=20000 for a longer hunt; the default keeps the suite fast.
@settings(max_examples=int(os.environ.get("PROP_N", "400")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
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
