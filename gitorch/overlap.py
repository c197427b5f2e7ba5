"""PLACEHOLDER for the overlap stage: the real one is built on branch feat/conflicts.

This file only fixes the interface that the gate calls; ``find_conflicts`` returns
an empty report.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from gitorch.manifest import Manifest, TeamName
from gitorch.records import PredictedConflict
from gitorch.repo import Repository


@dataclass(frozen=True)
class ConflictReport:
    base: str
    teams: Mapping[TeamName, str]
    conflicts: tuple[PredictedConflict, ...] = ()
    violations: Mapping[TeamName, tuple[str, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "teams": dict(self.teams),
                "conflicts": [c.to_dict() for c in self.conflicts],
                "violations": {t: list(v) for t, v in self.violations.items()}}


def find_conflicts(repo: Repository, manifest: Manifest, *, base: str | None = None,
                   remote: str | None = "origin",
                   teams: Collection[TeamName] | None = None) -> ConflictReport:
    """Overlapping edits between team branches (placeholder: always none)."""
    return ConflictReport(base=base or manifest.base, teams={})
