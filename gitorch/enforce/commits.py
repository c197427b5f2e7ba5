"""What a scope check finds: one path one commit changed outside a team's scope.

The rule itself is ``gitorch.enforce.receive.ScopeJudge``; ``gitorch.enforce.verdict``
applies it wherever a verdict is asked (hook, check, gate, status, integrate).
"""

from __future__ import annotations

from dataclasses import dataclass

from gitorch.ids import ObjectId

MANIFEST_OWNER = "integrators"   # the owner of the policy file: no team may change it


@dataclass(frozen=True)
class Violation:
    """One path that one commit changed outside the team's scope."""

    commit: ObjectId
    subject: str
    path: str
    owner: str
    collides_with: str | None = None   # the other team's path this one equals case-folded (NFC)

