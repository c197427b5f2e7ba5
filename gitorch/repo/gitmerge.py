"""git's own merges (merge-ort, what ``git merge`` and GitHub make), computed by
``git merge-tree --write-tree`` (git 2.38+): the engine for ``merge: {engine: git}``.

Nothing is checked out: merge-tree writes the merged tree (conflicting files hold git's
conflict markers) and lists the conflicting index entries, which become a ``TreeMerge``
like libgit2's. Paths the manifest names in ``union`` get git's union driver through a
temporary attributes file (``core.attributesFile``); the working tree's
``.gitattributes`` apply as they do for ``git merge``.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import pygit2

from gitorch.errors import RepoError
from gitorch.ids import ObjectId
from gitorch.repo.core import Oid, Repository
from gitorch.repo.merge import ConflictSides, Entry, TreeMerge, _tree_of


@contextmanager
def _git_command(repo: Repository, union: Sequence[str]) -> Iterator[list[str]]:
    """``git`` with the options every merge-tree call here takes (union paths included)."""
    env_free = ["git", "--git-dir", repo.path, "-c", "merge.conflictStyle=merge",
                "-c", "core.quotePath=false"]
    if not union:
        yield env_free
        return
    with tempfile.NamedTemporaryFile("w", suffix=".gitattributes", delete=False) as handle:
        handle.write("".join(f"{p} merge=union\n" for p in union))
    try:
        yield [*env_free, "-c", f"core.attributesFile={handle.name}"]
    finally:
        os.unlink(handle.name)


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}


def _cwd(repo: Repository) -> str:
    return repo.workdir or repo.path


def git_merge(repo: Repository, ours: str, theirs: str, union: Sequence[str] = ()) -> TreeMerge:
    """git's merge of two commits (their merge base found by git), as a ``TreeMerge``
    whose conflicts are git's conflicting index entries, grouped by path; ``marked``
    holds, for each conflicting path, the file with git's conflict markers."""
    with _git_command(repo, union) as git:
        proc = subprocess.run([*git, "merge-tree", "--write-tree", "-z", "--no-messages",
                               ours, theirs], capture_output=True, cwd=_cwd(repo), env=_env())
    if proc.returncode not in (0, 1):
        raise RepoError(f"git merge-tree failed: {proc.stderr.decode(errors='replace').strip()}",
                        hint="git 2.38 or later is needed for merge.engine: git")
    fields = proc.stdout.split(b"\0")
    tree = fields[0].decode()
    stages: dict[str, dict[int, Entry]] = {}
    for record in fields[1:]:
        if not record:
            continue
        info, path_bytes = record.split(b"\t", 1)
        mode, oid, stage = info.decode().split()
        path = os.fsdecode(path_bytes)
        stages.setdefault(path, {})[int(stage)] = Entry(path, ObjectId(oid), int(mode, 8))
    index = pygit2.Index()
    index._repo = repo  # type: ignore[assignment]  # as libgit2's merge indexes are: diffs against trees need it
    index.read_tree(_tree_of(repo, Oid(hex=tree)))
    marked: dict[str, ObjectId] = {}
    conflicts: list[ConflictSides] = []
    for path, sides in stages.items():
        found = _entry_at(index, path)
        if found is not None:   # a file with markers (not for a deletion)
            marked[path] = found
        conflict = ConflictSides(sides.get(1), sides.get(2), sides.get(3))
        a, o, t = (None if e is None else pygit2.IndexEntry(
            e.path, Oid(hex=e.oid), pygit2.enums.FileMode(e.mode))
            for e in (conflict.ancestor, conflict.ours, conflict.theirs))
        index.add_conflict(a, o, t)  # type: ignore[arg-type]  # None: absent (libgit2 takes it)
        conflicts.append(conflict)
    return TreeMerge(index, tuple(conflicts), marked)


def git_conflicting_paths(repo: Repository, pairs: Iterable[tuple[str, str]],
                          union: Sequence[str] = ()) -> list[set[str]]:
    """For each pair of commits, the paths git's merge of the two leaves conflicting
    (one ``git merge-tree --stdin`` process for all of them)."""
    pairs = list(pairs)
    if not pairs:
        return []
    with _git_command(repo, union) as git:
        proc = subprocess.run([*git, "merge-tree", "--stdin", "-z", "--name-only",
                               "--no-messages"],
                              input="".join(f"{a} {b}\n" for a, b in pairs).encode(),
                              capture_output=True, cwd=_cwd(repo), env=_env())
    if proc.returncode != 0:
        raise RepoError(f"git merge-tree failed: {proc.stderr.decode(errors='replace').strip()}",
                        hint="git 2.38 or later is needed for merge.engine: git")
    fields = proc.stdout.split(b"\0")
    out: list[set[str]] = []
    at = 0
    for _ in pairs:
        status = fields[at]
        if status not in (b"0", b"1"):
            raise RepoError(f"git merge-tree could not merge a pair: {status!r}")
        at += 2                        # the status and the tree
        paths: set[str] = set()
        while fields[at]:
            paths.add(os.fsdecode(fields[at]))
            at += 1
        at += 1                        # the NUL that ends this merge
        out.append(paths)
    return out


def _entry_at(index: pygit2.Index, path: str) -> ObjectId | None:
    """The blob id staged at ``path`` (stage 0), or None."""
    try:
        return ObjectId(str(index[path].id))
    except KeyError:   # absent: git left nothing at this path
        return None
