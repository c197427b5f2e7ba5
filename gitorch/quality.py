"""The test command under coverage, per-team and diff coverage, the gates.

PLACEHOLDER on main: the quality stage is being built on branch feat/quality; this file
only fixes the interface that the merge engine calls.
"""

from __future__ import annotations

from collections.abc import Mapping

from gitorch.errors import GitorchError
from gitorch.manifest import Manifest, TeamName
from gitorch.records import QualityResult
from gitorch.repo import Repository


def run_quality(
    *,
    repo: Repository,
    manifest: Manifest,
    commit: str,
    test_command: str | None,
    team_merges: Mapping[TeamName, str] | None = None,
    added_lines: Mapping[TeamName, Mapping[str, frozenset[int]]] | None = None,
    coverage_file: str | None = None,
) -> QualityResult:
    """Run ``test_command`` in a temporary worktree of ``commit`` under coverage.py.

    Lines each team added are ``added_lines`` when given, else found from
    ``team_merges`` (team -> its merge commit on the first-parent chain ending at
    ``commit``). With ``coverage_file`` (Cobertura XML or LCOV written by the test
    command, relative to the worktree) figures come from that file instead.
    Gates from ``manifest.gates`` are checked; each failure is named in ``failures``.
    """
    raise GitorchError("the quality stage is not built yet")
