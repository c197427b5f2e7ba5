"""The integration report as JUnit XML: a suite of teams and one of gates."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from gitorch.manifest.pathnames import shown
from gitorch.records import IntegrationReport
from gitorch.report.common import clean, gate_rows, loc_text, owner_rows, plural, skip_reason


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
                "\n".join([why, *(f"{shown(c.path)}: {c.resolution}" for c in report.conflicts
                                  if t.team in c.teams)]))
        elif t.status == "missing":
            ET.SubElement(case, "skipped", message=f"no branch {t.branch}")
        else:
            notes = [f"{t.status}; {plural(t.commits, 'commit')}; {loc_text(t)} lines added"]
            notes += [f"dropped {shown(d.path)} ({d.reason}), saved as {d.saved_as}"
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
        if g.name == "coverage (whole tree)" and q is not None and (owner_rows(report) or q.warnings):
            lines = [f"{r.owner}: {r.percent} ({r.covered} of {r.statements} statements)"
                     for r in owner_rows(report)]
            ET.SubElement(case, "system-out").text = clean(
                "\n".join([*lines, *(f"warning: {w}" for w in q.warnings)]))
    suites = [teams, gates]
    if report.keep_green is not None:
        suites.append(_keep_green_suite(ET, root, report))
    for suite in suites:
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("errors", "0")
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _keep_green_suite(ET: ModuleType, root: Any, report: IntegrationReport) -> Any:
    """``--keep-green``: one failing case per culprit, one skipped case per flaky test."""
    kg = report.keep_green
    assert kg is not None
    suite = ET.SubElement(root, "testsuite", name="keep-green")
    for c in kg.culprits:
        case = ET.SubElement(suite, "testcase", classname="gitorch.integrate.culprits",
                             name=c.team)
        with_ = f" with {', '.join(c.with_)}" if c.with_ else ""
        ET.SubElement(case, "failure", type=c.kind,
                      message=clean(f"{c.team} breaks {', '.join(c.failing_tests)}{with_}; "
                                    f"{c.left_out} left out")).text = clean(c.decided_by)
    for test in kg.flaky_tests:
        case = ET.SubElement(suite, "testcase", classname="gitorch.integrate.flaky", name=test)
        ET.SubElement(case, "skipped", message="flaky: failed, then passed on the same tree")
    return suite
