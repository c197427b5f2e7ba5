"""One IntegrationReport rendered as Markdown, JSON, JUnit XML or self-contained HTML.

PLACEHOLDER on main: the report stage is being built on branch feat/quality; this file
only fixes the interface that the merge engine calls.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from gitorch.records import IntegrationReport

FORMATS = ("md", "json", "junit", "html")
SUFFIX = {"md": ".md", "json": ".json", "junit": ".xml", "html": ".html"}


def render(report: IntegrationReport, fmt: str) -> str:
    """The report as text in one of FORMATS."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2) + "\n"
    raise ValueError(f"format {fmt!r} is not built yet")


def write_reports(report: IntegrationReport, path: Path, formats: Sequence[str]) -> list[Path]:
    """Write one file per format beside ``path`` (its suffix replaced); return the paths."""
    out = []
    for fmt in formats:
        target = path.with_suffix(SUFFIX[fmt])
        target.write_text(render(report, fmt), encoding="utf-8")
        out.append(target)
    return out
