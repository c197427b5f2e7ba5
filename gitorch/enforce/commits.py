"""Commits judged against a team's scope: the engine behind the hook, check, gate and status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitorch.manifest import Manifest, TeamName

if TYPE_CHECKING:
    from gitorch import repo as git


@dataclass(frozen=True)
class Violation:
    """One path that one commit changed outside the team's scope."""

    commit: str
    subject: str
    path: str
    owner: str
    collides_with: str | None = None   # the other team's path this one equals case-folded (NFC)


def commit_violations(
    repo: git.Repository, manifest: Manifest, team: TeamName, commits: Iterable[git.Commit]
) -> list[Violation]:
    """Every (commit, path) among ``commits`` that ``team`` may not change."""
    from gitorch import repo as git  # not at import: the hook imports Violation without pygit2

    ownership = manifest.ownership
    out: list[Violation] = []
    for commit in commits:
        for path in sorted(git.changed_paths(repo, commit)):
            if not ownership.may_change(team, path):
                out.append(Violation(
                    commit=str(commit.id), subject=git.subject(commit), path=path,
                    owner=ownership.owner_of(path),
                ))
    return out
