"""What every report format says alike: gate rows, verdicts, figures, cleaned text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from gitorch.manifest import TeamName
from gitorch.manifest.pathnames import shown
from gitorch.records import IntegrationReport, QualityResult, TeamOutcome

DASH = "—"


# --------------------------------------------------------------------------- shared facts


@dataclass(frozen=True)
class GateRow:
    """One gate as every format shows it."""

    name: str
    threshold: str
    value: str
    passed: bool | None             # None: not checked (no gate, nothing measured)
    message: str = ""


def gate_rows(report: IntegrationReport) -> list[GateRow]:
    """The tests, the whole-tree coverage, each merged team's diff coverage, anything else."""
    q = report.quality
    if q is None or q.passed is None:
        return [GateRow("tests", "pass", "not run", None)]
    failures = list(report.gate_failures)
    rows = [GateRow("tests", "pass", test_verdict(q), q.passed,
                    _take(failures, lambda f: f == "tests failed" or f.startswith("tests timed out")))]
    rows.append(GateRow(
        "coverage (whole tree)", _threshold(q.coverage_gate), pct(q.total),
        _verdict(q.coverage_gate, q.total, failures, _whole_tree),
        _take(failures, _whole_tree)))
    for team in report.merged:
        cov = q.teams.get(team)
        value = cov.diff_coverage if cov else None
        prefix = f"diff coverage of {team} "
        rows.append(GateRow(f"diff coverage of {team}", _threshold(q.diff_coverage_gate), pct(value),
                            _verdict(q.diff_coverage_gate, value, failures, _starts(prefix)),
                            _take(failures, _starts(prefix))))
    rows.extend(GateRow(f, DASH, DASH, False, f) for f in failures)
    return rows


def _whole_tree(failure: str) -> bool:
    return failure.endswith("(whole tree)") or failure.startswith("coverage not measured")


def coverage_gate_failed(report: IntegrationReport) -> bool:
    """The whole-tree coverage gate failed, or nothing at all was measured."""
    return any(_whole_tree(f) for f in report.gate_failures)


@dataclass(frozen=True)
class OwnerRow:
    """One owner's share of the measured statements: teams, then shared, then the total."""

    owner: str
    statements: int
    covered: int

    @property
    def percent(self) -> str:
        return pct(round(100 * self.covered / self.statements, 2) if self.statements else None)


def owner_rows(report: IntegrationReport) -> list[OwnerRow]:
    """Each team's and the shared files' figures, and their sum, the whole tree's."""
    q = report.quality
    if q is None or q.total is None:
        return []
    rows = [OwnerRow(str(team), cov.statements, cov.covered) for team, cov in q.teams.items()]
    if q.shared is not None:
        rows.append(OwnerRow("shared files", q.shared.statements, q.shared.covered))
    rows.append(OwnerRow("total", sum(r.statements for r in rows), sum(r.covered for r in rows)))
    return rows


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


DROPPED_KEPT = ("Dropped changes are kept under refs/gitorch/dropped/RUN-ID/ until "
                "gitorch prune removes them: it keeps the newest 10 runs (--keep N).")


def _starts(prefix: str) -> Callable[[str], bool]:
    return lambda text: text.startswith(prefix)


def _take(failures: list[str], match: Callable[[str], bool]) -> str:
    found = [f for f in failures if match(f)]
    for f in found:
        failures.remove(f)
    return "; ".join(found)


def _verdict(gate: float | None, value: float | None, failures: list[str],
             match: Callable[[str], bool]) -> bool | None:
    if any(match(f) for f in failures):
        return False
    return None if gate is None or value is None else True


def _threshold(gate: float | None) -> str:
    return f"{gate:g}%" if gate is not None else DASH


def pct(value: float | None) -> str:
    return f"{value:.1f}%" if value is not None else DASH


def test_verdict(q: QualityResult | None) -> str:
    if q is None or q.passed is None:
        return "not run"
    if q.passed:
        return "passed"
    if q.returncode is None:
        return "timed out"
    return f"failed (exit {q.returncode})"


def verdict(report: IntegrationReport) -> str:
    return "PASSED" if report.passed else "FAILED"


def team_gate(report: IntegrationReport, team: TeamOutcome) -> str:
    """A team's own verdict: skipped, its diff-coverage gate, or passed."""
    if team.status in ("skipped", "missing"):
        return f"not merged ({team.status})"
    q = report.quality
    if q is None or q.passed is None:
        return DASH
    mine = [f for f in q.failures if f.startswith(f"diff coverage of {team.team} ")]
    return "FAILED: " + "; ".join(mine) if mine else "passed"


def skip_reason(report: IntegrationReport, team: str) -> str:
    for s in report.skipped:
        if s.team == team:
            return s.reason + (f" ({', '.join(shown(p) for p in s.paths)})" if s.paths else "")
    return ""


def loc_text(team: TeamOutcome) -> str:
    if team.target_loc is None:
        return str(team.loc_added)
    lo, hi = team.target_loc
    target = f"{lo}" if lo == hi else f"{lo}–{hi}"
    return f"{team.loc_added} of target {target} ({100 * team.loc_added / lo:.0f}%)" if lo else (
        f"{team.loc_added} of target {target}")


def coverage_text(report: IntegrationReport, team: str, diff: bool = False) -> str:
    q = report.quality
    cov = q.teams.get(TeamName(team)) if q else None
    if cov is None:
        return DASH
    if diff:
        return (f"{pct(cov.diff_coverage)} ({cov.added_covered} of {cov.added_statements} "
                "added statements)") if cov.diff_coverage is not None else DASH
    return (f"{pct(cov.coverage)} ({cov.covered} of {cov.statements} statements)"
            if cov.coverage is not None else DASH)


_ANSI = r"\x1b\[[0-9;?]*[ -/]*[@-~]"
_NOT_XML = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def clean(text: str) -> str:
    """Output as plain text: colour codes removed, characters XML 1.0 forbids replaced."""
    # compiled on first use (re caches it): the class of every character XML allows takes
    # a few milliseconds to compile, which the JSON-only report need not pay at start-up
    return re.sub(_NOT_XML, "?", re.sub(_ANSI, "", text))


def short(sha: str | None) -> str:
    return sha[:12] if sha else DASH


def left_out_rows(report: IntegrationReport) -> list[tuple[str, str, str]]:
    """``--keep-green``: (team, why it was left out, the rule that decided), in merge order."""
    kg = report.keep_green
    if kg is None:
        return []
    rows: dict[str, tuple[str, str, str]] = {}
    for c in kg.culprits:
        tests = ", ".join(c.failing_tests)
        if c.kind == "alone":
            why = f"{c.team} breaks {tests}, also merged alone on the base"
        else:
            why = f"{c.team} breaks {tests} only with {', '.join(c.with_)}"
        rows.setdefault(c.left_out, (c.left_out, why, c.decided_by))
    for s in report.skipped:
        if s.team not in rows and s.reason.endswith("which was left out"):
            rows[s.team] = (s.team, s.reason, "a team goes with the team it depends on")
    order: dict[str, int] = {t: i for i, t in enumerate(report.order)}
    return sorted(rows.values(), key=lambda r: order.get(r[0], len(order)))


def run_rows(report: IntegrationReport) -> list[tuple[str, str, str, str, str, str]]:
    """``--keep-green``: each test run as (n, commit, teams, purpose, result, seconds)."""
    kg = report.keep_green
    out = []
    for i, r in enumerate(kg.test_runs if kg else (), 1):
        teams = (f"base + {len(r.teams)} (last: {r.teams[-1]})" if r.teams else "base")
        result = "passed" if r.passed else "failed: " + ", ".join(r.failed_tests)
        out.append((str(i), short(r.commit), teams, r.purpose, result, f"{r.seconds:.1f}"))
    return out
