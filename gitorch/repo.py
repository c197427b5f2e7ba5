"""The one git gateway: the only module that imports pygit2.

Everything happens on objects in memory; nothing here touches a working tree or
index that the user owns. Ref updates are compare-and-swap.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator
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
