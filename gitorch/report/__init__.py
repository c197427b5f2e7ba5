"""One IntegrationReport rendered as Markdown, JSON, JUnit XML or self-contained HTML.

Every format says the same things: what was merged and in which order, what was skipped
and why, each conflict and its resolution, each dropped change and where it is saved,
the tests, the coverage figures and the gates. JSON is exactly ``report.to_dict()``.
``common`` holds what they share; each format has its module; the HTML page's markup
and CSS are package data (``templates/``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from gitorch.errors import UsageError
from gitorch.records import IntegrationReport

FORMATS = ("md", "json", "junit", "html")
SUFFIX = {"md": ".md", "json": ".json", "junit": ".xml", "html": ".html"}


def render(report: IntegrationReport, fmt: str) -> str:
    """The report as text in one of FORMATS."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2) + "\n"
    if fmt == "md":
        from gitorch.report.markdown import render_markdown

        return render_markdown(report)
    if fmt == "junit":
        from gitorch.report.junit import render_junit

        return render_junit(report)
    if fmt == "html":
        from gitorch.report.html import render_html

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
