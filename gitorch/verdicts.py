"""Each team's verdict in the last integration run of this repository, for ``gitorch status``.

``gitorch integrate`` (not a dry run) writes ``<git common dir>/gitorch/last-integration.json``:
the run's id, when it finished, and per team its state ("merged", "skipped", "missing",
"unchanged") and the reason it was not merged. ``read_verdicts`` reads it back (None when
there has been no run, or the file cannot be read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from gitorch import repo as git
from gitorch.manifest import TeamName
from gitorch.records import IntegrationReport

FILE = "last-integration.json"


@dataclass(frozen=True)
class Verdict:
    team: TeamName
    status: str
    reason: str | None
    run_id: str
    finished: str

    def text(self) -> str:
        """``merged``, ``left out: ...``, ``skipped: ...``."""
        if self.reason and self.reason.startswith("left out"):
            return self.reason
        return f"{self.status}: {self.reason}" if self.reason else self.status


def _path(repo: git.Repository) -> Path:
    return git.git_common_dir(repo) / "gitorch" / FILE


def write_verdicts(repo: git.Repository, report: IntegrationReport) -> None:
    """Record ``report``'s per-team verdicts as the repository's last integration run."""
    reasons = {s.team: s.reason for s in report.skipped}
    data = {"run_id": report.run_id, "finished": report.finished,
            "integration": report.integration,
            "teams": {t.team: {"status": t.status, "reason": reasons.get(t.team)}
                      for t in report.teams}}
    target = _path(repo)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(".tmp")
    scratch.write_text(json.dumps(data, indent=1), encoding="utf-8")
    scratch.replace(target)


def read_verdicts(repo: git.Repository) -> dict[TeamName, Verdict] | None:
    """The last run's verdict per team; None when no run was recorded (or it is unreadable)."""
    try:
        data = json.loads(_path(repo).read_text(encoding="utf-8"))
        return {TeamName(team): Verdict(TeamName(team), str(v["status"]), v.get("reason"),
                                        str(data.get("run_id", "")), str(data.get("finished", "")))
                for team, v in data["teams"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
