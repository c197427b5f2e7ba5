"""The report in four formats: golden files, valid XML, escaping, and a real browser."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from gitorch.errors import UsageError
from gitorch.ids import ObjectId
from gitorch.records import IntegrationReport, TeamOutcome
from gitorch.report import FORMATS, SUFFIX, render, write_reports
from tests.quality.sample import A, sample_report

GOLDEN = Path(__file__).parent / "golden"
IN_CI = bool(os.environ.get("CI"))     # read at import: the hermetic fixture clears CI
REGEN = "UPDATE_GOLDEN"   # not GITORCH_*: the hermetic fixture clears those


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden(fmt: str) -> None:
    text = render(sample_report(), fmt)
    golden = GOLDEN / f"report{SUFFIX[fmt]}"
    if os.environ.get(REGEN):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), f"regenerate with {REGEN}=1 if intended"


def test_json_is_exactly_to_dict() -> None:
    report = sample_report()
    doc = json.loads(render(report, "json"))
    assert doc == json.loads(json.dumps(report.to_dict()))
    for key in ("order", "integration", "merged", "skipped", "conflicts", "dropped", "tests",
                "coverage", "gates"):
        assert key in doc
    assert doc["gates"] == {"passed": False, "failures": ["coverage 72.7% < 80% (whole tree)",
                                                          "diff coverage of beta 57.1% < 80%"]}


def test_junit_has_a_case_per_team_and_per_gate() -> None:
    root = ET.fromstring(render(sample_report(), "junit"))
    teams, gates = root.findall("testsuite")
    cases = {c.get("name"): c for c in teams.findall("testcase")}
    assert list(cases) == ["alpha", "beta", "gamma", "delta"]
    assert cases["alpha"].find("failure") is None
    failure = cases["gamma"].find("failure")
    assert failure is not None
    assert failure.get("message") == "conflict with alpha <needs review> (src/core/db.py)"
    assert (teams.get("tests"), teams.get("failures")) == ("4", "2")

    gate_cases = {c.get("name"): c for c in gates.findall("testcase")}
    assert list(gate_cases) == ["tests", "coverage (whole tree)", "diff coverage of alpha",
                                "diff coverage of beta"]
    assert gate_cases["tests"].find("failure") is None
    out = gate_cases["tests"].find("system-out")
    assert out is not None and out.text is not None and "5 passed" in out.text
    assert "\x1b" not in out.text                      # colour codes and BEL are not XML
    cov = gate_cases["coverage (whole tree)"].find("failure")
    assert cov is not None and cov.get("message") == "coverage 72.7% < 80% (whole tree)"
    assert gate_cases["diff coverage of alpha"].find("failure") is None
    assert gate_cases["diff coverage of beta"].find("failure") is not None
    assert (root.get("tests"), root.get("failures")) == ("8", "4")


def test_markdown_has_the_graph_and_a_table_per_team() -> None:
    md = render(sample_report(), "md")
    assert "**Gates: FAILED** · 2 of 4 teams merged, 2 skipped" in md
    graph = md.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert graph.startswith("graph LR\n")
    assert '  t0["1. alpha (merged)"]' in graph
    assert "  t0 --> t1" in graph and "  t2 --> t3" in graph          # dependencies
    assert "  t0 -.-> t1" in graph                                     # merge order
    assert "  class t0,t1 merged" in graph and "  class t2,t3 skipped" in graph
    for team in ("alpha", "beta", "gamma", "delta"):
        assert f"\n### {team} — " in md
    assert "| Lines added in own paths | 150 of target 100–200 (150%) |" in md
    assert "| Diff coverage | 57.1% (4 of 7 added statements) |" in md
    assert "`src/api/a\\|b.py` (modify/delete, alpha, beta): kept alpha" in md
    assert "conflict with alpha &lt;needs review>" in md and "<needs" not in md
    assert "`docs/notes.md` (outside scope), saved as `refs/gitorch/dropped/beta/1`" in md
    # a `<` that cannot open a tag is left as it is: the file reads like the rendered page
    assert "| Gate | FAILED: diff coverage of beta 57.1% < 80% |" in md and "&lt; 80%" not in md
    assert "| shared files | 7 | 5 | 71.4% |" in md and "| total | 22 | 16 | 72.7% |" in md


def test_junit_counts_commits_in_words() -> None:
    xml = render(sample_report(), "junit")
    assert "merged; 3 commits;" in xml
    one = sample_report()
    one = dataclasses.replace(one, teams=(dataclasses.replace(one.teams[0], commits=1),
                                          *one.teams[1:]))
    assert "merged; 1 commit;" in render(one, "junit")


def test_html_failed_coverage_card_is_red_and_long_commands_wrap() -> None:
    page = render(sample_report(), "html")
    assert ('<div class="card bad"><div class="label">Coverage</div>'
            '<div class="figure">72.7%</div>') in page
    assert ".card .sub { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }" in page
    measured = sample_report().quality
    assert measured is not None
    passing = dataclasses.replace(sample_report(), quality=dataclasses.replace(
        measured, failures=(), total=85.0))
    assert '<div class="card good"><div class="label">Coverage</div>' in render(passing, "html")


def test_html_is_self_contained_and_escaped() -> None:
    page = render(sample_report(), "html")
    assert "<needs review>" not in page and "&lt;needs review&gt;" in page
    assert "&lt;ok&gt; &amp; done" in page
    for external in ("<script", "<link", "src=", "@import", "url(http"):
        assert external not in page
    assert "72.7%" in page and "Gates FAILED" in page


def test_write_reports_writes_every_format_or_none(tmp_path: Path) -> None:
    written = write_reports(sample_report(), tmp_path / "out" / "report.md", FORMATS)
    assert [p.name for p in written] == ["report.md", "report.json", "report.xml", "report.html"]
    assert all(p.read_text() == render(sample_report(), f) for p, f in zip(written, FORMATS, strict=True))
    with pytest.raises(UsageError, match="unknown report format 'pdf'"):
        write_reports(sample_report(), tmp_path / "other" / "r.md", ["md", "pdf"])
    assert not (tmp_path / "other").exists()


def test_a_report_without_tests_renders_everywhere() -> None:
    bare = IntegrationReport(project="p", base_ref="main", base=ObjectId("1" * 40), order=(A,),
                             integration=None, integration_ref="integration",
                             teams=(TeamOutcome(A, "team/alpha", "missing"),), dry_run=True)
    md = render(bare, "md")
    assert "No test command was run." in md and "| Integration | not created |" in md
    root = ET.fromstring(render(bare, "junit"))
    assert root.find("testsuite/testcase/skipped") is not None
    assert "No test command was run." in render(bare, "html")


# --------------------------------------------------------------------------- real browser


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if IN_CI:
            pytest.fail("chromium is required in CI (Debian package chromium)")
        pytest.skip("chromium is not installed")
    return found


def _browse(browser: str, tmp: Path, url: str, *action: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp / 'profile'}", *action, url],
        capture_output=True, text=True, timeout=120, check=True)


def png_colours(data: bytes) -> set[bytes]:
    """The distinct pixels of an 8-bit RGB or RGBA PNG (enough of a decoder for a test)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    channels = 3
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width = int.from_bytes(body[:4], "big")
            assert body[8] == 8 and body[9] in (2, 6) and body[12] == 0   # 8-bit, not interlaced
            channels = 3 if body[9] == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    prev, colours = bytearray(stride), set[bytes]()
    for start in range(0, len(raw), stride + 1):
        method, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = row[i - channels] if i >= channels else 0
            up, corner = prev[i], prev[i - channels] if i >= channels else 0
            if method == 1:
                row[i] = (row[i] + left) & 0xFF
            elif method == 2:
                row[i] = (row[i] + up) & 0xFF
            elif method == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif method == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[i] = (row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        colours.update(bytes(row[i:i + 3]) for i in range(0, stride, channels * 7))
        prev = row
    return colours


@pytest.mark.server
@pytest.mark.slow
def test_html_in_headless_chromium(tmp_path: Path) -> None:
    browser = _chromium()
    page = tmp_path / "report.html"
    page.write_text(render(sample_report(), "html"), encoding="utf-8")
    shot = tmp_path / "shot.png"
    # one browser start: the screenshot, and the DOM after scripts ran on stdout
    dom = _browse(browser, tmp_path, page.as_uri(), f"--screenshot={shot}",
                  "--window-size=1000,700", "--dump-dom").stdout
    colours = png_colours(shot.read_bytes())
    assert len(colours) > 10, "the screenshot is blank"
    assert bytes((0xCF, 0x22, 0x2E)) in colours or bytes((0xFF, 0xEB, 0xE9)) in colours  # FAILED badge
    for figure in ("Gates FAILED", "2 / 4", "72.7%", "83.3% (5 of 6 added statements)",
                   "57.1% (4 of 7 added statements)", "refs/gitorch/dropped/beta/1",
                   "coverage 72.7% &lt; 80% (whole tree)", "1. alpha", "4. delta"):
        assert figure in dom, figure
