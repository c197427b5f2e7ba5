"""Compiled scopes: who owns a path, who may change it, and static overlap of scopes.

Patterns are gitignore-style with pathspec's git semantics, matched against
repository-relative paths with ``/`` separators, case-sensitively. A path matched
by ``shared`` is ``shared``; otherwise it belongs to the most specific team whose
scope matches (a sub-team before its parent).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gitorch.manifest import SHARED, TeamName

if TYPE_CHECKING:
    import pathspec

    from gitorch.manifest import Manifest

UNOWNED = "-"


def compile_spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    return _compiled(tuple(patterns))


@functools.lru_cache(maxsize=1024)
def _compiled(patterns: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    # Validation compares every pair of teams: compile each team's scope once, not n-1 times.
    import pathspec  # here, not at the top: the hook's start-up needs none (cached policy)

    return pathspec.GitIgnoreSpec.from_lines(list(patterns))


@dataclass(frozen=True)
class Ownership:
    """All scopes of one manifest, compiled once."""

    shared: pathspec.GitIgnoreSpec
    teams: tuple[tuple[TeamName, pathspec.GitIgnoreSpec], ...]   # most specific first
    ancestors: dict[TeamName, tuple[TeamName, ...]]

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> Ownership:
        ancestors: dict[TeamName, tuple[TeamName, ...]] = {}
        for team in manifest.teams.values():
            chain: list[TeamName] = []
            current = team
            while current.parent is not None and current.parent not in chain:
                chain.append(current.parent)
                current = manifest.teams[current.parent]
            ancestors[team.name] = tuple(chain)
        order = sorted(manifest.teams, key=lambda n: (-len(ancestors[n]), n))
        return cls(
            shared=compile_spec(manifest.shared),
            teams=tuple((n, compile_spec(manifest.teams[n].owns)) for n in order),
            ancestors=ancestors,
        )

    def owner_of(self, path: str) -> str:
        """The owning team's name, ``shared``, or ``-`` for an unowned path."""
        if self.shared.match_file(path):
            return SHARED
        for name, spec in self.teams:
            if spec.match_file(path):
                return name
        return UNOWNED

    def owners_of(self, paths: Sequence[str]) -> list[str]:
        return [self.owner_of(p) for p in paths]

    def may_change(self, team: TeamName, path: str) -> bool:
        """A team may change its own paths, its sub-teams' paths and shared paths."""
        owner = self.owner_of(path)
        if owner in (SHARED, team):
            return True
        return owner != UNOWNED and team in self.ancestors.get(TeamName(owner), ())


def scope_within(inner: Sequence[str], outer: Sequence[str]) -> str | None:
    """The first pattern of ``inner`` that can match a path ``outer`` does not, else None."""
    outer_spec = compile_spec(outer)
    inner_spec = compile_spec(inner)
    for pattern in inner:
        if pattern.startswith("!"):
            continue
        for sample in _samples(pattern):
            if inner_spec.match_file(sample) and not outer_spec.match_file(sample):
                return pattern
    return None


def scope_overlap(a: Sequence[str], b: Sequence[str]) -> str | None:
    """A path that both scopes match (a witness), or None when they cannot share one."""
    spec_a, spec_b = compile_spec(a), compile_spec(b)
    for pattern in [*a, *b]:
        if pattern.startswith("!"):
            continue
        for sample in _samples(pattern):
            if spec_a.match_file(sample) and spec_b.match_file(sample):
                return sample
    return None


def _samples(pattern: str) -> list[str]:
    body = pattern.strip("/")
    out = []
    for fill in ("x", "x/y"):
        sample = body.replace("**", fill).replace("*", "x").replace("?", "x")
        out.extend([sample, f"{sample}/x"])
    return out
