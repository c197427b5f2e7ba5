"""``merge_text`` cuts libgit2's merge of a file into clean lines and conflicting hunks;
joined with every hunk for one side it must be libgit2's merge favouring that side."""

from __future__ import annotations

import re
from pathlib import Path

import pygit2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch import repo as git
from gitorch.repo.merge import _cut_markers

WORDS = st.sampled_from(["a\n", "b\n", "c\n", "x = 1\n", "}\n", "\n", "A\r\n", "é\n"])
LINES = st.lists(WORDS, min_size=0, max_size=12)


def _edit(lines: list[str], ops: list[tuple[int, int, list[str]]]) -> str:
    out = list(lines)
    for at, drop, new in ops:
        at = min(at, len(out))
        out[at:at + drop] = new
    return "".join(out)


OPS = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 3), st.lists(WORDS, max_size=3)),
               min_size=1, max_size=3)


def _entry(store: pygit2.Repository, text: str) -> git.Entry:
    return git.Entry("f.txt", git.create_blob(store, text.encode()), 0o100644)


def _favoured(store: pygit2.Repository, a: git.Entry, o: git.Entry, t: git.Entry,
              side: str) -> bytes | None:
    trees = [git.flat_tree(store, [e]) for e in (a, o, t)]
    merged = git.merged_entry(git.merge_trees(store, trees[0], trees[1], trees[2], favor=side), "f.txt")
    return None if merged is None else git.blob_bytes(store, merged.oid)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=LINES, ours_ops=OPS, theirs_ops=OPS, no_eol=st.booleans())
def test_the_cut_rebuilds_both_favoured_merges(tmp_path: Path, base: list[str],
                                               ours_ops: list[tuple[int, int, list[str]]],
                                               theirs_ops: list[tuple[int, int, list[str]]],
                                               no_eol: bool) -> None:
    store = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    texts = ["".join(base), _edit(base, ours_ops), _edit(base, theirs_ops)]
    if no_eol:
        texts = [t.rstrip("\n") for t in texts]
    a, o, t = (_entry(store, x) for x in texts)
    pieces = git.merge_text(store, a, o, t)
    if pieces is None:   # no markers in the inputs, all UTF-8: only an empty merge is not cut
        assert _favoured(store, a, o, t, "ours") in (b"", None)
        return
    hunks = sum(1 for p in pieces if isinstance(p, git.TextConflict))
    for side, take in (("ours", False), ("theirs", True)):
        expected = _favoured(store, a, o, t, side)
        rebuilt = git.join_text(pieces, [take] * hunks).encode()
        # where libgit2 settles the file, the cut agrees with it, except that a side
        # without a final newline may get one before a marker (the caller then falls back)
        if expected is not None and (not no_eol or hunks == 0):
            assert rebuilt == expected


def test_marker_like_lines_or_other_encodings_are_not_cut(tmp_path: Path) -> None:
    store = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    base, ours, theirs = "a\nb\nc\n", "a\nB\nc\n", "a\nb2\nc\n"
    a, o, t = (_entry(store, x) for x in (base, ours, theirs))
    assert git.merge_text(store, a, o, t) is not None
    marked = "a\n=======\nc\n"
    a, m, t = (_entry(store, x) for x in (base, marked, theirs))
    assert git.merge_text(store, a, m, t) is None
    latin = git.Entry("f.txt", git.create_blob(store, b"a\n\xe9\nc\n"), 0o100644)
    assert git.merge_text(store, _entry(store, base), latin, _entry(store, theirs)) is None


# The plain reading of a merged text's conflict blocks, as the cut was first written: the
# cut that looks for opening markers with str.find must find exactly these blocks.
_PLAIN_BLOCK = re.compile(r"^<<<<<<<[^\n]*\n(.*?)^=======\r*\n(.*?)^>>>>>>>[^\n]*(?:\n|\Z)",
                          re.MULTILINE | re.DOTALL)


def _plain_cut(merged: str) -> list[str | git.TextConflict] | None:
    pieces: list[str | git.TextConflict] = []
    at = 0
    for block in _PLAIN_BLOCK.finditer(merged):
        if block.start() > at:
            pieces.append(merged[at:block.start()])
        pieces.append(git.TextConflict(tuple(git.text_lines(block.group(1))),
                                       tuple(git.text_lines(block.group(2)))))
        at = block.end()
    if at < len(merged):
        pieces.append(merged[at:])
    if any(isinstance(p, str) and (p.startswith("<<<<<<<") or "\n<<<<<<<" in p)
           for p in pieces):
        return None
    return pieces


MARKED = st.lists(st.sampled_from(
    ["a\n", "\n", "\r\n", "x", "\r", "<<<<<<< ours\n", "<<<<<<<", "<<<<<<<<\n", "  <<<<<<<\n",
     "=======\n", "=======\r\n", "=======", "======= x\n", "========\n",
     ">>>>>>> theirs\n", ">>>>>>>", ">>>>>>>>\n"]), max_size=16).map("".join)


@settings(max_examples=3000, deadline=None)
@given(MARKED)
def test_the_cut_reads_marker_blocks_as_the_plain_pattern_does(merged: str) -> None:
    assert _cut_markers(merged) == _plain_cut(merged)
