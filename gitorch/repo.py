"""The one git gateway: the only module that imports pygit2.

Everything happens on objects in memory; nothing here touches a working tree or
index that the user owns. Ref updates are compare-and-swap.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import RepositoryOpenFlag, SortMode

from gitorch.errors import RepoError

Repository = pygit2.Repository
Commit = pygit2.Commit
Oid = pygit2.Oid


# --------------------------------------------------------------------------- opening


def open_repo(path: str | os.PathLike[str] | None = None, *, from_env: bool = False) -> Repository:
    """Open the repository at or above ``path`` (default: the current directory).

    ``from_env`` honours GIT_DIR, GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES,
    which is how a pre-receive hook sees objects still in git's quarantine.
    """
    where = str(path) if path is not None else os.getcwd()
    try:
        if from_env:
            return pygit2.Repository(where, RepositoryOpenFlag.FROM_ENV)
        found = pygit2.discover_repository(where)
        if found is None:
            raise RepoError(f"{where}: not inside a git repository",
                            hint="run gitorch from a clone of the project, or pass --repo DIR")
        return pygit2.Repository(found)
    except pygit2.GitError as exc:
        raise RepoError(f"{where}: cannot open the repository: {exc}") from None


def repo_root(repo: Repository) -> Path:
    """The working tree's root, or the git directory of a bare repository."""
    if repo.workdir:
        return Path(repo.workdir).resolve()
    return Path(repo.path).resolve()


# --------------------------------------------------------------------------- names


def resolve_commit(repo: Repository, rev: str) -> Commit:
    try:
        obj = repo.revparse_single(rev)
        commit = obj.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
        raise RepoError(f"no commit named '{rev}' in this repository",
                        hint="check the name with 'git log --oneline -1 REV'") from None
    assert isinstance(commit, pygit2.Commit)
    return commit


def branch_commit(repo: Repository, branch: str, remote: str | None = "origin") -> Commit | None:
    """The local branch, else ``<remote>/<branch>``, else None."""
    for ref in (f"refs/heads/{branch}",
                *((f"refs/remotes/{remote}/{branch}",) if remote else ())):
        target = repo.references.get(ref)
        if target is not None:
            obj = repo.get(target.resolve().target)
            if isinstance(obj, pygit2.Commit):
                return obj
            if obj is not None:
                peeled = obj.peel(pygit2.Commit)
                assert isinstance(peeled, pygit2.Commit)
                return peeled
    return None


def ref_target(repo: Repository, ref: str) -> Oid | None:
    found = repo.references.get(ref)
    if found is None:
        return None
    target = found.resolve().target
    assert isinstance(target, pygit2.Oid)
    return target


def merge_base(repo: Repository, a: Oid, b: Oid) -> Oid | None:
    return repo.merge_base(a, b)


# --------------------------------------------------------------------------- reading


def read_file(repo: Repository, commit: Commit, path: str) -> bytes | None:
    """The blob at ``path`` in the commit's tree, or None when absent or not a file."""
    try:
        entry = commit.tree[path]
    except KeyError:
        return None
    obj = repo.get(entry.id)
    if isinstance(obj, pygit2.Blob):
        return obj.data
    return None


def subject(commit: Commit) -> str:
    return commit.message.split("\n", 1)[0].strip()


def short(oid: Oid | str) -> str:
    return str(oid)[:8]


# --------------------------------------------------------------------------- walking


def walk(repo: Repository, include: Iterable[Oid], exclude: Iterable[Oid] = ()) -> Iterator[Commit]:
    """Commits reachable from ``include`` and from none of ``exclude``, oldest first."""
    heads = list(include)
    if not heads:
        return iter(())
    walker = repo.walk(heads[0], SortMode.TOPOLOGICAL | SortMode.REVERSE)
    for head in heads[1:]:
        walker.push(head)
    for oid in exclude:
        walker.hide(oid)
    return iter(walker)


def changed_paths(repo: Repository, commit: Commit) -> frozenset[str]:
    """The paths this commit changes.

    A root commit is compared with the empty tree; a merge is charged with the paths
    whose content differs from every parent. A rename shows as its old and its new
    path; deletions, mode and type changes, symlinks and submodules all count.
    """
    parents = commit.parents
    if not parents:
        return _tree_paths(commit.tree)
    result: set[str] | None = None
    for parent in parents:
        paths = _diff_paths(repo, parent.tree, commit.tree)
        result = paths if result is None else result & paths
        if not result:
            break
    return frozenset(result or ())


def diff_paths(repo: Repository, old: Commit | None, new: Commit) -> frozenset[str]:
    """Every path that differs between two commits' trees (``old`` None: the empty tree)."""
    if old is None:
        return _tree_paths(new.tree)
    return frozenset(_diff_paths(repo, old.tree, new.tree))


def _diff_paths(repo: Repository, old: pygit2.Tree, new: pygit2.Tree) -> set[str]:
    if old.id == new.id:
        return set()
    diff = old.diff_to_tree(new)
    out: set[str] = set()
    for delta in diff.deltas:
        out.add(delta.old_file.path)
        out.add(delta.new_file.path)
    return out


def _tree_paths(tree: pygit2.Tree, prefix: str = "") -> frozenset[str]:
    out: set[str] = set()
    stack = [(tree, prefix)]
    while stack:
        current, base = stack.pop()
        for entry in current:
            name = entry.name or ""
            path = f"{base}{name}"
            if entry.type_str == "tree":
                sub = current[name]
                assert isinstance(sub, pygit2.Tree)
                stack.append((sub, f"{path}/"))
            else:
                out.add(path)
    return frozenset(out)


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


def signature(repo: Repository, fallback: Identity | None = None) -> pygit2.Signature:
    try:
        return repo.default_signature
    except (KeyError, pygit2.GitError):
        who = fallback or Identity("gitorch", "gitorch@localhost")
        return pygit2.Signature(who.name, who.email)


def update_ref(repo: Repository, ref: str, new: Oid, old: Oid | None, message: str) -> None:
    """Move ``ref`` from ``old`` (None: must not exist) to ``new``, or fail without moving it.

    ``git update-ref`` checks the old value under the ref's lock: a true compare-and-swap.
    """
    expected = str(old) if old is not None else "0" * 40
    proc = subprocess.run(
        ["git", "--git-dir", repo.path, "update-ref", "-m", message, ref, str(new), expected],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown reason"])[-1]
        raise RepoError(f"cannot update {ref}: {reason}",
                        hint="another process moved it; run the command again")


# ---------------- gate ----------------


def added_lines(repo: Repository, old: Commit, new: Commit) -> dict[str, frozenset[int]]:
    """Per path of ``new``, the line numbers (new side) of the lines added since ``old``.

    Renames are followed, so a file that only moved adds no lines; binary files and
    paths with nothing added are absent.
    """
    if old.tree.id == new.tree.id:
        return {}
    diff = old.tree.diff_to_tree(new.tree, context_lines=0)
    diff.find_similar()
    out: dict[str, frozenset[int]] = {}
    for patch in diff:
        if patch is None or patch.delta.is_binary:
            continue
        lines = {line.new_lineno for hunk in patch.hunks for line in hunk.lines
                 if line.origin == "+" and line.new_lineno > 0}
        if lines:
            out[patch.delta.new_file.path] = frozenset(lines)
    return out


def head_branch(repo: Repository) -> str | None:
    """The branch HEAD points to (``team/x``), or None when HEAD is detached or unborn."""
    if repo.head_is_unborn or repo.head_is_detached:
        return None
    return str(repo.head.shorthand)


def is_shallow(repo: Repository) -> bool:
    """True in a shallow clone, where history (and so a range of commits) may be cut short."""
    return bool(repo.is_shallow)


# ---------------- progress (status, signals, monitor, expand) ----------------


def create_commit(repo: Repository, message: str, tree: Oid, parents: list[Oid]) -> Oid:
    """Write a commit object without moving any ref (the caller moves one with update_ref).

    Author and committer follow git's environment (GIT_AUTHOR_NAME, GIT_COMMITTER_DATE
    as ``<epoch> <+zone>``, ...) over the configured identity, as ``git commit`` does.
    """
    author = _env_signature(repo, "AUTHOR")
    committer = _env_signature(repo, "COMMITTER")
    oid = repo.create_commit(None, author, committer, message, tree, parents)
    assert isinstance(oid, pygit2.Oid)
    return oid


def _env_signature(repo: Repository, kind: str) -> pygit2.Signature:
    base = signature(repo)
    name = os.environ.get(f"GIT_{kind}_NAME") or base.name
    email = os.environ.get(f"GIT_{kind}_EMAIL") or base.email
    date = os.environ.get(f"GIT_{kind}_DATE", "").lstrip("@").split()
    if len(date) == 2 and date[0].isdigit() and len(date[1]) == 5 and date[1][1:].isdigit():
        sign = -1 if date[1][0] == "-" else 1
        offset = sign * (int(date[1][1:3]) * 60 + int(date[1][3:5]))
        return pygit2.Signature(name, email, int(date[0]), offset)
    return pygit2.Signature(name, email, base.time, base.offset)


def is_empty_commit(commit: Commit) -> bool:
    """A commit with one parent and the same tree: it changes no path."""
    parents = commit.parent_ids
    return len(parents) == 1 and commit.parents[0].tree_id == commit.tree_id


def commit_time_iso(commit: Commit) -> str:
    """The committer time in ISO 8601, in the committer's own offset."""
    from datetime import datetime, timedelta, timezone

    zone = timezone(timedelta(minutes=commit.commit_time_offset))
    return datetime.fromtimestamp(commit.commit_time, zone).isoformat()


def added_line_count(repo: Repository, old: Commit, new: Commit,
                     keep: Callable[[str], bool]) -> int:
    """Lines added from ``old`` to ``new`` in the files whose new path ``keep`` accepts.

    Only the deltas that pass ``keep`` are turned into patches, which is where the time goes.
    Binary files count 0.
    """
    if old.tree_id == new.tree_id:
        return 0
    diff = old.tree.diff_to_tree(new.tree)
    total = 0
    for index, delta in enumerate(diff.deltas):
        if delta.is_binary or not keep(delta.new_file.path):
            continue
        patch = diff[index]
        if patch is not None:
            total += patch.line_stats[1]
    return total


def fetch(repo: Repository, remote: str) -> str | None:
    """``git fetch --quiet REMOTE``; None on success, else git's last line of complaint."""
    proc = subprocess.run(["git", "--git-dir", repo.path, "fetch", "--quiet", remote],
                          capture_output=True, text=True)
    if proc.returncode == 0:
        return None
    return (proc.stderr.strip().splitlines() or [f"git fetch exited {proc.returncode}"])[-1]


def workdir(repo: Repository) -> Path | None:
    """The working tree's root, or None for a bare repository."""
    return Path(repo.workdir).resolve() if repo.workdir else None


# ---------------- quality ----------------
# A throw-away checkout of one commit for the test run, and first-parent blame for
# attributing each line of the integrated tree to the merge commit that brought it in.


def tree_files(repo: Repository, commit: Commit) -> frozenset[str]:
    """Every non-directory path in the commit's tree."""
    return _tree_paths(commit.tree)


def add_temp_worktree(repo: Repository, commit: str, path: Path) -> None:
    """Check ``commit`` out, detached, into the new directory ``path`` (``git worktree add``).

    Only git's administrative files under ``.git/worktrees`` change; the user's checkout,
    index and refs stay as they are. Checkout hooks are switched off for this one call.
    """
    proc = subprocess.run(
        ["git", "--git-dir", repo.path, "-c", "core.hooksPath=/dev/null",
         "worktree", "add", "--detach", "--force", str(path), commit],
        capture_output=True, text=True, env=_git_env(),
    )
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown reason"])[-1]
        raise RepoError(f"cannot check out {short(commit)} into {path}: {reason}",
                        hint="run 'git worktree prune' and try again")


def remove_temp_worktree(repo: Repository, path: Path) -> None:
    """Undo ``add_temp_worktree``: remove the directory and git's record of it."""
    subprocess.run(["git", "--git-dir", repo.path, "worktree", "remove", "--force", "--force",
                    str(path)], capture_output=True, text=True, env=_git_env())
    subprocess.run(["git", "--git-dir", repo.path, "worktree", "prune"],
                   capture_output=True, text=True, env=_git_env())


def _git_env() -> dict[str, str]:
    # A caller inside a hook may have GIT_DIR & co. set; --git-dir must win.
    return {k: v for k, v in os.environ.items()
            if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}


def first_parent_chain(repo: Repository, tip: str, wanted: Iterable[str]) -> list[str]:
    """The first-parent chain from ``tip`` back to the oldest commit of ``wanted`` on it.

    Newest first; stops as soon as every wanted commit on the chain has been seen
    (or at the root when some is not on it).
    """
    left = set(wanted)
    chain: list[str] = []
    commit: Commit | None = resolve_commit(repo, tip)
    while commit is not None and left:
        sha = str(commit.id)
        chain.append(sha)
        left.discard(sha)
        commit = commit.parents[0] if commit.parents else None
    return chain


def parent_sha(repo: Repository, commit: str) -> str | None:
    found = resolve_commit(repo, commit)
    return str(found.parents[0].id) if found.parents else None


def first_parent_changes(repo: Repository, commit: str) -> frozenset[str]:
    """Paths whose content differs between ``commit`` and its first parent."""
    found = resolve_commit(repo, commit)
    return diff_paths(repo, found.parents[0] if found.parents else None, found)


def blame_first_parent(repo: Repository, path: str, newest: str,
                       oldest: str | None = None) -> list[tuple[str, int, int]]:
    """(commit, first line, line count) for each run of lines of ``path`` at ``newest``.

    Only first parents are followed, so a line that came in through a merge is charged
    to the merge commit itself. Lines older than ``oldest`` are charged to ``oldest``.
    """
    from pygit2.enums import BlameFlag

    hunks = repo.blame(path, flags=BlameFlag.FIRST_PARENT,
                       newest_commit=resolve_commit(repo, newest).id,
                       oldest_commit=resolve_commit(repo, oldest).id if oldest else None)
    return [(str(h.final_commit_id), h.final_start_line_number, h.lines_in_hunk) for h in hunks]


# ---------------- integrate ----------------
# In-memory merges, trees edited without a working tree, commits, patches and the
# ref plumbing of the merge engine (gitorch/integrate.py).

@dataclass(frozen=True)
class Entry:
    """One file in a tree or one side of a conflict: path, blob id (hex) and mode."""

    path: str
    oid: str
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


_FAVOR = {"normal": pygit2.enums.MergeFavor.NORMAL, "ours": pygit2.enums.MergeFavor.OURS,
          "theirs": pygit2.enums.MergeFavor.THEIRS}


def _entry(e: pygit2.IndexEntry | None) -> Entry | None:
    return None if e is None else Entry(str(e.path), str(e.id), int(e.mode))


def merge_trees(repo: Repository, ancestor: Oid | str | None, ours: Oid | str, theirs: Oid | str,
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


def merged_entry(merge: TreeMerge, path: str) -> Entry | None:
    """The resolved entry at ``path`` in a merge, None when absent or still conflicting."""
    if merge.conflicts and any(path in c.paths for c in merge.conflicts):
        return None
    try:
        return _entry(merge.index[path])
    except KeyError:
        return None


def resolve_merge(repo: Repository, merge: TreeMerge, chosen: dict[str, Entry | None]) -> Oid:
    """Write the merge's tree with each conflicting path set as ``chosen`` says (None: deleted).

    Every conflicting path must be in ``chosen``; the merge's index is consumed.
    """
    index = merge.index
    for path in {p for c in merge.conflicts for p in c.paths}:
        del index.conflicts[path]
    for path, entry in chosen.items():
        if entry is None:
            _remove(index, path)
        else:
            index.add(pygit2.IndexEntry(path, Oid(hex=entry.oid), pygit2.enums.FileMode(entry.mode)))
    return index.write_tree(repo)


def _remove(index: pygit2.Index, path: str) -> None:
    try:  # noqa: SIM105 (kept to this section: no new import at the top of the file)
        index.remove(path)
    except (OSError, KeyError, pygit2.GitError):  # already absent: nothing to remove
        pass


def empty_tree(repo: Repository) -> Oid:
    return repo.TreeBuilder().write()


def tree_of(repo: Repository, commit: Oid | str) -> Oid:
    obj = repo.get(commit)
    assert isinstance(obj, pygit2.Commit)
    return obj.tree_id


def tree_entry(repo: Repository, tree: Oid | str, path: str) -> Entry | None:
    """The file at ``path`` in a tree, or None (absent, or a directory)."""
    obj = repo.get(tree)
    assert isinstance(obj, pygit2.Tree)
    try:
        found = obj[path]
    except KeyError:
        return None
    if found.type_str == "tree":
        return None
    return Entry(path, str(found.id), int(found.filemode))


def tree_with(repo: Repository, tree: Oid | str, changes: dict[str, Entry | None]) -> Oid:
    """A copy of ``tree`` with each path in ``changes`` set to its entry or (None) removed."""
    if not changes:
        return Oid(hex=str(tree))
    index = pygit2.Index()
    obj = repo.get(tree)
    assert isinstance(obj, pygit2.Tree)
    index.read_tree(obj)
    for path, entry in changes.items():
        if entry is None:
            _remove(index, path)
        else:
            index.add(pygit2.IndexEntry(path, Oid(hex=entry.oid), pygit2.enums.FileMode(entry.mode)))
    return index.write_tree(repo)


def tree_diff_paths(repo: Repository, old: Oid | str, new: Oid | str) -> set[str]:
    """Every path whose entry differs between two trees (renames show both paths)."""
    a, b = repo.get(old), repo.get(new)
    assert isinstance(a, pygit2.Tree) and isinstance(b, pygit2.Tree)
    return _diff_paths(repo, a, b)


def added_line_counts(repo: Repository, old: Oid | str, new: Oid | str) -> dict[str, int]:
    """Lines added between two trees, per text file (binary files and deletions left out).

    A new file counts its lines without computing a diff (the usual case when a team
    builds its layer); a changed file counts the added lines of its patch.
    """
    a, b = repo.get(old), repo.get(new)
    assert isinstance(a, pygit2.Tree) and isinstance(b, pygit2.Tree)
    diff = a.diff_to_tree(b, context_lines=0)
    out: dict[str, int] = {}
    for i, delta in enumerate(diff.deltas):
        path = delta.new_file.path
        if delta.status == pygit2.enums.DeltaStatus.DELETED:
            continue
        if delta.status == pygit2.enums.DeltaStatus.ADDED:
            blob = repo.get(delta.new_file.id)
            if isinstance(blob, pygit2.Blob) and not blob.is_binary:
                data = blob.data
                out[path] = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
            continue
        patch = diff[i]
        if patch is not None and not patch.delta.is_binary:
            out[path] = patch.line_stats[1]
    return out


def tree_patch(repo: Repository, old: Oid | str, new: Oid | str) -> str:
    """``git diff --binary OLD NEW`` between two trees: a patch ``git apply`` takes."""
    a, b = repo.get(old), repo.get(new)
    assert isinstance(a, pygit2.Tree) and isinstance(b, pygit2.Tree)
    diff = a.diff_to_tree(b, flags=pygit2.enums.DiffOption.SHOW_BINARY)
    return diff.patch or ""


def commit_signature(repo: Repository) -> pygit2.Signature:
    """The committer git itself would use, honouring GIT_COMMITTER_DATE given as 'EPOCH +ZZZZ'."""
    sig = signature(repo)
    date = os.environ.get("GIT_COMMITTER_DATE", "").strip().lstrip("@")
    parts = date.split()
    if len(parts) == 2 and parts[0].isdigit() and len(parts[1]) == 5 and parts[1][0] in "+-":
        sign = -1 if parts[1][0] == "-" else 1
        offset = sign * (int(parts[1][1:3]) * 60 + int(parts[1][3:5]))
        return pygit2.Signature(sig.name, sig.email, int(parts[0]), offset)
    return sig


def write_commit(repo: Repository, tree: Oid | str, parents: list[str], message: str) -> str:
    """Write a commit object (no ref moves) and return its id."""
    sig = commit_signature(repo)
    oid = repo.create_commit(None, sig, sig, message, Oid(hex=str(tree)),
                             [Oid(hex=p) for p in parents])
    return str(oid)


def create_blob(repo: Repository, data: bytes) -> str:
    return str(repo.create_blob(data))


def read_blob(repo: Repository, oid: str) -> bytes:
    obj = repo.get(oid)
    assert isinstance(obj, pygit2.Blob)
    return obj.data


def tree_from_entries(repo: Repository, entries: Iterable[Entry]) -> str:
    """A tree holding exactly ``entries`` (nested directories made as needed)."""
    index = pygit2.Index()
    for entry in entries:
        index.add(pygit2.IndexEntry(entry.path, Oid(hex=entry.oid), pygit2.enums.FileMode(entry.mode)))
    return str(index.write_tree(repo))


def flat_tree(repo: Repository, entries: Iterable[Entry]) -> str:
    """A tree of the given top-level entries (names without '/'; mode 0o40000 for a tree)."""
    builder = repo.TreeBuilder()
    for entry in entries:
        builder.insert(entry.path, Oid(hex=entry.oid), entry.mode)
    return str(builder.write())


def delete_ref(repo: Repository, ref: str, old: Oid | str) -> None:
    """Delete ``ref`` if it still points at ``old`` (compare-and-swap), else fail."""
    proc = subprocess.run(["git", "--git-dir", repo.path, "update-ref", "-d", ref, str(old)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown reason"])[-1]
        raise RepoError(f"cannot delete {ref}: {reason}",
                        hint="another process moved it; run the command again")


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


def set_ref(repo: Repository, ref: str, new: Oid | str, old: Oid | str | None,
            message: str) -> None:
    """Compare-and-swap in process: libgit2 checks ``old`` (None: must not exist) under the lock."""
    target = Oid(hex=str(new))
    try:
        if old is None:
            repo.create_reference_direct(ref, target, False, message=message)
            return
        current = repo.references.get(ref)
        if current is None or str(current.target) != str(old):
            raise pygit2.GitError("old reference value does not match")
        current.set_target(target, message)
    except (pygit2.GitError, pygit2.AlreadyExistsError, ValueError) as exc:
        raise RepoError(f"cannot update {ref}: {exc}",
                        hint="another process moved it; run the command again") from None


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
    old_id: str | None
    new_id: str | None
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
        old_id, new_id = str(delta.old_file.id), str(delta.new_file.id)
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


def load_blob(repo: Repository, oid: str) -> Blob | None:
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


def blob_bytes(repo: Repository, oid: str) -> bytes:
    """The content of a blob (empty for anything that is not one)."""
    blob = load_blob(repo, oid)
    return blob.data if blob is not None else b""
# ---------------------------------------------------------------- enforcement (hooks) ----------------

def commit_of(repo: Repository, oid: str) -> Commit | None:
    """The commit ``oid`` names (an annotated tag is peeled), or None when it is no commit."""
    try:
        obj = repo.get(oid)
    except (ValueError, pygit2.GitError):
        return None
    if obj is None:
        return None
    if isinstance(obj, pygit2.Commit):
        return obj
    try:
        peeled = obj.peel(pygit2.Commit)
    except (pygit2.GitError, ValueError, pygit2.InvalidSpecError):
        return None
    return peeled if isinstance(peeled, pygit2.Commit) else None


def symbolic_head(repo: Repository) -> str | None:
    """The branch HEAD names (``main`` for ``refs/heads/main``), even when it has no commit yet."""
    try:
        target = repo.references["HEAD"].target
    except (KeyError, pygit2.GitError):
        return None
    if isinstance(target, str) and target.startswith("refs/heads/"):
        return target[len("refs/heads/"):]
    return None


def staged_paths(root: Path) -> list[str]:
    """Paths whose staged content differs from HEAD (both sides of a rename), via git itself
    so that ``GIT_INDEX_FILE`` (set by ``git commit -a`` and friends for the hook) is honoured."""
    proc = subprocess.run(
        ["git", "diff", "--cached", "--name-only", "--no-renames", "-z"],
        cwd=root, capture_output=True,
    )
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip() or "git diff --cached failed"
        raise RepoError(f"cannot list the staged paths: {reason.splitlines()[-1]}")
    return [p for p in proc.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def git_cli(cwd: Path, *args: str) -> str:
    """Run git in ``cwd``; its stdout, or RepoError carrying git's last line of complaint."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        raise RepoError(f"git {args[0]} failed: {reason}")
    return proc.stdout


@dataclass(frozen=True)
class WorktreeInfo:
    path: Path
    branch: str | None      # ``team/alpha``; None when detached or bare


def list_worktrees(root: Path) -> list[WorktreeInfo]:
    """The worktrees git knows for the repository at ``root`` (``git worktree list``)."""
    out: list[WorktreeInfo] = []
    path: Path | None = None
    branch: str | None = None
    for line in [*git_cli(root, "worktree", "list", "--porcelain").splitlines(), ""]:
        if line.startswith("worktree "):
            path, branch = Path(line[len("worktree "):]).resolve(), None
        elif line.startswith("branch "):
            branch = line[len("branch "):].removeprefix("refs/heads/")
        elif not line and path is not None:
            out.append(WorktreeInfo(path=path, branch=branch))
            path = None
    return out


def add_worktree(root: Path, path: Path, branch: str) -> None:
    """``git worktree add PATH BRANCH`` (the branch exists)."""
    git_cli(root, "worktree", "add", "--quiet", str(path), branch)


def create_branch(repo: Repository, branch: str, start: Commit) -> None:
    """Create ``refs/heads/<branch>`` at ``start``; fails if it already exists."""
    update_ref(repo, f"refs/heads/{branch}", start.id, None, f"gitorch: create {branch}")


def git_path(root: Path, name: str) -> Path:
    """``git rev-parse --git-path NAME`` resolved against ``root`` (worktree-aware)."""
    found = Path(git_cli(root, "rev-parse", "--git-path", name).strip())
    return found if found.is_absolute() else (root / found).resolve()


def ref_tips_under(repo: Repository, prefix: str) -> list[Oid]:
    """The commits that refs under ``prefix`` (``refs/remotes/origin/``) point at."""
    out: list[Oid] = []
    for name in repo.references:
        if name.startswith(prefix):
            target = ref_target(repo, name)
            commit = commit_of(repo, str(target)) if target is not None else None
            if commit is not None and commit.id not in out:
                out.append(commit.id)
    return out
