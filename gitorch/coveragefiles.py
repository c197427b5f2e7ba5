"""Coverage read back: one measured file's statements and executed lines, from coverage.py's
data or from a report another tool wrote (Cobertura XML, LCOV; ``--coverage-file``)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileCoverage:
    """One measured file: its statements and which of them ran."""

    path: str                       # repository-relative, '/' separators
    statements: frozenset[int]
    executed: frozenset[int]


def read_coverage_file(report: Path, root: Path) -> list[FileCoverage]:
    """Statements and executed lines per file from a Cobertura XML or an LCOV file.

    Paths are made relative to ``root``; files outside it are left out. A file that is
    neither raises ValueError.
    """
    text = report.read_text(encoding="utf-8", errors="replace")
    raw = _read_cobertura(text, root) if text.lstrip().startswith("<") else _read_lcov(text)
    out: dict[str, tuple[set[int], set[int]]] = {}
    for name, lines in raw:
        rel = _relative(name, root)
        if rel is None:
            continue
        stmts, ran = out.setdefault(rel, (set(), set()))
        for number, hits in lines:
            stmts.add(number)
            if hits > 0:
                ran.add(number)
    return [FileCoverage(p, frozenset(s), frozenset(r)) for p, (s, r) in sorted(out.items())]


def _read_cobertura(text: str, root: Path) -> list[tuple[str, list[tuple[int, int]]]]:
    try:
        doc = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"not valid XML ({exc})") from None
    if doc.tag != "coverage":
        raise ValueError(f"XML but not Cobertura (root element <{doc.tag}>)")
    sources = [s.text.strip() for s in doc.iter("source") if s.text and s.text.strip()]
    out = []
    for cls in doc.iter("class"):
        name = cls.get("filename") or ""
        for src in sources:
            base = Path(src) if Path(src).is_absolute() else root / src
            if (base / name).is_file():
                name = str(base / name)
                break
        lines = [(int(ln.get("number", "0")), int(float(ln.get("hits", "0"))))
                 for ln in cls.iter("line")]
        out.append((name, lines))
    return out


def _read_lcov(text: str) -> list[tuple[str, list[tuple[int, int]]]]:
    out: list[tuple[str, list[tuple[int, int]]]] = []
    if "SF:" not in text:
        raise ValueError("neither Cobertura XML nor LCOV (no SF: record)")
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("SF:"):
            out.append((line[3:], []))
        elif line.startswith("DA:") and out:
            fields = line[3:].split(",")
            try:
                out[-1][1].append((int(fields[0]), int(float(fields[1]))))
            except (IndexError, ValueError):
                raise ValueError(f"bad LCOV line {line!r}") from None
    return out


def _relative(name: str, root: Path) -> str | None:
    path = Path(name) if Path(name).is_absolute() else root / name
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
