"""The integration report as GitHub-flavoured Markdown (with a Mermaid graph)."""

from __future__ import annotations

import itertools
import re

from gitorch.manifest.pathnames import shown
from gitorch.records import IntegrationReport, TeamOutcome
from gitorch.report.common import (
    DASH,
    DROPPED_KEPT,
    clean,
    coverage_text,
    gate_rows,
    left_out_rows,
    loc_text,
    owner_rows,
    pct,
    run_rows,
    short,
    skip_reason,
    team_gate,
    test_verdict,
    verdict,
)


def _cell(text: str) -> str:
    """A table cell: GitHub needs ``\\|`` even inside code spans."""
    return text.replace("|", "\\|").replace("\n", "<br>")


def _text(text: str) -> str:
    """Free text outside code spans: no raw HTML gets through, and nothing else is escaped.

    Only a ``<`` that could open a tag and an ``&`` that could start an entity are
    escaped, so ``coverage 72.7% < 80%`` reads the same in the file and on GitHub.
    """
    text = re.sub(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)", "&amp;", text)
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)


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
        if q.warnings:
            out += ["", "Warnings:", "", *(f"- {_text(w)}" for w in q.warnings)]
    owners = owner_rows(report)
    if owners:
        out += ["", "## Coverage by owner", "", "| Owner | Statements | Covered | Coverage |",
                "|---|---|---|---|"]
        out += [f"| {_cell(_text(r.owner))} | {r.statements} | {r.covered} | {r.percent} |"
                for r in owners]
    out += _keep_green_markdown(report)
    out += ["", "## Gates", "", "| Gate | Threshold | Value | Verdict |", "|---|---|---|---|"]
    for g in gate_rows(report):
        mark = {True: "passed", False: "FAILED", None: "not checked"}[g.passed]
        out.append(f"| {_cell(_text(g.name))} | {g.threshold} | {g.value} | {mark} |")
    if report.gate_failures:
        out += ["", "Failed:", "", *(f"- {_text(f)}" for f in report.gate_failures)]
    if report.dropped:
        out += ["", DROPPED_KEPT]
    return "\n".join(out) + "\n"


def _team_markdown(report: IntegrationReport, t: TeamOutcome) -> list[str]:
    why = skip_reason(report, t.team)
    conflicts = [f"{_code(shown(c.path))} ({_text(c.kind)}, {', '.join(c.teams)}): "
                 f"{_text(c.resolution)}"
                 for c in report.conflicts if t.team in c.teams]
    dropped = [f"{_code(shown(d.path))} ({_text(d.reason)}), saved as {_code(d.saved_as)}"
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


def _keep_green_markdown(report: IntegrationReport) -> list[str]:
    kg = report.keep_green
    if kg is None:
        return []
    out = ["", "## Keep green", ""]
    if kg.base_failures is not None:
        out.append("The base fails its own tests"
                   + (f" ({_text(', '.join(kg.base_failures))})" if kg.base_failures else "")
                   + ": nothing was published.")
    elif not kg.green:
        out.append("No green chain was found: nothing was published.")
    else:
        out.append(f"The published chain passed its tests; {len(kg.test_runs)} test run(s).")
    rows = left_out_rows(report)
    if rows:
        out += ["", "### Why each team was left out", "", "| Team | Why | Decided by |",
                "|---|---|---|", *(f"| {_cell(t)} | {_cell(_text(w))} | {_cell(_text(r))} |"
                                   for t, w, r in rows)]
    if kg.flaky_tests:
        out += ["", "Flaky tests (failed, then passed on the same tree; never blamed): "
                + ", ".join(_code(t) for t in kg.flaky_tests)]
    if kg.test_runs:
        out += ["", "<details><summary>Test runs</summary>", "",
                "| # | Commit | Teams | Purpose | Result | Seconds |", "|---|---|---|---|---|---|",
                *("| " + " | ".join(_cell(_text(c)) for c in row) + " |"
                  for row in run_rows(report)), "", "</details>"]
    return out
