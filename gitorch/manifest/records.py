"""The manifest's records: teams, gates, the manifest itself. A leaf: it imports no stage.

``gitorch.manifest.loading`` makes every Manifest (parsed, validated, its compiled scopes
attached); nothing deeper looks at raw YAML again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NewType

if TYPE_CHECKING:
    from gitorch.manifest.ownership import Ownership

TeamName = NewType("TeamName", str)

DEFAULT_MANIFEST = "gitorch.yaml"
MANIFEST_ENV = "GITORCH_MANIFEST"
DEFAULT_COVERAGE_OMIT = ("tests/**", "**/test_*.py", "**/*_test.py", "**/conftest.py")
SHARED = "shared"
DEFAULT_STALE_AFTER = 15   # minutes without a commit or signal before a working team is stale
# kept identical to gitorch/manifest/gitorch.schema.json (a test compares them)
TEAM_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CODEOWNER_RE = re.compile(r"^(@[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")
# a GitHub organisation (or user) name: letters, digits, single hyphens inside, 39 at most
ORG_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")

def branch_glob(pattern: str) -> re.Pattern[str]:
    """A ``protected`` entry as a regular expression over branch names."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


TOP_KEYS = (
    "version", "project", "base", "integration", "branch_prefix", "worktrees",
    "integrators", "org", "protected", "shared", "union", "merge", "gates", "stale_after", "teams",
)
MERGE_KEYS = ("engine",)
MERGE_ENGINES = ("libgit2", "git")
GATE_KEYS = ("test_command", "coverage", "diff_coverage", "coverage_omit", "coverage_omit_defaults",
             "test_timeout")
TEAM_KEYS = (
    "description", "owns", "priority", "target_loc", "members", "depends_on", "parent",
    "codeowners",
)


@dataclass(frozen=True)
class Team:
    name: TeamName
    owns: tuple[str, ...]
    description: str = ""
    priority: int = 0
    depends_on: tuple[TeamName, ...] = ()
    target_loc: tuple[int, int] | None = None
    members: tuple[str, ...] = ()
    parent: TeamName | None = None
    codeowners: tuple[str, ...] = ()    # given, else @<org>/<team> with an 'org', else none


@dataclass(frozen=True)
class Gates:
    test_command: str | None = None
    coverage: float | None = None
    diff_coverage: float | None = None
    coverage_omit: tuple[str, ...] = DEFAULT_COVERAGE_OMIT     # in force: defaults + the listed
    coverage_omit_defaults: bool = True     # False: only the listed patterns
    test_timeout: float | None = None   # seconds; a test run still going then is killed


@dataclass(frozen=True)
class Manifest:
    path: Path
    project: str
    teams: Mapping[TeamName, Team]
    version: int = 1
    base: str = "main"
    integration: str = "integration"
    branch_prefix: str = "team/"
    worktrees: str | None = None
    integrators: tuple[str, ...] = ()
    org: str | None = None      # the GitHub organisation: a team's default CODEOWNERS owner is @org/team
    protected: tuple[str, ...] = ()     # branch globs only integrators may push (stable, release/*)
    shared: tuple[str, ...] = ()
    union: tuple[str, ...] = ()   # paths merged with git's union driver (both sides' lines)
    merge_engine: str = "libgit2"  # who computes merges: "libgit2" (in memory) or "git"
    gates: Gates = field(default_factory=Gates)
    stale_after: int = DEFAULT_STALE_AFTER     # minutes; 0: never stale
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict, compare=False)
    attached_ownership: Ownership | None = field(default=None, compare=False, repr=False)

    def branch(self, team: TeamName) -> str:
        return f"{self.branch_prefix}{team}"

    def is_protected(self, branch: str) -> bool:
        """Only integrators push it: the base, the integration branch, a ``protected`` glob
        (``*`` matches within one name part, ``**`` across ``/``)."""
        if branch in (self.base, self.integration):
            return True
        return any(branch_glob(pattern).fullmatch(branch) for pattern in self.protected)

    def team_of_branch(self, branch: str) -> TeamName | None:
        """The team whose branch this is (``team/x`` or ``refs/heads/team/x``), else None."""
        branch = branch.removeprefix("refs/heads/")
        if not branch.startswith(self.branch_prefix):
            return None
        name = TeamName(branch[len(self.branch_prefix):])
        return name if name in self.teams else None

    def worktrees_dir(self, repo_root: Path) -> Path:
        if self.worktrees:
            return (repo_root / self.worktrees).resolve()
        return repo_root.resolve().parent / f"{repo_root.resolve().name}-worktrees"

    def children(self, team: TeamName) -> tuple[TeamName, ...]:
        return tuple(t.name for t in self.teams.values() if t.parent == team)

    def dependents(self, team: TeamName) -> set[TeamName]:
        """Every team that depends on ``team``, directly or through others."""
        found: set[TeamName] = set()
        todo = [team]
        while todo:
            current = todo.pop()
            for other in self.teams.values():
                if current in other.depends_on and other.name not in found:
                    found.add(other.name)
                    todo.append(other.name)
        return found

    def merge_order(self) -> list[TeamName]:
        """Dependencies first; among teams whose dependencies are in, priority then name."""
        done: list[TeamName] = []
        left = dict(self.teams)
        while left:
            ready = [t for t in left.values() if all(d in done for d in t.depends_on)]
            ready.sort(key=lambda t: (-t.priority, t.name))
            done.append(ready[0].name)
            del left[ready[0].name]
        return done

    @property
    def ownership(self) -> Ownership:
        """The compiled scopes, attached by ``gitorch.manifest.loading`` (every Manifest's maker)."""
        if self.attached_ownership is None:
            raise LookupError("a Manifest made outside gitorch.manifest.loading has no ownership")
        return self.attached_ownership

    def with_ownership(self, ownership: Ownership) -> Manifest:
        return dataclasses.replace(self, attached_ownership=ownership)
