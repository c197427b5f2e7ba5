"""``GITORCH.md``: the team's brief as its agent reads it, under 200 lines and 32 KiB.

The brief of ``gitorch brief`` (mission, paths, dependencies, priority, signals), then
what the agent must leave alone and who owns it, and what a refusal means. Claude Code
asks instruction files to stay under 200 lines, and Codex reads at most 32 KiB of them:
the list of other teams' paths is cut short (with a pointer to ``gitorch owner``) first.
"""

from __future__ import annotations

from pathlib import Path

from gitorch.manifest import Manifest, TeamName
from gitorch.manifest.brief import render

MAX_LINES = 200
MAX_BYTES = 32 * 1024
CONTROL_NOTE = ("`GITORCH.md`, `CLAUDE.local.md`, `AGENTS.override.md`, `.aider.conf.yml`, "
                "`.claude/`, `.codex/`, `.gemini/`, `.cursor/` and `.git/`")


def agent_brief(manifest: Manifest, team: TeamName, worktree: Path | None) -> str:
    head = render(manifest, team, worktree).rstrip("\n").splitlines()
    tail = _refusals(manifest, team)
    others = _not_yours(manifest, team)
    room = MAX_LINES - len(head) - len(tail) - 6
    if len(others) > room:
        cut = max(room - 1, 0)
        others = [*others[:cut], f"- ... and {len(others) - cut} more teams: "
                                 "`gitorch owner PATH` names the owner of any path"]
    lines = [*head, "", "## Paths that are not yours", "",
             "Do not change these paths; their owners do (gitignore-style patterns):", "",
             *others, "", *tail]
    text = "\n".join(lines) + "\n"
    while len(text.encode()) > MAX_BYTES and others:
        others = [*others[:-2], "- ... `gitorch owner PATH` names the owner of any path"]
        lines = [*head, "", "## Paths that are not yours", "", *others, "", *tail]
        text = "\n".join(lines) + "\n"
    return text


def _not_yours(manifest: Manifest, team: TeamName) -> list[str]:
    mine = {team, *manifest.children(team)}
    for child in list(mine):
        mine.update(manifest.children(child))
    out = []
    for name in sorted(manifest.teams):
        if name in mine:
            continue
        patterns = manifest.teams[name].owns
        shown = ", ".join(f"`{p}`" for p in patterns[:6])
        more = f" and {len(patterns) - 6} more" if len(patterns) > 6 else ""
        out.append(f"- **{name}**: {shown}{more}")
    out.append("- everything no team owns and that is not shared: the integrators")
    return out


def _refusals(manifest: Manifest, team: TeamName) -> list[str]:
    return [
        "## When gitorch refuses an edit", "",
        "Every edit you make is checked before it happens: a write outside your paths, into "
        "another team's worktree or into the main checkout is refused, with a message that "
        "names the path's owner. A refusal is the rule, not a glitch. Do not retry it, and do "
        "not work around it with a shell command (`cat >`, `sed -i`, `cp`, `git mv`, "
        "`--no-verify`): the commit hooks and the shared server refuse the same change later, "
        "after you have built on it.", "",
        "Instead:", "",
        "1. Keep the change inside your paths (an adapter or an interface on your side often "
        "does).",
        "2. If your work needs a change in another team's path, record it and go on with other "
        "work: `gitorch signal blocked --reason \"need X in src/...\" --on OWNER`.",
        "3. After each shell command gitorch lists the files you changed outside your paths: "
        "revert them at once, with the commands it gives.", "",
        f"Control files are not yours either: {CONTROL_NOTE}. They keep these checks in place; "
        f"`gitorch agents setup` rewrites them.",
    ]
