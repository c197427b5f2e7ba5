"""The integration report as one self-contained HTML page.

Inline CSS and an inline SVG graph, no scripts and no external assets, so the page can
be attached to a CI run or mailed as it is. Every piece of text from the report is
escaped.
"""

from __future__ import annotations

import itertools
from html import escape

from gitorch.manifest.pathnames import shown
from gitorch.records import IntegrationReport
from gitorch.report.common import (
    DASH,
    clean,
    coverage_text,
    gate_rows,
    loc_text,
    pct,
    short,
    skip_reason,
    team_gate,
    test_verdict,
    verdict,
)

CSS = """
:root { --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9;
        --warn: #9a6700; --warn-bg: #fff8c5; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       color: #1f2328; margin: 0; padding: 24px 32px 48px; background: #ffffff; }
header { display: flex; align-items: center; gap: 16px; flex-wrap: wrap;
         border-bottom: 1px solid var(--line); padding-bottom: 12px; }
h1 { font-size: 26px; margin: 0; }
h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.badge { padding: 4px 12px; border-radius: 16px; font-weight: 700; font-size: 14px; }
.passed { background: var(--ok-bg); color: var(--ok); }
.failed { background: var(--bad-bg); color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr));
         gap: 12px; margin: 20px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #f6f8fa; }
.card .label { color: var(--muted); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
.card .figure { font-size: 28px; font-weight: 700; }
.card .sub { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.merged td.state { color: var(--ok); font-weight: 600; }
tr.skipped td.state, tr.missing td.state { color: var(--bad); font-weight: 600; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       background: #eff1f3; padding: 1px 4px; border-radius: 4px; }
pre { background: #0d1117; color: #e6edf3; padding: 12px 14px; border-radius: 8px;
      overflow-x: auto; font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; }
.graph { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
td.state .why { color: #1f2328; font-weight: 400; }
.legend { color: var(--muted); font-size: 13px; }
ul.failures li { color: var(--bad); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
"""

FILL = {"merged": ("#dafbe1", "#1a7f37"), "skipped": ("#ffebe9", "#cf222e"),
        "missing": ("#fff8c5", "#9a6700"), "unchanged": ("#f6f8fa", "#57606a")}


def e(value: object) -> str:
    return escape(str(value), quote=True)


def render_html(report: IntegrationReport) -> str:
    """The whole page; ``<title>`` and the header carry the project and the verdict."""
    q = report.quality
    ok = report.passed
    merged, total = len(report.merged), len(report.teams)
    cards = [
        ("Merged", f"{merged} / {total}", "teams"),
        ("Skipped", str(len(report.skipped)), ", ".join(s.team for s in report.skipped) or "none"),
        ("Tests", test_verdict(q), q.command if q and q.command else "no test command"),
        ("Coverage", pct(q.total if q else None),
         f"gate {q.coverage_gate:g}%" if q and q.coverage_gate is not None else "no gate"),
        ("Conflicts", str(len(report.conflicts)), "resolved" if report.fix else "not resolved"),
        ("Dropped", str(len(report.dropped)), "changes saved aside"),
    ]
    facts = [
        ("Base", f"<code>{e(report.base_ref)}</code> at <code>{e(short(report.base))}</code>"),
        ("Integration", f"<code>{e(report.integration_ref)}</code> at "
                        f"<code>{e(short(report.integration))}</code>"
         if report.integration else "not created"),
        ("Merge order", " → ".join(e(t) for t in report.order) or DASH),
        ("Mode", e(", ".join(m for m, on in (("--fix", report.fix), ("dry run", report.dry_run))
                             if on) or "plain")),
    ]
    if report.started:
        facts.append(("Run", f"{e(report.started)} → {e(report.finished or '…')}"))
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Integration report: {e(report.project)} — {verdict(report)}</title>",
        f"<style>{CSS}</style>", "</head>", "<body>",
        f'<header><h1>Integration report: {e(report.project)}</h1>'
        f'<span class="badge {"passed" if ok else "failed"}" id="verdict">'
        f"Gates {verdict(report)}</span></header>",
        '<section class="cards">',
        *(f'<div class="card"><div class="label">{e(label)}</div>'
          f'<div class="figure">{e(fig)}</div><div class="sub">{e(sub)}</div></div>'
          for label, fig, sub in cards),
        "</section>",
        "<table>", *(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts), "</table>",
        "<h2>Dependencies and merge order</h2>", f'<div class="graph">{graph_svg(report)}</div>',
        '<p class="legend">Boxes in merge order; curved arrows run from a dependency to the '
        "team that needs it.</p>",
        "<h2>Teams</h2>", _teams_table(report),
    ]
    if report.conflicts:
        parts += ["<h2>Conflicts</h2>", "<table><tr><th>Path</th><th>Teams</th><th>Kind</th>"
                  "<th>Resolution</th></tr>",
                  *(f"<tr><td><code>{e(shown(c.path))}</code></td><td>{e(', '.join(c.teams))}</td>"
                    f"<td>{e(c.kind)}</td><td>{e(c.resolution)}</td></tr>" for c in report.conflicts),
                  "</table>"]
    if report.dropped:
        parts += ["<h2>Dropped changes</h2>", "<table><tr><th>Team</th><th>Path</th><th>Reason</th>"
                  "<th>Saved as</th></tr>",
                  *(f"<tr><td>{e(d.team)}</td><td><code>{e(shown(d.path))}</code></td><td>{e(d.reason)}</td>"
                    f"<td><code>{e(d.saved_as)}</code></td></tr>" for d in report.dropped),
                  "</table>"]
    parts += ["<h2>Tests</h2>"]
    if q is None or q.passed is None:
        parts.append("<p>No test command was run.</p>")
    else:
        parts += ["<table>", f"<tr><th>Command</th><td><code>{e(q.command)}</code></td></tr>",
                  f"<tr><th>Result</th><td>{e(test_verdict(q))}</td></tr>",
                  f"<tr><th>Duration</th><td>{q.duration:.1f} s</td></tr>", "</table>"]
        if q.output_tail:
            parts.append(f"<pre>{e(clean(q.output_tail))}</pre>")
    parts += ["<h2>Gates</h2>", "<table><tr><th>Gate</th><th>Threshold</th><th>Value</th>"
              "<th>Verdict</th></tr>"]
    for g in gate_rows(report):
        mark = {True: "passed", False: "FAILED", None: "not checked"}[g.passed]
        cls = {True: "passed", False: "failed", None: ""}[g.passed]
        parts.append(f"<tr><td>{e(g.name)}</td><td>{e(g.threshold)}</td><td>{e(g.value)}</td>"
                     f'<td class="{cls}">{mark}</td></tr>')
    parts.append("</table>")
    if report.gate_failures:
        parts += ['<ul class="failures">', *(f"<li>{e(f)}</li>" for f in report.gate_failures), "</ul>"]
    parts += ["<footer>Generated by gitorch.</footer>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _teams_table(report: IntegrationReport) -> str:
    head = ("<table><tr><th>Team</th><th>Status</th><th>Commits</th><th>Lines added (own paths)</th>"
            "<th>Conflicts</th><th>Dropped</th><th>Coverage</th><th>Diff coverage</th>"
            "<th>Gate</th></tr>")
    rows = [head]
    for t in report.teams:
        why = skip_reason(report, t.team)
        reason = f'<br><span class="why">{e(why)}</span>' if why else ""
        conflicts = [f"<code>{e(shown(c.path))}</code>: {e(c.resolution)}"
                     for c in report.conflicts if t.team in c.teams]
        dropped = [f"<code>{e(shown(d.path))}</code> → <code>{e(d.saved_as)}</code>"
                   for d in report.dropped if d.team == t.team]
        rows.append(
            f'<tr class="{e(t.status)}"><td><b>{e(t.team)}</b><br><code>{e(t.branch)}</code></td>'
            f'<td class="state">{e(t.status)}{reason}</td>'
            f'<td class="num">{t.commits}</td><td>{e(loc_text(t))}</td>'
            f"<td>{'<br>'.join(conflicts) or 'none'}</td><td>{'<br>'.join(dropped) or 'nothing'}</td>"
            f"<td>{e(coverage_text(report, t.team))}</td>"
            f"<td>{e(coverage_text(report, t.team, diff=True))}</td>"
            f"<td>{e(team_gate(report, t))}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


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
    height = top + box_h + 20
    x = {n: 10 + i * (box_w + gap) for i, n in enumerate(names)}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="merge order">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
           'fill="#57606a"/></marker></defs>']
    for a, b in itertools.pairwise(names):
        y = top + box_h / 2
        out.append(f'<line x1="{x[a] + box_w}" y1="{y}" x2="{x[b] - 2}" y2="{y}" stroke="#8c959f" '
                   'stroke-dasharray="4 3" marker-end="url(#arrow)"/>')
    for (dep, team), lift in lifts.items():
        x1, x2 = x[dep] + box_w / 2, x[team] + box_w / 2
        out.append(f'<path d="M{x1},{top} C{x1},{top - lift} {x2},{top - lift} {x2},{top - 2}" '
                   'fill="none" stroke="#0969da" stroke-width="1.5" marker-end="url(#arrow)"/>')
    for i, team in enumerate(names):
        fill, stroke = FILL.get(status.get(team, ""), ("#ffffff", "#57606a"))
        out += [f'<rect x="{x[team]}" y="{top}" width="{box_w}" height="{box_h}" rx="8" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="2"/>',
                f'<text x="{x[team] + box_w / 2}" y="{top + 19}" text-anchor="middle" '
                f'font-size="14" font-weight="700" fill="#1f2328">{i + 1}. {e(team)}</text>',
                f'<text x="{x[team] + box_w / 2}" y="{top + 36}" text-anchor="middle" '
                f'font-size="12" fill="{stroke}">{e(status.get(team, "not run"))}</text>']
    out.append("</svg>")
    return "".join(out)
