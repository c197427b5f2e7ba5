"""One IntegrationReport rendered as Markdown, JSON, JUnit XML or self-contained HTML.

Every format says the same things: what was merged and in which order, what was skipped
and why, each conflict and its resolution, each dropped change and where it is saved,
the tests, the coverage figures and the gates. JSON is exactly ``report.to_dict()``.
The page layout lives in ``report_html``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gitorch.errors import UsageError
from gitorch.manifest import TeamName
from gitorch.records import IntegrationReport, QualityResult, TeamOutcome

FORMATS = ("md", "json", "junit", "html")
SUFFIX = {"md": ".md", "json": ".json", "junit": ".xml", "html": ".html"}
DASH = "—"


def render(report: IntegrationReport, fmt: str) -> str:
    """The report as text in one of FORMATS."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2) + "\n"
    if fmt == "md":
        return render_markdown(report)
    if fmt == "junit":
        return render_junit(report)
    if fmt == "html":
        from gitorch.report_html import render_html

        return render_html(report)
    raise UsageError(f"unknown report format {fmt!r}",
                     hint=f"use one or more of {', '.join(FORMATS)}")


def write_reports(report: IntegrationReport, path: Path, formats: Sequence[str]) -> list[Path]:
    """Write one file per format beside ``path`` (its suffix replaced); return the paths."""
    texts = [(fmt, render(report, fmt)) for fmt in formats]     # all or nothing on a bad format
    path.parent.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt, text in texts:
        target = path.with_suffix(SUFFIX[fmt])
        target.write_text(text, encoding="utf-8")
        out.append(target)
    return out


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
        _verdict(q.coverage_gate, q.total, failures, lambda f: f.endswith("(whole tree)")),
        _take(failures, lambda f: f.endswith("(whole tree)"))))
    for team in report.merged:
        cov = q.teams.get(team)
        value = cov.diff_coverage if cov else None
        prefix = f"diff coverage of {team} "
        rows.append(GateRow(f"diff coverage of {team}", _threshold(q.diff_coverage_gate), pct(value),
                            _verdict(q.diff_coverage_gate, value, failures, _starts(prefix)),
                            _take(failures, _starts(prefix))))
    rows.extend(GateRow(f, DASH, DASH, False, f) for f in failures)
    return rows


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
            return s.reason + (f" ({', '.join(s.paths)})" if s.paths else "")
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


# --------------------------------------------------------------------------- Markdown


def _cell(text: str) -> str:
    """A table cell: GitHub needs ``\\|`` even inside code spans."""
    return text.replace("|", "\\|").replace("\n", "<br>")


def _text(text: str) -> str:
    """Free text outside code spans: no raw HTML gets through."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def mermaid(report: IntegrationReport) -> str:
    """``graph LR``: one node per team numbered in merge order, solid arrows from a
    dependency to its dependent, dotted arrows along the merge order."""
    names = list(report.order) + [t.team for t in report.teams if t.team not in report.order]
    ids = {name: f"t{i}" for i, name in enumerate(names)}
    status = {t.team: t.status for t in report.teams}
    lines = ["graph LR"]
    for i, name in enumerate(names):
        label = f"{i + 1}. {name} ({status.get(name, 'not run')})".replace('"', "#quot;")
        lines.append(f'  {ids[name]}["{label}"]')
    for t in report.teams:
        lines.extend(f"  {ids[d]} --> {ids[t.team]}" for d in t.depends_on if d in ids)
    order = [ids[n] for n in report.order]
    lines.extend(f"  {a} -.-> {b}" for a, b in itertools.pairwise(order))
    for state in ("merged", "skipped", "missing", "unchanged"):
        members = [ids[n] for n in names if status.get(n) == state]
        if members:
            lines.append(f"  class {','.join(members)} {state}")
    lines += ["  classDef merged fill:#dafbe1,stroke:#1a7f37,color:#0d1117",
              "  classDef skipped fill:#ffebe9,stroke:#cf222e,color:#0d1117",
              "  classDef missing fill:#fff8c5,stroke:#9a6700,color:#0d1117",
              "  classDef unchanged fill:#f6f8fa,stroke:#57606a,color:#0d1117"]
    return "\n".join(lines)


def render_markdown(report: IntegrationReport) -> str:
    q = report.quality
    merged, total = len(report.merged), len(report.teams)
    out = [f"# Integration report: {report.project}", "",
           f"**Gates: {verdict(report)}** · {merged} of {total} teams merged, "
           f"{len(report.skipped)} skipped", "", "| | |", "|---|---|"]
    rows = [
        ("Base", f"{_code(report.base_ref)} at {_code(short(report.base))}"),
        ("Integration", f"{_code(report.integration_ref)} at {_code(short(report.integration))}"
         if report.integration else "not created"),
        ("Merged", f"{merged} of {total}" + (f": {', '.join(report.merged)}" if merged else "")),
        ("Skipped", f"{len(report.skipped)}" + (
            f": {', '.join(s.team for s in report.skipped)}" if report.skipped else "")),
        ("Conflicts", f"{len(report.conflicts)}"),
        ("Dropped changes", f"{len(report.dropped)}"),
        ("Tests", test_verdict(q)),
        ("Coverage", pct(q.total if q else None)
         + (f" (gate {q.coverage_gate:g}%)" if q and q.coverage_gate is not None else "")),
        ("Gates", verdict(report) + (": " + _text("; ".join(report.gate_failures))
                                     if report.gate_failures else "")),
        ("Mode", ", ".join(m for m, on in (("--fix", report.fix), ("dry run", report.dry_run)) if on)
         or "plain"),
    ]
    if report.started:
        rows.append(("Run", f"{report.started} → {report.finished or '…'}"))
    out += [f"| {k} | {_cell(v)} |" for k, v in rows]

    out += ["", "## Merge order", ""]
    outcome = {t.team: t for t in report.teams}
    for i, name in enumerate(report.order, 1):
        t = outcome.get(name)
        state = t.status if t else "not run"
        why = skip_reason(report, name)
        out.append(f"{i}. **{name}** — {state}" + (f": {_text(why)}" if why else ""))
    out += ["", "```mermaid", mermaid(report), "```",
            "", "Solid arrows: dependencies; dotted arrows: merge order.", "", "## Teams"]
    for t in report.teams:
        out += ["", *_team_markdown(report, t)]

    out += ["", "## Tests", ""]
    if q is None or q.passed is None:
        out.append("No test command was run.")
    else:
        out += [f"- Command: {_code(q.command or '')}", f"- Result: {test_verdict(q)}",
                f"- Duration: {q.duration:.1f} s"]
        if q.output_tail:
            tail = clean(q.output_tail).rstrip("\n")
            fence = "`" * max(3, max((len(m) for m in re.findall(r"`{3,}", tail)), default=0) + 1)
            out += ["", "<details><summary>Output (last lines)</summary>", "",
                    f"{fence}text", tail, fence, "", "</details>"]
    out += ["", "## Gates", "", "| Gate | Threshold | Value | Verdict |", "|---|---|---|---|"]
    for g in gate_rows(report):
        mark = {True: "passed", False: "FAILED", None: "not checked"}[g.passed]
        out.append(f"| {_cell(_text(g.name))} | {g.threshold} | {g.value} | {mark} |")
    if report.gate_failures:
        out += ["", "Failed:", "", *(f"- {_text(f)}" for f in report.gate_failures)]
    return "\n".join(out) + "\n"


def _team_markdown(report: IntegrationReport, t: TeamOutcome) -> list[str]:
    why = skip_reason(report, t.team)
    conflicts = [f"{_code(c.path)} ({_text(c.kind)}, {', '.join(c.teams)}): {_text(c.resolution)}"
                 for c in report.conflicts if t.team in c.teams]
    dropped = [f"{_code(d.path)} ({_text(d.reason)}), saved as {_code(d.saved_as)}"
               for d in report.dropped if d.team == t.team]
    rows = [
        ("Status", t.status + (f": {_text(why)}" if why else "")),
        ("Branch", f"{_code(t.branch)} at {_code(short(t.head))}" if t.head else _code(t.branch)),
        ("Merge commit", _code(short(t.merge_commit)) if t.merge_commit else DASH),
        ("Priority", str(t.priority)),
        ("Depends on", ", ".join(t.depends_on) or DASH),
        ("Commits", str(t.commits)),
        ("Lines added in own paths", loc_text(t)),
        ("Conflicts", "<br>".join(conflicts) or "none"),
        ("Dropped", "<br>".join(dropped) or "nothing"),
        ("Coverage", coverage_text(report, t.team)),
        ("Diff coverage", coverage_text(report, t.team, diff=True)),
        ("Gate", _text(team_gate(report, t))),
    ]
    return [f"### {t.team} — {t.status}", "", "| | |", "|---|---|",
            *(f"| {k} | {_cell(v)} |" for k, v in rows)]


# --------------------------------------------------------------------------- JUnit XML


def render_junit(report: IntegrationReport) -> str:
    """A test suite of teams (merged passes, skipped fails with its reason) and one of gates."""
    import xml.etree.ElementTree as ET  # here: only the junit format needs it

    root = ET.Element("testsuites", name=f"gitorch integrate {report.project}")
    teams = ET.SubElement(root, "testsuite", name="teams")
    for t in report.teams:
        case = ET.SubElement(teams, "testcase", classname="gitorch.integrate.teams", name=t.team)
        if t.status == "skipped":
            why = skip_reason(report, t.team) or "skipped"
            ET.SubElement(case, "failure", type="skipped", message=clean(why)).text = clean(
                "\n".join([why, *(f"{c.path}: {c.resolution}" for c in report.conflicts
                                  if t.team in c.teams)]))
        elif t.status == "missing":
            ET.SubElement(case, "skipped", message=f"no branch {t.branch}")
        else:
            notes = [f"{t.status}; {t.commits} commits; {loc_text(t)} lines added"]
            notes += [f"dropped {d.path} ({d.reason}), saved as {d.saved_as}"
                      for d in report.dropped if d.team == t.team]
            ET.SubElement(case, "system-out").text = clean("\n".join(notes))
    gates = ET.SubElement(root, "testsuite", name="gates")
    q = report.quality
    for g in gate_rows(report):
        case = ET.SubElement(gates, "testcase", classname="gitorch.integrate.gates", name=g.name)
        if g.name == "tests" and q is not None:
            case.set("time", f"{q.duration:.3f}")
        if g.passed is False:
            ET.SubElement(case, "failure", type="gate", message=clean(g.message or g.name)).text = (
                clean(f"{g.name}: {g.value} (threshold {g.threshold})"))
        elif g.passed is None:
            ET.SubElement(case, "skipped", message=f"{g.name}: not checked")
        if g.name == "tests" and q is not None and q.output_tail:
            ET.SubElement(case, "system-out").text = clean(q.output_tail)
    for suite in (teams, gates):
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", "0")
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in (teams, gates))))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
