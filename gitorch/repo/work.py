"""Working trees and git's command line: throw-away checkouts for test runs, team
worktrees, staged paths, and the few questions git answers faster than libgit2.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pygit2

from gitorch.errors import RepoError
from gitorch.ids import ObjectId
from gitorch.repo.core import Commit, Oid, Repository, _tree_paths, ref_target, short, update_ref

# ---------------- quality ----------------
# A throw-away checkout of one commit for the test run, and first-parent blame for
# attributing each line of the integrated tree to the merge commit that brought it in.


def tree_files(repo: Repository, commit: Commit) -> frozenset[str]:
    """Every non-directory path in the commit's tree."""
    return _tree_paths(commit.tree)


def add_temp_worktree(repo: Repository, commit: ObjectId, path: Path) -> None:
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


def reset_temp_worktree(path: Path, commit: ObjectId) -> bool:
    """Make the worktree ``path`` (made by ``add_temp_worktree``) hold exactly ``commit``'s
    files, detached: every untracked and ignored file removed, then a forced checkout
    (which writes only the files that differ). False when git could not."""
    for args in (["clean", "-ffdxq"], ["checkout", "-f", "-q", "--detach", commit]):
        proc = subprocess.run(["git", "-C", str(path), "-c", "core.hooksPath=/dev/null", *args],
                              capture_output=True, env=_git_env())
        if proc.returncode != 0:
            return False
    return True


def remove_temp_worktree(repo: Repository, path: Path) -> None:
    """Undo ``add_temp_worktree``: remove the directory and git's record of it."""
    remove_temp_worktrees(repo, [path])


def remove_temp_worktrees(repo: Repository, paths: Sequence[Path]) -> None:
    """``remove_temp_worktree`` for several at once (one ``git worktree remove`` each, side
    by side), then one ``git worktree prune`` for any record a removal left."""
    procs = [subprocess.Popen(["git", "--git-dir", repo.path, "worktree", "remove", "--force",
                               "--force", str(path)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=_git_env()) for path in paths]
    for proc in procs:
        proc.wait()
    subprocess.run(["git", "--git-dir", repo.path, "worktree", "prune"],
                   capture_output=True, text=True, env=_git_env())


def _git_env() -> dict[str, str]:
    # A caller inside a hook may have GIT_DIR & co. set; --git-dir must win.
    return {k: v for k, v in os.environ.items()
            if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}


# ---------------- enforcement (hooks): worktrees, staged paths, branch creation


def commit_of(repo: Repository, oid: ObjectId) -> Commit | None:
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


def uncommitted_paths(root: Path) -> list[str]:
    """Paths of the work tree at ``root`` with changes not committed (staged, unstaged or
    untracked and not ignored), by ``git status``; [] when git cannot tell."""
    proc = subprocess.run(["git", "status", "--porcelain=v1", "-z", "--no-renames"],
                          cwd=root, capture_output=True)
    if proc.returncode != 0:
        return []
    entries = proc.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return [e[3:] for e in entries if len(e) > 3]


def tracked_files(root: Path) -> list[str]:
    """``git ls-files``: the paths of the index of the work tree at ``root``."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True)
    if out.returncode != 0:
        reason = out.stderr.decode(errors="replace").strip() or "git ls-files failed"
        raise RepoError(f"cannot list the tracked files: {reason.splitlines()[-1]}")
    return [p for p in out.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


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


def refs_under(repo: Repository, prefix: str) -> list[tuple[str, Oid]]:
    """Every ref under ``prefix`` and what it points at, sorted by name."""
    out = []
    for name in repo.references:
        if name.startswith(prefix):
            target = ref_target(repo, name)
            if target is not None:
                out.append((name, target))
    return sorted(out)


def ref_tips_under(repo: Repository, prefix: str) -> list[Oid]:
    """The commits that refs under ``prefix`` (``refs/remotes/origin/``) point at."""
    out: list[Oid] = []
    for name in repo.references:
        if name.startswith(prefix):
            target = ref_target(repo, name)
            commit = commit_of(repo, ObjectId(str(target))) if target is not None else None
            if commit is not None and commit.id not in out:
                out.append(commit.id)
    return out
