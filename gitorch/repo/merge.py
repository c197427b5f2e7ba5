"""Trees and merges in memory: three-way merges, conflict sides, edited trees, file diffs
and patches, for the merge engine and the overlap detector. No working tree is touched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pygit2

from gitorch.errors import RepoError
from gitorch.ids import ObjectId, object_id
from gitorch.repo.core import Oid, Repository, _diff_paths, create_commit

T = TypeVar("T")

# ---------------- integrate ----------------
# In-memory merges, trees edited without a working tree, commits, patches and the
# ref plumbing of the merge engine (gitorch/integrate.py).

@dataclass(frozen=True)
class Entry:
    """One file in a tree or one side of a conflict: path, blob id (hex) and mode."""

    path: str
    oid: ObjectId
    mode: int


@dataclass(frozen=True)
class ConflictSides:
    """The three sides of one conflicting index entry (None: absent on that side)."""

    ancestor: Entry | None
    ours: Entry | None
    theirs: Entry | None

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.path for e in (self.ancestor, self.ours, self.theirs) if e))


@dataclass(frozen=True)
class TreeMerge:
    """The result of a three-way merge of trees, held in memory (``index`` is libgit2's)."""

    index: pygit2.Index
    conflicts: tuple[ConflictSides, ...]
    # git's engine: conflicting path -> the file with git's conflict markers (blob id)
    marked: Mapping[str, ObjectId] = field(default_factory=dict)


_FAVOR = {"normal": pygit2.enums.MergeFavor.NORMAL, "ours": pygit2.enums.MergeFavor.OURS,
          "theirs": pygit2.enums.MergeFavor.THEIRS}


def _entry(e: pygit2.IndexEntry | None) -> Entry | None:
    return None if e is None else Entry(str(e.path), object_id(e.id), int(e.mode))


def merge_trees(repo: Repository, ancestor: Oid | ObjectId | None, ours: Oid | ObjectId,
                theirs: Oid | ObjectId,
                favor: str = "normal") -> TreeMerge:
    """Merge two trees against their ancestor (None: the empty tree), renames detected.

    ``favor`` "ours"/"theirs" settles conflicting hunks of a file for that side and keeps
    both sides' other hunks; whole-file conflicts stay conflicts whatever ``favor`` says.
    """
    base = ancestor if ancestor is not None else empty_tree(repo)
    index = repo.merge_trees(base, ours, theirs, favor=_FAVOR[favor])
    conflicts: list[ConflictSides] = []
    if index.conflicts is not None:
        for a, o, t in index.conflicts:
            conflicts.append(ConflictSides(_entry(a), _entry(o), _entry(t)))
    return TreeMerge(index, tuple(conflicts))


@dataclass(frozen=True)
class TextConflict:
    """One conflicting hunk of a text file: the chain's lines and the team's (ends kept)."""

    ours: tuple[str, ...]
    theirs: tuple[str, ...]




def text_lines(text: str) -> list[str]:
    """Lines with their ends, split at "\n" only (as git counts lines)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


_MARKERS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")
_MARKER_LINE = re.compile(r"^(?:<<<<<<<|=======|>>>>>>>|\|\|\|\|\|\|\|)", re.MULTILINE)


def merge_text(repo: Repository, ancestor: Entry, ours: Entry, theirs: Entry,
               read: Callable[[ObjectId], bytes] | None = None,
               marked: ObjectId | None = None) -> list[str | TextConflict] | None:
    """libgit2's merge of one text file, cut into the stretches that merge (str) and the
    conflicting hunks between them, in file order.

    None when the cut could be wrong: a side that is not UTF-8, or that has a line
    looking like a conflict marker. Joining the pieces with every hunk's ``ours`` (or
    ``theirs``) gives what ``merge_trees`` with ``favor`` "ours" (or "theirs") writes
    whenever every side is empty or ends with a newline (xdiff then writes the same
    chunks whatever it favours; tests/integrate/test_merge_text.py checks it); otherwise
    the caller checks that before trusting the cut. ``read`` reads a blob (a cache).
    ``marked``: the blob of a merge already made (git's, with its conflict markers) to cut
    instead of libgit2's.
    """
    reader = read or (lambda oid: blob_bytes(repo, oid))
    try:
        texts = [reader(e.oid).decode("utf-8") for e in (ancestor, ours, theirs)]
    except UnicodeDecodeError:
        return None
    if any(m in text for text in texts for m in _MARKERS) and \
            any(_MARKER_LINE.search(text) for text in texts):
        return None
    if marked is not None:
        try:
            merged = reader(marked).decode("utf-8")
        except UnicodeDecodeError:
            return None
    else:
        # one plain name for all three: it labels the markers, and a real name may hold
        # a line break that would spill into the hunk
        a, o, t = (pygit2.IndexEntry("file", Oid(hex=e.oid), pygit2.enums.FileMode(e.mode))
                   for e in (ancestor, ours, theirs))
        try:
            merged = repo.merge_file_from_index(a, o, t).contents
        except (pygit2.GitError, UnicodeDecodeError, RuntimeError):  # RuntimeError: an empty
            return None                                               # result (pygit2 1.21)
    return _cut_markers(merged)


# One conflict block of a merge (no side may hold marker lines: merge_text checks that).
_BLOCK = re.compile(r"^<<<<<<<[^\n]*\n(.*?)^=======\r*\n(.*?)^>>>>>>>[^\n]*(?:\n|\Z)",
                    re.MULTILINE | re.DOTALL)


def _cut_markers(merged: str) -> list[str | TextConflict] | None:
    """A merged text with conflict markers as clean stretches (str, several lines each)
    and conflicting hunks; None when a block is not closed."""
    pieces: list[str | TextConflict] = []
    at = 0
    for block in _BLOCK.finditer(merged):
        if block.start() > at:
            pieces.append(merged[at:block.start()])
        pieces.append(TextConflict(tuple(text_lines(block.group(1))),
                                   tuple(text_lines(block.group(2)))))
        at = block.end()
    if at < len(merged):
        pieces.append(merged[at:])
    if any(isinstance(p, str) and (p.startswith("<<<<<<<") or "\n<<<<<<<" in p)
           for p in pieces):
        return None
    return pieces


def join_text(pieces: list[str | TextConflict], take_theirs: list[bool]) -> str:
    """The merged file with conflict ``i`` settled for theirs when ``take_theirs[i]``."""
    out: list[str] = []
    i = 0
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
        else:
            out.extend(piece.theirs if take_theirs[i] else piece.ours)
            i += 1
    return "".join(out)


def merge_driver(repo: Repository, path: str) -> str:
    """The merge driver libgit2's merge picks for ``path`` from the attributes it reads
    (the working tree's and the index's ``.gitattributes``, ``info/attributes``):
    "union", "binary" (``-merge`` or ``merge=binary``), or "text" (anything else)."""
    value = repo.get_attr(os.fsencode(path), "merge")   # bytes: any name, UTF-8 or not
    if value is False or value == "binary":
        return "binary"
    return "union" if value == "union" else "text"


def union_text(pieces: list[str | TextConflict]) -> str:
    """The merged file with both sides' lines of every conflicting hunk, ours first: what
    git's union merge driver writes (a side without a final newline gets one)."""
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        ours = list(piece.ours)
        if ours and piece.theirs and not ours[-1].endswith("\n"):
            ours[-1] += "\n"
        out.extend(ours)
        out.extend(piece.theirs)
    return "".join(out)


def settle_unions(repo: Repository, merge: TreeMerge, is_union: Callable[[str], bool]
                  ) -> TreeMerge:
    """The merge with every text conflict (content, or added on both sides) of a path that
    ``is_union`` names settled as git's union driver settles it; other conflicts stay.

    libgit2 already does this for paths marked ``merge=union`` in the attributes it reads;
    this applies the same driver to paths named elsewhere (the manifest's ``union``).
    """
    kept: list[ConflictSides] = []
    settled: dict[str, Entry] = {}
    for c in merge.conflicts:
        a, o, t = c.ancestor, c.ours, c.theirs
        if o is None or t is None or o.path != t.path or o.mode != t.mode \
                or (a is not None and a.path != o.path) or not is_union(o.path) \
                or o.mode not in (0o100644, 0o100755):
            kept.append(c)
            continue
        base = a if a is not None else Entry(o.path, create_blob(repo, b""), o.mode)
        pieces = merge_text(repo, base, o, t)
        if pieces is None:
            kept.append(c)
            continue
        settled[o.path] = Entry(o.path, create_blob(repo, union_text(pieces).encode()), o.mode)
    if not settled:
        return merge
    index = merge.index
    for path in settled:
        del index.conflicts[path]
    _apply(index, dict(settled))
    return TreeMerge(index, tuple(kept), merge.marked)


def carry_labels(repo: Repository, old: Entry | None, new: Entry, labels: list[T],
                 label: T, read: Callable[[ObjectId], bytes] | None = None) -> list[T] | None:
    """Labels for the lines of ``new``: a line kept from ``old`` keeps its label (``labels``
    has one per line of ``old``), an added line gets ``label``. None for binary files.
    ``read`` reads a blob's bytes (a cache); by default the blobs are looked up."""
    if read is not None:
        old_data = read(old.oid) if old is not None else None
        patch = pygit2.Patch.create_from(old_data, read(new.oid), context_lines=0)
        return None if patch.delta.is_binary else _carry(patch, labels, label)
    old_blob = load_blob(repo, old.oid) if old is not None else None
    new_blob = load_blob(repo, new.oid)
    if new_blob is None or (old is not None and old_blob is None):
        return None
    patch = pygit2.Patch.create_from(old_blob, new_blob, context_lines=0)
    return None if patch.delta.is_binary else _carry(patch, labels, label)


def _carry(patch: pygit2.Patch, labels: list[T], label: T) -> list[T]:
    out: list[T] = []
    done = 0
    for hunk in patch.hunks:
        start = hunk.old_start - 1 if hunk.old_lines else hunk.old_start
        out.extend(labels[done:start])
        out.extend([label] * hunk.new_lines)
        done = start + hunk.old_lines
    out.extend(labels[done:])
    return out


def merged_entry(merge: TreeMerge, path: str) -> Entry | None:
    """The resolved entry at ``path`` in a merge, None when absent or still conflicting."""
    if merge.conflicts and any(path in c.paths for c in merge.conflicts):
        return None
    try:
        return _entry(merge.index[path])
    except KeyError:
        return None


class ChainTree:
    """The tip tree of a merge chain, held in an index so that writing the next merge's tree
    rebuilds only the directories that merge changed (libgit2's tree cache keeps the ids
    of the others), not every directory of the project: 2 ms -> 0.5 ms a merge at 500 files.
    """

    def __init__(self, repo: Repository, tree: Oid | ObjectId):
        self._repo = repo
        self._index = pygit2.Index()
        self.tree = Oid(hex=str(tree))
        self._index.read_tree(_tree_of(repo, self.tree))

    def advance(self, merge: TreeMerge, chosen: dict[str, Entry | None]) -> Oid:
        """Write the merge's tree with each conflicting path set as ``chosen`` says (None:
        deleted), make it the chain's tip and return it.

        Every conflicting path must be in ``chosen``; the merge's index is consumed.
        """
        index = merge.index
        for path in {p for c in merge.conflicts for p in c.paths}:
            del index.conflicts[path]
        _apply(index, chosen)
        diff = index.diff_to_tree(_tree_of(self._repo, self.tree))  # old: the tip; new: merged
        changes: dict[str, Entry | None] = {}
        for delta in diff.deltas:   # deletions first: a file may become a directory
            if delta.status == pygit2.enums.DeltaStatus.DELETED:
                changes[delta.old_file.path] = None
        for delta in diff.deltas:
            if delta.status != pygit2.enums.DeltaStatus.DELETED:
                new = delta.new_file
                changes[new.path] = Entry(new.path, object_id(new.id), int(new.mode))
        _apply(self._index, changes)
        self.tree = self._index.write_tree(self._repo)
        return self.tree


def _apply(index: pygit2.Index, changes: dict[str, Entry | None]) -> None:
    """Set each path of ``changes`` in ``index`` to its entry, or remove it (None)."""
    for path, entry in changes.items():
        if entry is None:
            _remove(index, path)
        else:
            index.add(pygit2.IndexEntry(path, Oid(hex=entry.oid), pygit2.enums.FileMode(entry.mode)))


def _remove(index: pygit2.Index, path: str) -> None:
    try:  # noqa: SIM105 (kept to this section: no new import at the top of the file)
        index.remove(path)
    except (OSError, KeyError, pygit2.GitError):  # already absent: nothing to remove
        pass


def empty_tree(repo: Repository) -> Oid:
    return repo.TreeBuilder().write()


def tree_of(repo: Repository, commit: Oid | ObjectId) -> Oid:
    obj = repo.get(commit)
    assert isinstance(obj, pygit2.Commit)
    return obj.tree_id


def tree_entry(repo: Repository, tree: Oid | ObjectId, path: str) -> Entry | None:
    """The file at ``path`` in a tree, or None (absent, or a directory)."""
    obj = repo.get(tree)
    assert isinstance(obj, pygit2.Tree)
    try:
        found = obj[path]
    except KeyError:
        return None
    if found.type_str == "tree":
        return None
    return Entry(path, object_id(found.id), int(found.filemode))


def tree_with(repo: Repository, tree: Oid | ObjectId, changes: dict[str, Entry | None]) -> Oid:
    """A copy of ``tree`` with each path in ``changes`` set to its entry or (None) removed."""
    if not changes:
        return Oid(hex=str(tree))
    index = pygit2.Index()
    obj = repo.get(tree)
    assert isinstance(obj, pygit2.Tree)
    index.read_tree(obj)
    _apply(index, changes)
    return index.write_tree(repo)


def tree_diff_paths(repo: Repository, old: Oid | ObjectId, new: Oid | ObjectId) -> set[str]:
    """Every path whose entry differs between two trees (renames show both paths)."""
    a, b = repo.get(old), repo.get(new)
    assert isinstance(a, pygit2.Tree) and isinstance(b, pygit2.Tree)
    return _diff_paths(repo, a, b)


def tree_patch(repo: Repository, old: Oid | ObjectId, new: Oid | ObjectId) -> bytes:
    """``git diff --binary OLD NEW`` between two trees: a patch ``git apply`` takes, as bytes
    (names and contents need not be UTF-8)."""
    a, b = repo.get(old), repo.get(new)
    assert isinstance(a, pygit2.Tree) and isinstance(b, pygit2.Tree)
    diff = a.diff_to_tree(b, flags=pygit2.enums.DiffOption.SHOW_BINARY)
    return b"".join(patch.data for patch in diff if patch is not None)


def text_patch(path: str, old: bytes, new: bytes) -> bytes:
    """``git diff`` of one file between two contents (same path and mode): a patch
    ``git apply`` takes, made without writing any object."""
    patch = pygit2.Patch.create_from(old, new, old_as_path=path, new_as_path=path)
    return patch.data


def write_commit(repo: Repository, tree: Oid | ObjectId, parents: list[ObjectId],
                 message: str) -> ObjectId:
    """Write a commit object (no ref moves) and return its id (see ``create_commit``)."""
    return object_id(create_commit(repo, message, Oid(hex=str(tree)), [Oid(hex=p) for p in parents]))


def create_blob(repo: Repository, data: bytes) -> ObjectId:
    return object_id(repo.create_blob(data))


def read_blob(repo: Repository, oid: ObjectId) -> bytes:
    obj = repo.get(oid)
    assert isinstance(obj, pygit2.Blob)
    return obj.data


def tree_from_entries(repo: Repository, entries: Iterable[Entry]) -> ObjectId:
    """A tree holding exactly ``entries`` (nested directories made as needed)."""
    index = pygit2.Index()
    for entry in entries:
        index.add(pygit2.IndexEntry(entry.path, Oid(hex=entry.oid), pygit2.enums.FileMode(entry.mode)))
    return object_id(index.write_tree(repo))


class GrowingTree:
    """A flat tree that only ever gains entries: each write adds the new names to the last
    tree written (one tree object per write, whatever the size)."""

    def __init__(self) -> None:
        self.tree: ObjectId | None = None
        self.count = 0

    def add(self, repo: Repository, entries: Iterable[Entry]) -> ObjectId:
        """Add top-level entries (names without '/') and write the tree."""
        if self.tree is None:
            builder = repo.TreeBuilder()
        else:
            old = repo.get(self.tree)
            assert isinstance(old, pygit2.Tree)
            builder = repo.TreeBuilder(old)
        for entry in entries:
            builder.insert(entry.path, Oid(hex=entry.oid), entry.mode)
        self.tree = object_id(builder.write())
        return self.tree


def flat_tree(repo: Repository, entries: Iterable[Entry]) -> ObjectId:
    """A tree of the given top-level entries (names without '/'; mode 0o40000 for a tree)."""
    builder = repo.TreeBuilder()
    for entry in entries:
        builder.insert(entry.path, Oid(hex=entry.oid), entry.mode)
    return object_id(builder.write())


def checked_out_branches(repo: Repository) -> dict[str, str]:
    """Branch ref -> worktree directory, for every worktree that has a branch checked out.

    Read from the HEAD files of the main worktree and of ``worktrees/*`` (what
    ``git worktree list`` reads), without starting a git process.
    """
    common = git_common_dir(repo)
    # a bare repository's HEAD names a branch but checks nothing out
    heads = [] if repo.is_bare else [(common / "HEAD", str(common.parent))]
    worktrees = common / "worktrees"
    if worktrees.is_dir():
        for admin in sorted(worktrees.iterdir()):
            gitdir = admin / "gitdir"
            where = (str(Path(gitdir.read_text().strip()).parent) if gitdir.is_file()
                     else str(admin))
            heads.append((admin / "HEAD", where))
    out: dict[str, str] = {}
    for head, where in heads:
        try:
            text = head.read_text().strip()
        except OSError:  # a worktree being removed: it has nothing checked out
            continue
        if text.startswith("ref: "):
            out[text[len("ref: "):]] = where
    return out


def git_common_dir(repo: Repository) -> Path:
    """The directory that holds refs and objects shared by all worktrees."""
    path = Path(repo.path)
    common = path / "commondir"
    if common.is_file():
        return (path / common.read_text().strip()).resolve()
    return path.resolve()


# ---------------- conflicts ----------------


@dataclass(frozen=True)
class FileChange:
    """One file's change between two trees, as libgit2 sees it (renames detected)."""

    status: str                 # "A", "D", "M", "R", "T" (as git's --name-status letters)
    old_path: str | None
    new_path: str | None
    old_id: ObjectId | None
    new_id: ObjectId | None
    old_mode: int
    new_mode: int


_STATUS_LETTER = {1: "A", 2: "D", 3: "M", 4: "R", 5: "C", 8: "T"}
_ZERO = "0" * 40


def tree_changes(repo: Repository, old: Oid | None, new: Oid) -> list[FileChange]:
    """Every file that differs between two commits (or trees); ``old`` None: the empty tree.

    Renames are found the way libgit2's merge finds them (50% similarity). No content is
    diffed here (``file_patch`` does that for the files that need it).
    """
    new_tree = _tree_of(repo, new)
    if old is None:
        diff = new_tree.diff_to_tree(swap=True)
    else:
        old_tree = _tree_of(repo, old)
        if old_tree.id == new_tree.id:
            return []
        diff = old_tree.diff_to_tree(new_tree)
    diff.find_similar(flags=pygit2.enums.DiffFind.FIND_RENAMES, rename_threshold=50,
                      rename_limit=1000)
    out: list[FileChange] = []
    for delta in diff.deltas:
        status = _STATUS_LETTER.get(int(delta.status), "M")
        old_id, new_id = object_id(delta.old_file.id), object_id(delta.new_file.id)
        out.append(FileChange(
            status=status,
            old_path=None if status == "A" else delta.old_file.path,
            new_path=None if status == "D" else delta.new_file.path,
            old_id=None if old_id == _ZERO else old_id,
            new_id=None if new_id == _ZERO else new_id,
            old_mode=int(delta.old_file.mode), new_mode=int(delta.new_file.mode),
        ))
    return out


Blob = pygit2.Blob


def load_blob(repo: Repository, oid: ObjectId) -> Blob | None:
    """The blob with this id, or None when there is none (a submodule's commit, say)."""
    obj = repo.get(oid)
    return obj if isinstance(obj, pygit2.Blob) else None


def file_patch(old: Blob, new: Blob) -> tuple[str, bool]:
    """The zero-context (``-U0``) unified diff of two blobs, and whether they are binary.

    Computed with the xdiff settings libgit2 uses for its in-memory merges (Myers, no
    indent heuristic), so that the hunks are exactly the changes a merge compares.
    """
    # pygit2's stub lacks context_lines/interhunk_lines, which Blob.diff does accept.
    patch = old.diff(new, old_as_path="file", new_as_path="file",  # type: ignore[call-arg]
                     context_lines=0, interhunk_lines=0)
    if patch.delta.is_binary:
        return "", True
    return patch.text or "", False


def _tree_of(repo: Repository, oid: Oid) -> pygit2.Tree:
    obj = repo.get(oid)
    if obj is None:
        raise RepoError(f"no object {oid} in this repository")
    tree = obj.peel(pygit2.Tree)
    assert isinstance(tree, pygit2.Tree)
    return tree


def blob_bytes(repo: Repository, oid: ObjectId) -> bytes:
    """The content of a blob (empty for anything that is not one)."""
    blob = load_blob(repo, oid)
    return blob.data if blob is not None else b""
