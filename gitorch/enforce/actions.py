"""A gate result told in GitHub Actions' conventions: workflow-command annotations, a
Markdown step summary, step outputs, and the plain text report. Nothing here prints or
exits; the command layer does.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from gitorch import repo as git
from gitorch.enforce.commits import MANIFEST_OWNER
from gitorch.enforce.gate import GateResult
from gitorch.manifest.pathnames import shown
from gitorch.records import PredictedConflict, QualityResult

ANNOTATION_LIMIT = 10          # GitHub shows at most ten annotations of a kind per step


def escape_data(value: str) -> str:
    """A workflow command's message, escaped as the Actions runner unescapes it."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A workflow command's property value (``file=``, ``title=``...)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def workflow_command(name: str, message: str, **props: str | int | None) -> str:
    given = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{name}{' ' + given if given else ''}::{escape_data(message)}"


Level = Literal["error", "warning", "notice"]


@dataclass(frozen=True)
class Annotation:
    level: Level
    title: str
    message: str
    file: str | None = None
    line: int | None = None

    def command(self) -> str:
        return workflow_command(self.level, self.message, file=self.file, line=self.line,
                                title=self.title)


def all_annotations(result: GateResult) -> list[Annotation]:
    """Every annotation the result deserves, errors first (not yet cut to the limit)."""
    out: list[Annotation] = []
    team = result.team or "-"
    for p in result.problems:
        shas = ", ".join(git.short(c) for c, _ in p.commits)
        if p.owner == MANIFEST_OWNER:
            out.append(Annotation(
                "error", "manifest edited",
                f"{shown(p.path)} belongs to the integrators: a team branch may not change it "
                f"(commits {shas}). This pull request is judged by {shown(p.path)} as "
                f"{result.base_ref} has it; ask an integrator to change it there.",
                _file(p.path), p.line))
        else:
            whose = f"belongs to team {p.owner}" if p.owner != "-" else "is owned by no team"
            out.append(Annotation(
                "error", f"outside team {team}'s scope",
                f"{shown(p.path)} {whose}; team {team} may not change it (commits {shas}). Move "
                f"the change to the owner's branch, or ask an integrator to change "
                f"{result.manifest_path}.", _file(p.path), p.line))
    out.extend(Annotation("error", "gitorch gate", f) for f in result.failures)
    for c in result.overlaps:
        others = [t for t in c.teams if t != result.team]
        what = ("git will stop with a conflict when they merge" if c.kind == "overlap"
                else "in different places")
        out.append(Annotation(
            "warning", f"overlap with {', '.join(others)}",
            f"teams {', '.join(c.teams)} all change {shown(c.path)} ({_ranges(c)}): {what}; "
            "agree on who changes what before the merge.", _file(c.path),
            result.overlap_lines.get(c.path)))
    out.extend(Annotation("notice", "gitorch gate", n) for n in result.notices)
    return out


def _file(path: str) -> str | None:
    """An annotation's ``file=``: the path itself (the runner unescapes line breaks), unless
    it holds bytes that are not UTF-8, which no workflow command can carry."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return path


def annotation_commands(result: GateResult, limit: int = ANNOTATION_LIMIT) -> tuple[list[str], int]:
    """The workflow commands to print, at most ``limit`` per level, and how many were left out."""
    seen: dict[str, int] = {}
    kept: list[str] = []
    for a in all_annotations(result):
        seen[a.level] = seen.get(a.level, 0) + 1
        if seen[a.level] <= limit:
            kept.append(a.command())
    return kept, sum(max(0, n - limit) for n in seen.values())


def _ranges(c: PredictedConflict) -> str:
    from gitorch.overlap import describe

    return "; ".join(f"{t} {describe(c.ranges.get(t, ()))}" for t in c.teams)


def outputs(result: GateResult) -> dict[str, str]:
    """The step outputs: passed, violations, team, counts, and the offending paths."""
    return {
        "passed": "true" if result.passed else "false",
        "violations": str(len(result.violations)),
        "team": result.team or "",
        "commits": str(result.commits),
        "overlaps": str(len(result.overlaps)),
        "paths": "\n".join(shown(p.path) for p in result.problems),   # one a line, quoted
    }


def format_outputs(values: Mapping[str, str], delimiter: Callable[[], str] | None = None) -> str:
    """``$GITHUB_OUTPUT`` lines; a value with a line break takes the heredoc form."""
    make = delimiter or (lambda: f"ghadelimiter_{secrets.token_hex(16)}")
    lines = []
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            mark = make()
            while mark in value:
                mark = make()
            lines.append(f"{name}<<{mark}\n{value}\n{mark}")
        else:
            lines.append(f"{name}={value}")
    return "\n".join(lines) + "\n"


def append(path: str, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


@contextmanager
def commands_stopped(write: Callable[[str], None], token: str | None = None) -> Iterator[str]:
    """Between the two markers the runner ignores workflow commands, so that untrusted
    output (the tests') cannot forge annotations or outputs. The token is random."""
    token = token or secrets.token_hex(16)
    write(f"::stop-commands::{token}")
    try:
        yield token
    finally:
        write(f"::{token}::")


# --------------------------------------------------------------------------- Markdown and text


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~!{}])")


def md_text(value: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(value.splitlines()))


def md_code(value: str) -> str:
    """A code span that survives any backticks and table pipes in ``value``."""
    value = " ".join(value.splitlines()).replace("|", "\\|")
    run = max((len(m) for m in re.findall(r"`+", value)), default=0)
    fence = "`" * (run + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def summary_markdown(result: GateResult, omitted: int = 0) -> str:
    """The step summary: verdict, what was judged, and every finding (not just the annotated)."""
    verdict = "passed ✅" if result.passed else "failed ❌"
    who = f"Team **{md_text(result.team)}**" if result.team else "No team"
    out = [
        f"## gitorch gate: {verdict}", "",
        f"{who} · {md_code(result.head_ref)} ({md_code(git.short(result.head))}) into "
        f"{md_code(result.base_ref)} ({md_code(git.short(result.base))}) · "
        f"{result.commits} commit{'s' if result.commits != 1 else ''} checked · policy "
        f"{md_code(result.manifest_path)} as {md_code(result.base_ref)} has it", "",
    ]
    if result.failures:
        out += [f"- ❌ {md_text(f)}" for f in result.failures] + [""]
    if result.notices:
        out += [f"- ℹ️ {md_text(n)}" for n in result.notices] + [""]
    if result.problems:
        out += [f"### {len(result.problems)} path{'s' if len(result.problems) != 1 else ''} "
                f"outside team {md_text(result.team or '-')}'s scope", "",
                "| Path | Owner | Commits |", "| --- | --- | --- |"]
        out += [f"| {md_code(shown(p.path))} | {_md_owner(p.owner)} | "
                + "<br>".join(f"{md_code(git.short(c))} {md_text(s)}" for c, s in p.commits) + " |"
                for p in result.problems]
        out += ["", f"Each path belongs to its owner's branch; {md_code(result.manifest_path)} "
                "belongs to the integrators.", ""]
    elif result.team is not None:
        out += [f"No commit changes a path outside team {md_text(result.team)}'s scope.", ""]
    if result.overlaps:
        out += ["### Overlaps with other team branches (warnings)", "",
                "| Path | Teams | Kind | Lines |", "| --- | --- | --- | --- |"]
        out += [f"| {md_code(shown(c.path))} | {md_text(', '.join(c.teams))} | {c.kind} | "
                f"{md_text(_ranges(c))} |" for c in result.overlaps]
        out.append("")
    if result.quality is not None:
        out += _quality_markdown(result, result.quality)
    if omitted:
        out += [f"Only the first {ANNOTATION_LIMIT} annotations of each kind are shown in the pull "
                f"request; {omitted} more are listed above.", ""]
    return "\n".join(out) + "\n"


def _md_owner(owner: str) -> str:
    return "*no team*" if owner == "-" else md_text(owner)


def _quality_markdown(result: GateResult, q: QualityResult) -> list[str]:
    cov = q.teams.get(result.team) if result.team is not None else None
    diff_cov = "n/a" if cov is None or cov.diff_coverage is None else f"{cov.diff_coverage:.1f}%"
    gate = "none" if result.diff_coverage_gate is None else f"{result.diff_coverage_gate:g}%"
    tests = {True: "passed", False: f"failed (exit {q.returncode})", None: "not run"}[q.passed]
    out = ["### Tests and diff coverage", "", "| Command | Tests | Diff coverage | Gate |",
           "| --- | --- | --- | --- |",
           f"| {md_code(q.command or '')} | {tests} | {diff_cov} | {gate} |", ""]
    if q.output_tail:
        run = max((len(m) for m in re.findall(r"`+", q.output_tail)), default=0)
        fence = "`" * max(3, run + 1)
        out += ["<details><summary>Test output (last lines)</summary>", "", f"{fence}text",
                q.output_tail.rstrip("\n"), fence, "", "</details>", ""]
    return out


def text_report(result: GateResult) -> str:
    """What a person reads in the log: the verdict, each offending commit and path."""
    team = f"team {result.team}" if result.team else "no team"
    lines = [f"gitorch gate: {team}, {result.commits} commit{'s' if result.commits != 1 else ''} "
             f"in {result.base_ref}..{result.head_ref}, policy {result.manifest_path} at "
             f"{result.base_ref} ({git.short(result.base)})"]
    current = None
    for v in result.violations:
        if v.commit != current:
            current = v.commit
            lines.append(f"  {git.short(v.commit)} {v.subject}")
        lines.append(f"    {shown(v.path)}  (owner: {v.owner})")
    lines += [f"error: {f}" for f in result.failures]
    lines += [f"warning: overlap with {', '.join(t for t in c.teams if t != result.team)} in "
              f"{shown(c.path)} ({_ranges(c)})" for c in result.overlaps]
    lines += [f"notice: {n}" for n in result.notices]
    if result.violations:
        lines.append(f"{len(result.violations)} violation{'s' if len(result.violations) != 1 else ''}"
                     f": each path belongs to its owner's branch; {result.manifest_path} belongs to "
                     "the integrators")
    lines.append(f"gitorch gate: {'passed' if result.passed else 'failed'}")
    return "\n".join(lines) + "\n"
