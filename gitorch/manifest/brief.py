"""A team's brief: what each team (or its agent) is told at the start, from the manifest.

Mission, the paths the team may write (and the shared ones), its place among sub-teams,
what it depends on and waits for, its line target, its branch and worktree, and how to
report progress and blockers. Plain text in, Markdown out; no repository needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitorch.errors import UsageError
from gitorch.manifest import Manifest, TeamName


def team_or_error(manifest: Manifest, name: str) -> TeamName:
    """``name`` as a team of the manifest, or a UsageError naming the valid teams."""
    if name in manifest.teams:
        return TeamName(name)
    valid = ", ".join(sorted(manifest.teams))
    raise UsageError(f"no team '{name}' in {manifest.path}; valid teams: {valid}")


def brief_data(manifest: Manifest, team: TeamName, worktree: Path | None = None) -> dict[str, Any]:
    """The facts of the brief, as one JSON-ready mapping (``brief --json``)."""
    t = manifest.teams[team]
    return {
        "team": team,
        "project": manifest.project,
        "mission": t.description or None,
        "owns": list(t.owns),
        "shared": list(manifest.shared),
        "parent": t.parent,
        "sub_teams": {c: list(manifest.teams[c].owns) for c in manifest.children(team)},
        "depends_on": list(t.depends_on),
        "waits_for": sorted(_all_dependencies(manifest, team)),
        "dependents": sorted(manifest.dependents(team)),
        "priority": t.priority,
        "target_loc": list(t.target_loc) if t.target_loc else None,
        "branch": manifest.branch(team),
        "base": manifest.base,
        "worktree": str(worktree) if worktree is not None else None,
        "members": list(t.members),
    }


def render(manifest: Manifest, team: TeamName, worktree: Path | None = None) -> str:
    """The team's brief in Markdown."""
    t = manifest.teams[team]
    count = len(manifest.teams)
    out = [f"# Team {team.upper()} — {manifest.project}", "",
           f"You are team **{team}**, one of {count} teams working in parallel on "
           f"**{manifest.project}**. Each team works on its own branch, inside its own paths; "
           "gitorch merges all teams when they are ready.", ""]

    out += ["## Your mission", "", t.description or "(no description in the manifest: ask the "
            "integrators what this team builds)", ""]

    out += ["## Where you may write", "", "You may write ONLY to these paths "
            "(gitignore-style patterns):", ""]
    out += [f"- `{p}`" for p in t.owns]
    children = manifest.children(team)
    if children:
        out += ["", "Parts of your scope belong to your sub-teams; you may change them too, "
                    "but coordinate with them:", ""]
        out += [f"- **{c}**: " + ", ".join(f"`{p}`" for p in manifest.teams[c].owns)
                for c in children]
    if t.parent is not None:
        out += ["", f"You are a sub-team of **{t.parent}**: your scope lies inside theirs, and "
                    f"{t.parent} may change your paths too."]
    if manifest.shared:
        out += ["", "Shared paths, which every team may change (keep such edits small: others "
                    "change them too):", ""]
        out += [f"- `{p}`" for p in manifest.shared]
    out += ["", "Every other path belongs to another team or to the integrators. The shared "
                "server refuses a push with any commit that changes a path outside your scope, "
                "so check before you commit: `gitorch owner PATH` names a path's owner, "
                "`gitorch check` checks your branch.", ""]

    out += ["## Dependencies", ""]
    if t.depends_on:
        out += ["You build on the work of:", ""]
        for dep in t.depends_on:
            d = manifest.teams[dep]
            scope = ", ".join(f"`{p}`" for p in d.owns)
            out.append(f"- **{dep}** (branch `{manifest.branch(dep)}`, owns {scope})"
                       + (f": {d.description}" if d.description else ""))
        waits = sorted(_all_dependencies(manifest, team))
        out += ["", f"Wait for their interfaces before you rely on them: `gitorch status` shows "
                    f"when {_names(waits)} {'is' if len(waits) == 1 else 'are'} `ready`. Until "
                    "then, code against the smallest interface you need and say so in your "
                    "signal."]
    else:
        out.append("You depend on no other team: start now.")
    dependents = sorted(manifest.dependents(team))
    if dependents:
        out += ["", f"{_names(dependents)} {'builds' if len(dependents) == 1 else 'build'} on "
                    "your work: deliver your interfaces early and signal `ready` as soon as "
                    "they are stable."]
    out.append("")

    out += ["## Target", ""]
    if t.target_loc:
        low, high = t.target_loc
        span = f"{low:,}" if low == high else f"{low:,}-{high:,}"
        out.append(f"Write {span} lines of code in your paths. `gitorch status` counts the lines "
                   "you have added since the base and shows your progress against "
                   f"{low:,}.")
    else:
        out.append("No line target: done is when your part works and its tests pass.")
    out += ["", f"Your priority is {t.priority}: when two teams' changes conflict at integration, "
            "the higher priority keeps its change.", ""]

    out += ["## Branch and worktree", "",
            f"- Branch: `{manifest.branch(team)}`, created from `{manifest.base}`.",
            f"- Worktree: `{worktree}`" if worktree is not None else
            "- Worktree: created by `gitorch init-worktrees` (one per team).",
            f"- Commit often and push `{manifest.branch(team)}` to the shared repository; "
            f"never push `{manifest.base}` or `{manifest.integration}`: the integrators "
            "build those.", ""]

    out += ["## Reporting progress and blockers", "",
            "- `gitorch signal working --reason \"what you are doing\"` when you start and at "
            "each milestone.",
            "- `gitorch signal blocked --reason \"what you need, from whom\"` as soon as you "
            "are stuck (most often: an interface of a team you depend on).",
            "- `gitorch signal ready` when your part is complete, committed, and its tests pass.",
            "- `gitorch status` shows every team's state, progress and what it waits for.",
            "", "A signal travels with your next push of your team branch.", ""]
    return "\n".join(out)


def _all_dependencies(manifest: Manifest, team: TeamName) -> set[TeamName]:
    found: set[TeamName] = set()
    todo = list(manifest.teams[team].depends_on)
    while todo:
        dep = todo.pop()
        if dep not in found and dep in manifest.teams:
            found.add(dep)
            todo.extend(manifest.teams[dep].depends_on)
    return found


def _names(names: list[TeamName]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
