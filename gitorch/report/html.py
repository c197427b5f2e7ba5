"""The integration report as one self-contained HTML page.

Inline CSS and an inline SVG graph, no scripts and no external assets, so the page can
be attached to a CI run or mailed as it is. The markup and the CSS are package data
(``templates/``), rendered by Jinja2 with autoescaping: every piece of text from the
report is escaped. This module only gathers what the page shows.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gitorch.manifest.pathnames import shown
from gitorch.records import Dropped, IntegrationReport, Resolution

if TYPE_CHECKING:
    import jinja2

from gitorch.report.common import (
    DASH,
    DROPPED_KEPT,
    clean,
    coverage_gate_failed,
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

_CARD = {True: " good", False: " bad", None: ""}
FILL = {"merged": ("#dafbe1", "#1a7f37"), "skipped": ("#ffebe9", "#cf222e"),
        "missing": ("#fff8c5", "#9a6700"), "unchanged": ("#f6f8fa", "#57606a")}


def render_html(report: IntegrationReport) -> str:
    """The whole page; ``<title>`` and the header carry the project and the verdict."""
    from markupsafe import Markup

    q = report.quality
    merged, total = len(report.merged), len(report.teams)
    tests_state = None if q is None or q.passed is None else q.passed
    coverage_state = (False if coverage_gate_failed(report)
                      else None if q is None or q.coverage_gate is None or q.total is None else True)
    cards = [
        _Card("Merged", f"{merged} / {total}", "teams"),
        _Card("Skipped", str(len(report.skipped)),
              ", ".join(s.team for s in report.skipped) or "none", _CARD[not report.skipped]),
        _Card("Tests", test_verdict(q), q.command if q and q.command else "no test command",
              _CARD[tests_state]),
        _Card("Coverage", pct(q.total if q else None),
              f"gate {q.coverage_gate:g}%" if q and q.coverage_gate is not None else "no gate",
              _CARD[coverage_state]),
        _Card("Conflicts", str(len(report.conflicts)), "resolved" if report.fix else "not resolved"),
        _Card("Dropped", str(len(report.dropped)), "changes saved aside"),
    ]
    facts: list[tuple[str, object]] = [
        ("Base", Markup("<code>{}</code> at <code>{}</code>").format(report.base_ref,
                                                                     short(report.base))),
        ("Integration", Markup("<code>{}</code> at <code>{}</code>").format(
            report.integration_ref, short(report.integration))
         if report.integration else "not created"),
        ("Merge order", " → ".join(report.order) or DASH),
        ("Mode", ", ".join(m for m, on in (("--fix", report.fix), ("dry run", report.dry_run))
                           if on) or "plain"),
    ]
    if report.started:
        facts.append(("Run", f"{report.started} → {report.finished or '…'}"))
    teams = [_TeamRow(
        team=t.team, branch=t.branch, status=t.status, why=skip_reason(report, t.team),
        commits=t.commits, loc=loc_text(t),
        conflicts=[c for c in report.conflicts if t.team in c.teams],
        dropped=[d for d in report.dropped if d.team == t.team],
        coverage=coverage_text(report, t.team), diff_coverage=coverage_text(report, t.team, diff=True),
        gate=team_gate(report, t)) for t in report.teams]
    return _template("report.html.j2").render(
        r=report, q=q, verdict=verdict(report), css=Markup(_asset("report.css")), cards=cards, facts=facts,
        graph=Markup(graph_svg(report)), teams=teams, test_verdict=test_verdict(q),
        output_tail=clean(q.output_tail) if q and q.output_tail else "",
        gates=gate_rows(report), keep_green=_keep_green(report), owners=owner_rows(report),
        dropped_kept=DROPPED_KEPT)


def _keep_green(report: IntegrationReport) -> dict[str, object] | None:
    """What the keep-green search did, when it ran: its lead line, who was left out and
    why, the flaky tests and the test runs (the evidence, in order)."""
    kg = report.keep_green
    if kg is None:
        return None
    if kg.base_failures is not None:
        lead = "The base fails its own tests" + (
            f" ({', '.join(kg.base_failures)})" if kg.base_failures else "") + \
            ": nothing was published."
    elif not kg.green:
        lead = "No green chain was found: nothing was published."
    else:
        lead = f"The published chain passed its tests; {len(kg.test_runs)} test run(s)."
    return {"lead": lead, "left_out": left_out_rows(report), "flaky": kg.flaky_tests,
            "runs": run_rows(report) if kg.test_runs else []}


@dataclass(frozen=True)
class _Card:
    label: str
    figure: str
    sub: str
    state: str = ""                 # " good", " bad" or ""


@dataclass(frozen=True)
class _TeamRow:
    team: str
    branch: str
    status: str
    why: str | None
    commits: int
    loc: str
    conflicts: list[Resolution]
    dropped: list[Dropped]
    coverage: str
    diff_coverage: str
    gate: str


def graph_svg(report: IntegrationReport) -> str:
    """Teams as boxes in merge order, straight arrows along the order, curved arrows for
    dependencies (from the dependency to its dependent)."""
    names = list(report.order) + [t.team for t in report.teams if t.team not in report.order]
    status = {t.team: t.status for t in report.teams}
    deps = {t.team: t.depends_on for t in report.teams}
    pos = {n: i for i, n in enumerate(names)}
    edges = [(d, t) for t in names for d in deps.get(t, ()) if d in pos]
    lifts = {edge: min(90, 18 + abs(pos[edge[1]] - pos[edge[0]]) * 12) for edge in edges}
    box_w, box_h, gap = 150, 46, 40
    top = 12 + max(lifts.values(), default=0)
    width = max(1, len(names)) * (box_w + gap) + 20
    x = {n: 10 + i * (box_w + gap) for i, n in enumerate(names)}
    lines = [{"x1": x[a] + box_w, "x2": x[b] - 2, "y": top + box_h / 2}
             for a, b in itertools.pairwise(names)]
    curves = [{"x1": x[dep] + box_w / 2, "x2": x[team] + box_w / 2, "lift": lift}
              for (dep, team), lift in lifts.items()]
    boxes = []
    for i, team in enumerate(names):
        fill, stroke = FILL.get(status.get(team, ""), ("#ffffff", "#57606a"))
        boxes.append({"x": x[team], "mid": x[team] + box_w / 2, "fill": fill, "stroke": stroke,
                      "number": i + 1, "team": team, "status": status.get(team, "not run")})
    return _template("graph.svg.j2").render(
        width=width, height=top + box_h + 20, top=top, box_w=box_w, box_h=box_h,
        lines=lines, curves=curves, boxes=boxes).rstrip("\n")     # inline, inside a div


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gitorch.report", "templates"), autoescape=True,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined)
    env.filters["shown"] = shown
    return env


def _template(name: str) -> jinja2.Template:
    return _environment().get_template(name)


def _asset(name: str) -> str:
    return (Path(__file__).parent / "templates" / name).read_text(encoding="utf-8")
