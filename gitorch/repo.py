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


def head_branch(repo: Repository) -> str | None:
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
