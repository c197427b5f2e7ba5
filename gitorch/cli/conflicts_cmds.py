"""Commands of this stage (registered on import by gitorch.cli): ``gitorch conflicts``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from gitorch.cli.base import Context, json_option, main, manifest_option, pass_context
from gitorch.manifest import TeamName
from gitorch.manifest.pathnames import shown

if TYPE_CHECKING:
    from gitorch.overlap import ConflictReport
    from gitorch.records import PredictedConflict

# Conflicts about the file as a whole: --fix keeps the winner's version of the file.
WHOLE_FILE = frozenset({"modify/delete", "delete/modify", "rename/delete", "delete/rename",
                        "rename/rename", "add/add", "rename/add", "add/rename", "binary",
                        "symlink", "submodule", "file/directory", "same rename"})


@main.command()
@json_option
@manifest_option
@click.option("--base", "base", metavar="REF", help="Base revision (default: the manifest's base).")
@click.option("--remote", default="origin", show_default=True, metavar="NAME",
              help="Remote whose team branches count where there is no local one.")
@click.option("--team", "teams", multiple=True, metavar="TEAM", help="Only these teams (repeat).")
@click.option("--overlaps-only", is_flag=True,
              help="List only the overlaps; changes to one file that merge cleanly are counted.")
@pass_context
def conflicts(obj: Context, as_json: bool, base: str | None, remote: str,
              teams: tuple[str, ...], overlaps_only: bool) -> None:
    """Overlapping edits between team branches, before any merge (exit 1 on an overlap)."""
    from gitorch.overlap import find_conflicts

    report = find_conflicts(obj.repo, obj.manifest, base=base, remote=remote or None,
                            teams=[TeamName(t) for t in teams] if teams else None)
    if as_json:
        click.echo(dump_json(report.to_dict()))
    else:
        click.echo(render(report, overlaps_only=overlaps_only), nl=False)
    raise SystemExit(1 if report.overlaps else 0)


def dump_json(data: dict[str, Any]) -> str:
    """Indented JSON with one conflict a line.

    With 30 teams there are hundreds of entries; json's indenting encoder is pure Python
    and would take longer than finding them, while the compact one is written in C.
    """
    items = data.get("conflicts", [])
    head = json.dumps({**data, "conflicts": []}, indent=2)
    if not items:
        return head
    body = ",\n    ".join(json.dumps(c) for c in items)
    return head.replace('"conflicts": []', '"conflicts": [\n    ' + body + "\n  ]", 1)


def render(report: ConflictReport, *, overlaps_only: bool = False) -> str:
    """The human report: per path, each pair of teams, their lines and what --fix would do.

    ``overlaps_only`` leaves out the pairs that merge cleanly (they are still counted):
    with thirty teams those run to hundreds of lines.
    """
    out: list[str] = []
    heads = ", ".join(f"{t} {sha[:8]}" for t, sha in report.teams.items()) or "none"
    out.append(f"base {report.base_ref} {report.base[:8]}; team branches: {heads}")
    if report.missing:
        out.append(f"no branch yet: {', '.join(report.missing)}")
    last_path = None
    for c in report.conflicts:
        if overlaps_only and c.kind != "overlap":
            continue
        if c.path != last_path:
            out.append(f"{shown(c.path)} (owner {c.owner})")
            last_path = c.path
        out.extend(_conflict_lines(report, c))
    for team, paths in report.violations.items():
        for path in paths:
            out.append(f"outside scope: {team} changed {shown(path)}")
    overlaps = len(report.overlaps)
    same = len(report.conflicts) - overlaps
    if report.conflicts:
        out.append(f"{_count(overlaps, 'overlap')} and {_count(same, 'same-file change')} "
                   f"between {_count(len(report.teams), 'team')}")
    else:
        out.append(f"no two teams changed the same file ({_count(len(report.teams), 'team')})")
    return "\n".join(out) + "\n"


def _conflict_lines(report: ConflictReport, c: PredictedConflict) -> list[str]:
    from gitorch.overlap import describe

    a, b = c.teams[0], c.teams[1]
    label = c.kind + (f" ({c.detail})" if c.detail else "")
    sides = "; ".join(f"{t} {describe(c.ranges[t])}"
                      + (f" (renamed to {c.renamed_to[t]})" if t in c.renamed_to else "")
                      for t in (a, b))
    if c.kind != "overlap":
        return [f"  {label}: {sides} (merges cleanly)"]
    if c.detail.startswith("delete/"):
        kept = "the file deleted"
    elif c.detail in WHOLE_FILE:
        kept = "its version of the file"
    else:
        kept = describe(c.ranges[a])
    return [f"  {label}: {sides}",
            f"    integrate --fix: {a} (priority {report.priorities.get(a, 0)}) keeps {kept}; "
            f"{b}'s change there is saved and dropped"]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
