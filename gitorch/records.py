"""Typed records passed between stages: predicted conflicts, integration results, quality.

The merge engine builds an IntegrationReport; the quality stage fills a QualityResult;
the report stage renders the record. ``to_dict`` gives the contract's JSON shapes
(docs/integrate.md and docs/reports.md list the keys) with more keys where they help.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gitorch.ids import ObjectId
from gitorch.manifest import TeamName

LineRange = tuple[int, int]


# --------------------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class PredictedConflict:
    """Two or more teams changing one path, found before any merge."""

    path: str
    teams: tuple[TeamName, ...]
    kind: Literal["overlap", "same-file"]
    ranges: Mapping[TeamName, tuple[LineRange, ...]]
    owner: str = "-"
    detail: str = ""          # e.g. "modify/delete", "add/add", "rename/modify"; "" for hunks
    # a renamed path: team -> the new path it renamed ``path`` to (git names it by that)
    renamed_to: Mapping[TeamName, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "teams": list(self.teams), "kind": self.kind,
            "ranges": {t: [list(r) for r in rs] for t, rs in self.ranges.items()},
            "owner": self.owner, "detail": self.detail or None,
            "renamed_to": dict(self.renamed_to) or None,
        }


# --------------------------------------------------------------------------- quality


@dataclass(frozen=True)
class TeamCoverage:
    coverage: float | None          # % of statements in the team's own Python files
    diff_coverage: float | None     # % of the team's added measurable lines that ran
    statements: int = 0
    covered: int = 0
    added_statements: int = 0
    added_covered: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"coverage": self.coverage, "diff_coverage": self.diff_coverage,
                "statements": self.statements, "covered": self.covered,
                "added_statements": self.added_statements, "added_covered": self.added_covered}


@dataclass(frozen=True)
class QualityResult:
    command: str | None
    passed: bool | None             # None: no test command was run
    returncode: int | None = None
    duration: float = 0.0
    output_tail: str = ""
    total: float | None = None      # % statements over the measured files
    teams: Mapping[TeamName, TeamCoverage] = field(default_factory=dict)
    failures: tuple[str, ...] = ()  # each failed gate, named: "coverage 72.0% < 80%"
    coverage_gate: float | None = None        # the gates in force (manifest.gates), for reports
    files: Mapping[str, tuple[int, int]] = field(default_factory=dict)   # path -> (statements, ran)
    diff_coverage_gate: float | None = None
    warnings: tuple[str, ...] = ()  # not failures: e.g. a package taken from outside the tree
    shared: TeamCoverage | None = None          # the shared files' figure (no diff coverage)

    @property
    def gates_passed(self) -> bool:
        return not self.failures


# --------------------------------------------------------------------------- integration


@dataclass(frozen=True)
class Skipped:
    team: TeamName
    reason: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    """A conflict met during integration and what became of it."""

    path: str
    teams: tuple[TeamName, ...]
    resolution: str                 # "kept alpha", "skipped beta", ...
    kind: str = "content"           # content, modify/delete, add/add, rename
    winner: TeamName | None = None


@dataclass(frozen=True)
class Dropped:
    """A change that did not reach the integration branch, and where it was saved."""

    team: TeamName
    path: str
    saved_as: str
    reason: str                     # "outside scope" or "lost conflict to alpha"
    patch: str | None = None        # the patch file that restores it, beside the report


TeamState = Literal["merged", "skipped", "missing", "unchanged"]


# --------------------------------------------------------------------------- keep green


@dataclass(frozen=True)
class TestRun:
    """One execution of the test command on one commit (``integrate --keep-green``)."""

    __test__ = False                # not a pytest class

    commit: ObjectId
    teams: tuple[TeamName, ...]     # the teams merged into it, in merge order
    passed: bool
    failed_tests: tuple[str, ...] = ()
    seconds: float = 0.0
    purpose: str = ""               # tip, retry, base, search, composite, confirm,
                                    # alone, pair
    timed_out: bool = False         # killed at the test timeout: counts as failed

    def to_dict(self) -> dict[str, Any]:
        return {"commit": self.commit, "teams": list(self.teams), "passed": self.passed,
                "failed_tests": list(self.failed_tests), "seconds": round(self.seconds, 3),
                "purpose": self.purpose, "timed_out": self.timed_out}


@dataclass(frozen=True)
class Culprit:
    """A team whose merge made tests fail, and the team left out for it."""

    team: TeamName
    kind: Literal["alone", "interaction"]
    with_: tuple[TeamName, ...]     # interaction: the earlier team(s) it fails with
    failing_tests: tuple[str, ...]
    decided_by: str                 # the rule that chose the team left out
    left_out: TeamName              # the team left out (with its dependents)

    def to_dict(self) -> dict[str, Any]:
        return {"team": self.team, "kind": self.kind, "with": list(self.with_),
                "failing_tests": list(self.failing_tests), "decided_by": self.decided_by,
                "left_out": self.left_out}


@dataclass(frozen=True)
class KeepGreen:
    """What ``integrate --keep-green`` found: culprits, flaky tests, every test run."""

    culprits: tuple[Culprit, ...] = ()
    flaky_tests: tuple[str, ...] = ()
    test_runs: tuple[TestRun, ...] = ()
    base_failures: tuple[str, ...] | None = None  # the base fails its own tests: these
    green: bool = True              # the chain to publish passed its tests
    jobs: int = 1
    retries: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"green": self.green, "base_fails": self.base_failures is not None,
                "base_failed_tests": list(self.base_failures or ()),
                "jobs": self.jobs, "retries": self.retries}


@dataclass(frozen=True)
class TeamOutcome:
    team: TeamName
    branch: str
    status: TeamState
    head: ObjectId | None = None
    merge_commit: ObjectId | None = None
    commits: int = 0
    loc_added: int = 0
    target_loc: tuple[int, int] | None = None
    depends_on: tuple[TeamName, ...] = ()
    priority: int = 0


@dataclass(frozen=True)
class IntegrationReport:
    project: str
    base_ref: str
    base: ObjectId
    order: tuple[TeamName, ...]
    integration: ObjectId | None    # the new integration tip, None when nothing was made
    integration_ref: str
    teams: tuple[TeamOutcome, ...]
    skipped: tuple[Skipped, ...] = ()
    conflicts: tuple[Resolution, ...] = ()
    dropped: tuple[Dropped, ...] = ()
    quality: QualityResult | None = None
    fix: bool = False
    dry_run: bool = False
    started: str = ""               # ISO 8601, UTC
    finished: str = ""
    run_id: str = ""                # names the run's refs/gitorch/dropped/<run_id>/ refs
    resumed: bool = False           # finished by --resume after an interruption
    keep_green: KeepGreen | None = None   # --keep-green: the search and its evidence

    @property
    def merged(self) -> tuple[TeamName, ...]:
        return tuple(t.team for t in self.teams if t.status == "merged")

    @property
    def gate_failures(self) -> tuple[str, ...]:
        failures = list(self.quality.failures if self.quality else ())
        kg = self.keep_green
        if kg is not None and kg.base_failures is not None:
            failures.insert(0, "the base fails its own tests"
                            + (f": {', '.join(kg.base_failures)}" if kg.base_failures else ""))
        elif kg is not None and not kg.green:
            failures.insert(0, "no green chain found: nothing published")
        if self.quality is not None and self.quality.passed is False:
            failures.insert(0, "tests failed")
        return tuple(dict.fromkeys(failures))

    @property
    def passed(self) -> bool:
        """Exit 0 material: nothing skipped and every gate passed."""
        return not self.skipped and not self.gate_failures

    def to_dict(self) -> dict[str, Any]:
        q = self.quality
        return {
            "project": self.project,
            "base": self.base, "base_ref": self.base_ref,
            "order": list(self.order),
            "integration": self.integration, "integration_ref": self.integration_ref,
            "merged": list(self.merged),
            "skipped": [{"team": s.team, "reason": s.reason, "paths": list(s.paths)}
                        for s in self.skipped],
            "conflicts": [{"path": c.path, "teams": list(c.teams), "resolution": c.resolution,
                           "kind": c.kind, "winner": c.winner} for c in self.conflicts],
            "dropped": [{"team": d.team, "path": d.path, "saved_as": d.saved_as,
                         "reason": d.reason, "patch": d.patch} for d in self.dropped],
            "tests": {"command": q.command if q else None, "passed": q.passed if q else None,
                      "returncode": q.returncode if q else None,
                      "duration": round(q.duration, 3) if q else None},
            "coverage": {"total": q.total if q else None,
                         "teams": {t: c.to_dict() for t, c in (q.teams.items() if q else ())},
                         "shared": q.shared.to_dict() if q and q.shared else None,
                         "warnings": list(q.warnings) if q else []},
            "gates": {"passed": not self.gate_failures, "failures": list(self.gate_failures)},
            "teams": [{"team": t.team, "branch": t.branch, "status": t.status, "head": t.head,
                       "merge_commit": t.merge_commit, "commits": t.commits,
                       "loc_added": t.loc_added,
                       "target_loc": list(t.target_loc) if t.target_loc else None,
                       "depends_on": list(t.depends_on), "priority": t.priority}
                      for t in self.teams],
            "fix": self.fix, "dry_run": self.dry_run,
            "started": self.started, "finished": self.finished,
            "run_id": self.run_id, "resumed": self.resumed,
            **(self._keep_green_dict() if self.keep_green is not None else {}),
        }

    def _keep_green_dict(self) -> dict[str, Any]:
        kg = self.keep_green
        assert kg is not None
        return {"culprits": [c.to_dict() for c in kg.culprits],
                "flaky_tests": list(kg.flaky_tests),
                "test_runs": [r.to_dict() for r in kg.test_runs],
                "keep_green": kg.to_dict()}
