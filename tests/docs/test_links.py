"""The project's documents stand alone: every relative link points to a file of the
repository and, where it names a section, to a heading that exists; nothing points outside
the repository. The README keeps its shape: Quick start first, its first code block two
commands, the whole page short."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "CHANGELOG.md",
               *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"`|\*\*|\[|\]\([^)]*\)", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.*)$", text, re.M)}


def links(path: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(doc: Path) -> None:
    broken = []
    for target in links(doc):
        if re.match(r"^[a-z]+:", target):           # https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        where = (doc.parent / file).resolve() if file else doc
        if not where.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif not where.exists():
            broken.append(f"{target}: no such file")
        elif anchor and where.suffix == ".md" and anchor not in anchors(where):
            broken.append(f"{target}: no heading '{anchor}' in {where.name}")
    assert not broken, "\n".join(broken)


def test_the_slug_rule() -> None:
    assert slug("Keep it green: `--keep-green`") == "keep-it-green---keep-green"
    assert slug("The manifest cache") == "the-manifest-cache"


def test_the_readme_keeps_its_shape() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.*)$", text, re.M)
    assert headings[0] == "Quick start"
    block = re.search(r"^## Quick start\n.*?^```\w*\n(.*?)^```", text, re.S | re.M)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2 and "gitorch demo" in commands[0] and "pytest" in commands[1]
    assert len(text.splitlines()) <= 200
    assert "CONTRACT" not in text and "../shared" not in text
