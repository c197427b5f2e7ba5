"""One branch and one worktree per team, created from the base; idempotent.

``init_worktrees`` checks every team's directory before it creates anything, so a
refusal (a directory that is not that team's worktree) leaves the repository as it was.
What a worktree holds for its agent (the brief, the hooks) is ``gitorch.agents``' to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitorch import repo as git
from gitorch.errors import RepoError, UsageError
from gitorch.manifest import Manifest, TeamName


@dataclass(frozen=True)
class TeamWorktree:
    team: TeamName
    branch: str
    path: Path
    branch_created: bool
    worktree_created: bool


def init_worktrees(repo: git.Repository, manifest: Manifest, *,
                   remote: str | None = "origin") -> list[TeamWorktree]:
    """Create missing team branches and worktrees.

    A missing local team branch starts at ``<remote>/<branch>`` when that exists (its
    work is kept), else at the base (local, else ``<remote>/<base>``).
    """
    git.git_cli(git.repo_root(repo), "worktree", "prune")   # forget worktrees deleted by hand
    worktrees = git.list_worktrees(git.repo_root(repo))
    if not worktrees:
        raise RepoError("this repository has no working tree",
                        hint="run init-worktrees in a clone, not in a bare repository")
    main_root = worktrees[0].path
    where = manifest.worktrees_dir(main_root)
    by_path = {w.path: w for w in worktrees}
    by_branch = {w.branch: w for w in worktrees if w.branch}
    teams = sorted(manifest.teams)
    base = None
    plans = []
    for team in teams:
        branch = manifest.branch(team)
        path = (where / team).resolve()
        existing = by_path.get(path)
        if existing is not None and existing.branch != branch:
            raise UsageError(f"{path} is a worktree of "
                             f"{existing.branch or 'a detached HEAD'}, not of {branch}",
                             hint="move it away or set 'worktrees' in gitorch.yaml")
        if existing is None and (path.exists() or path.is_symlink()):
            raise UsageError(f"{path} exists and is not the worktree of {branch}",
                             hint="move it away or set 'worktrees' in gitorch.yaml")
        elsewhere = by_branch.get(branch)
        if existing is None and elsewhere is not None:
            raise UsageError(f"{branch} is already checked out at {elsewhere.path}",
                             hint="check out another branch there, then run init-worktrees again")
        has_branch = git.ref_target(repo, f"refs/heads/{branch}") is not None
        if not has_branch and base is None:
            base = git.branch_commit(repo, manifest.base, remote)
            if base is None:
                raise RepoError(f"the base branch {manifest.base} does not exist here",
                                hint=f"create it (git switch -c {manifest.base}) or fetch it")
        plans.append((team, branch, path, has_branch, existing is not None))
    out = []
    for team, branch, path, has_branch, has_worktree in plans:
        if not has_branch:
            start = git.branch_commit(repo, branch, remote) or base  # remote's first: keep its work
            assert start is not None
            git.create_branch(repo, branch, start)
        if not has_worktree:
            path.parent.mkdir(parents=True, exist_ok=True)
            git.add_worktree(main_root, path, branch)
        out.append(TeamWorktree(team=team, branch=branch, path=path,
                                branch_created=not has_branch, worktree_created=not has_worktree))
    return out

