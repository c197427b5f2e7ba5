"""What a team worktree holds for its agent: the brief where each agent looks, and the
hook settings that call the guard.

Per worktree: ``GITORCH.md`` (the brief), and for each agent set up
- claude: ``CLAUDE.local.md`` importing it; ``.claude/settings.json`` hooks (PreToolUse on
  edits and Bash, PostToolUse on Bash, Stop);
- codex: ``AGENTS.override.md`` = the brief + the repository's own ``AGENTS.md`` (Codex
  reads one file per directory); ``.codex/hooks.json`` (same events as Claude Code);
- gemini: ``.gemini/settings.json``: ``context.fileName`` lists ``GITORCH.md``; hooks
  BeforeTool, AfterTool (shell), AfterAgent;
- cursor: ``.cursor/rules/gitorch.mdc`` (``alwaysApply: true``); ``.cursor/hooks.json``
  (preToolUse, beforeShellExecution, stop);
- aider: ``.aider.conf.yml``: ``read: [GITORCH.md]``, ``git-commit-verify: true`` (Aider has
  no hooks: its commits meet the worktree's commit hooks).

Every file stays untracked and is listed in the repository's ``info/exclude``. A tracked
file is never overwritten (it is reported as skipped); an existing settings file is
merged (gitorch's own hook entries replaced, everything else kept), a Markdown file gets
gitorch's block between markers and keeps the rest.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitorch.agents.brief import agent_brief
from gitorch.agents.githooks import guard_entry, is_guard_command
from gitorch.agents.guard import MCP_WRITE_TOOLS
from gitorch.errors import UsageError
from gitorch.manifest import Manifest, TeamName

AGENT_NAMES = ("claude", "codex", "gemini", "cursor", "aider")
BRIEF = "GITORCH.md"
BEGIN = "<!-- gitorch:begin (written by 'gitorch agents setup'; rerun it rather than edit) -->"
END = "<!-- gitorch:end -->"
OLD_BRIEF = "TEAM_BRIEF.md"
CODEX_MAX_BYTES = 32 * 1024      # Codex's project_doc_max_bytes

# the files each agent gets, besides GITORCH.md
AGENT_FILES = {
    "claude": ("CLAUDE.local.md", ".claude/settings.json"),
    "codex": ("AGENTS.override.md", ".codex/hooks.json"),
    "gemini": (".gemini/settings.json",),
    "cursor": (".cursor/rules/gitorch.mdc", ".cursor/hooks.json"),
    "aider": (".aider.conf.yml",),
}
CLAUDE_LOCAL_SETTINGS = ".claude/settings.local.json"
# where each agent's hook settings live, and the events that call the guard
SETTINGS = {
    "claude": ".claude/settings.json",
    "codex": ".codex/hooks.json",
    "gemini": ".gemini/settings.json",
    "cursor": ".cursor/hooks.json",
}
# (event, matcher); the first event of each agent is the one before a tool runs
HOOK_EVENTS: dict[str, list[tuple[str, str | None]]] = {
    "claude": [("PreToolUse", "^(Write|Edit|MultiEdit|NotebookEdit|Bash|mcp__.+__("
                              + "|".join(MCP_WRITE_TOOLS) + "))$"),
               ("PostToolUse", "Bash"), ("Stop", None)],
    "codex": [("PreToolUse", "apply_patch|Bash"), ("PostToolUse", "Bash"), ("Stop", None)],
    "gemini": [("BeforeTool", "write_file|replace|run_shell_command"),
               ("AfterTool", "run_shell_command"), ("AfterAgent", None)],
    "cursor": [("preToolUse", None), ("beforeShellExecution", None),
               ("beforeMCPExecution", None), ("stop", None)],
}
PRE_EVENTS = frozenset({"PreToolUse", "BeforeTool", "preToolUse", "beforeShellExecution",
                        "beforeMCPExecution"})


@dataclass(frozen=True)
class Written:
    path: Path
    action: str          # written, updated, unchanged, skipped
    note: str = ""


@dataclass(frozen=True)
class WorktreeSetup:
    team: TeamName
    path: Path
    brief: Path
    agents: tuple[str, ...]
    files: tuple[Written, ...]
    hooks_dir: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {"team": self.team, "path": str(self.path), "brief": str(self.brief),
                "agents": list(self.agents),
                "hooks_dir": str(self.hooks_dir) if self.hooks_dir else None,
                "files": [{"path": str(w.path), "action": w.action, "note": w.note or None}
                          for w in self.files]}


def parse_agents(text: str | None) -> tuple[str, ...]:
    """``claude,codex``: the agents named, in the usual order; all when ``text`` is None."""
    if text is None or text.strip() in ("", "all"):
        return AGENT_NAMES
    named = [a.strip().lower() for a in text.split(",") if a.strip()]
    unknown = [a for a in named if a not in AGENT_NAMES]
    if unknown:
        raise UsageError(f"unknown agent {unknown[0]!r}",
                         hint=f"name some of: {', '.join(AGENT_NAMES)} (comma-separated)")
    return tuple(a for a in AGENT_NAMES if a in named)


def guard_command(agent: str, python: str | None = None, *, before: bool = True) -> str:
    """The command line an agent's settings run: this Python, isolated, the thin entry.

    Before a tool runs, any failure to start the guard (a Python moved away, gitorch
    uninstalled: exit 127 or 1, which every agent reads as a non-blocking error) is turned
    into exit 2, which blocks: the hook fails closed. After a tool, and when the agent
    stops, a broken guard only reports (blocking a stop would hold the agent in a loop).
    """
    command = f"{guard_entry(python)} --agent {agent}"
    return f"{command} || exit 2" if before else command


# --------------------------------------------------------------------------- one worktree


@dataclass
class _Writer:
    root: Path
    tracked: set[str]
    done: list[Written] = field(default_factory=list)

    def write(self, rel: str, make: Callable[[str | None], str | None]) -> bool:
        """Write ``make(current text or None)`` to ``rel``, unless tracked or unchanged."""
        target = self.root / rel
        if rel in self.tracked:
            self.done.append(Written(target, "skipped", "tracked in the repository: gitorch "
                                                        "never overwrites a tracked file"))
            return False
        current = None
        if target.is_file():
            current = target.read_text(encoding="utf-8", errors="replace")
        try:
            text = make(current)
        except ValueError as exc:
            self.done.append(Written(target, "skipped", str(exc)))
            return False
        if text is None or text == current:
            self.done.append(Written(target, "unchanged"))
            return True
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.gitorch-tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)
        self.done.append(Written(target, "updated" if current is not None else "written"))
        return True


def setup_worktree(manifest: Manifest, team: TeamName, worktree: Path, agents: Sequence[str],
                   *, python: str | None = None) -> WorktreeSetup:
    """Write the brief, the agents' files and the worktree's commit hooks."""
    from gitorch.agents import githooks

    brief_text = agent_brief(manifest, team, worktree)
    writer = _Writer(worktree, _tracked(worktree))
    writer.write(BRIEF, lambda _old: brief_text)
    for agent in agents:
        if agent == "claude":
            writer.write("CLAUDE.local.md", lambda old: _block(old, f"@{BRIEF}"))
            settings = SETTINGS["claude"] if SETTINGS["claude"] not in writer.tracked \
                else CLAUDE_LOCAL_SETTINGS
            writer.write(settings, lambda old: _hook_settings("claude", old, python))
        elif agent == "codex":
            own = worktree / "AGENTS.md"
            theirs = own.read_text(encoding="utf-8", errors="replace") if own.is_file() else ""
            body = brief_text + (f"\n---\n\n{theirs}" if theirs.strip() else "")
            override = body.rstrip("\n")
            if writer.write("AGENTS.override.md", functools.partial(_block, body=override)):
                size = (worktree / "AGENTS.override.md").stat().st_size
                if size > CODEX_MAX_BYTES:
                    last = writer.done[-1]
                    writer.done[-1] = Written(last.path, last.action,
                                              f"{size // 1024} KiB: Codex reads the first 32 KiB "
                                              "(the brief comes first; the end of AGENTS.md is "
                                              "cut)")
            writer.write(SETTINGS["codex"], lambda old: _hook_settings("codex", old, python))
        elif agent == "gemini":
            writer.write(SETTINGS["gemini"], lambda old: _gemini_settings(old, python))
        elif agent == "cursor":
            writer.write(".cursor/rules/gitorch.mdc", lambda old: _cursor_rule(old, brief_text))
            writer.write(SETTINGS["cursor"], lambda old: _cursor_hooks(old, python))
        elif agent == "aider":
            writer.write(".aider.conf.yml", _aider_config)
    old = worktree / OLD_BRIEF
    if OLD_BRIEF not in writer.tracked and old.is_file() \
            and old.read_text(encoding="utf-8", errors="replace").startswith("# Team "):
        old.unlink()        # the brief's old name: GITORCH.md replaces it
    exclude([w.path.relative_to(worktree).as_posix() for w in writer.done
             if w.action != "skipped"], worktree)
    hooks = githooks.install(worktree, python or sys.executable)
    return WorktreeSetup(team, worktree, worktree / BRIEF, tuple(agents), tuple(writer.done),
                         hooks.directory)


def _tracked(worktree: Path) -> set[str]:
    names = [BRIEF, *(f for files in AGENT_FILES.values() for f in files), CLAUDE_LOCAL_SETTINGS,
             OLD_BRIEF]
    proc = subprocess.run(["git", "ls-files", "-z", "--", *names], cwd=worktree,
                          capture_output=True)
    return {p for p in proc.stdout.decode("utf-8", errors="replace").split("\0") if p}


def exclude(rels: Sequence[str], worktree: Path) -> Path:
    """List ``rels`` (worktree-relative) in the repository's ``info/exclude``."""
    from gitorch import repo as git

    path = git.git_path(worktree, "info/exclude")
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    have = set(current.splitlines())
    missing = [f"/{r}" for r in dict.fromkeys(rels) if f"/{r}" not in have]
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        sep = "" if not current or current.endswith("\n") else "\n"
        header = "" if "# gitorch agents setup" in current else "# gitorch agents setup\n"
        path.write_text(current + sep + header + "\n".join(missing) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the formats


def _block(old: str | None, body: str) -> str:
    """``old`` with gitorch's block (between the markers) set to ``body``; the rest kept."""
    block = f"{BEGIN}\n{body}\n{END}\n"
    if not old:
        return block
    if BEGIN in old and END in old:
        start = old.index(BEGIN)
        end = old.index(END, start) + len(END)
        rest = old[end:].lstrip("\n")
        return old[:start] + block + (f"\n{rest}" if rest else "")
    return block + "\n" + old


def _load_json(old: str | None, what: str) -> dict[str, Any]:
    if not old or not old.strip():
        return {}
    try:
        data = json.loads(old)
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc}): fix or remove it, then run "
                         "'gitorch agents setup' again") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what} is no JSON object: fix or remove it")
    return data


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def _ours(entry: Any) -> bool:
    return isinstance(entry, dict) and is_guard_command(str(entry.get("command", "")))


def _hook_settings(agent: str, old: str | None, python: str | None) -> str:
    """Claude Code, Codex and Gemini CLI share a shape: hooks.EVENT = [{matcher, hooks}]."""
    data = _load_json(old, "the settings file")
    hooks = data.get("hooks")
    if hooks is None:
        hooks = data["hooks"] = {}
    if not isinstance(hooks, dict):
        raise ValueError("its 'hooks' is no JSON object: fix it, then run setup again")
    for event, matcher in HOOK_EVENTS[agent]:
        command = guard_command(agent, python, before=event in PRE_EVENTS)
        groups = hooks.get(event)
        kept = []
        for group in groups if isinstance(groups, list) else []:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                inner = [h for h in group["hooks"] if not _ours(h)]
                if inner:
                    kept.append({**group, "hooks": inner})
            elif not _ours(group):
                kept.append(group)
        mine: dict[str, Any] = {"matcher": matcher} if matcher else {}
        mine["hooks"] = [{"type": "command", "command": command}]
        hooks[event] = [*kept, mine]
    return _dump(data)


def _gemini_settings(old: str | None, python: str | None) -> str:
    data = json.loads(_hook_settings("gemini", old, python))
    context = data.get("context")
    if context is None:
        context = data["context"] = {}
    if not isinstance(context, dict):
        raise ValueError("its 'context' is no JSON object: fix it, then run setup again")
    names = context.get("fileName")
    listed = [names] if isinstance(names, str) else list(names or ["AGENTS.md", "GEMINI.md"])
    context["fileName"] = [BRIEF, *(n for n in listed if n != BRIEF)]
    return _dump(data)


def _cursor_hooks(old: str | None, python: str | None) -> str:
    data = _load_json(old, "hooks.json")
    data.setdefault("version", 1)
    hooks = data.get("hooks")
    if hooks is None:
        hooks = data["hooks"] = {}
    if not isinstance(hooks, dict):
        raise ValueError("its 'hooks' is no JSON object: fix it, then run setup again")
    for event, _matcher in HOOK_EVENTS["cursor"]:
        command = guard_command("cursor", python, before=event in PRE_EVENTS)
        entries = hooks.get(event)
        kept = [e for e in entries if not _ours(e)] if isinstance(entries, list) else []
        hooks[event] = [*kept, {"command": command}]
    return _dump(data)


def _cursor_rule(old: str | None, brief: str) -> str:
    if old is not None and BEGIN not in old:
        raise ValueError("exists and was not written by gitorch: move it away, then run "
                         "setup again")
    return ("---\ndescription: gitorch team brief - where this team may write\n"
            f"alwaysApply: true\n---\n{BEGIN}\n{brief.rstrip()}\n{END}\n")


def _aider_config(old: str | None) -> str | None:
    import yaml

    try:
        data = yaml.safe_load(old) if old else None
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML ({str(exc).splitlines()[0]}): fix or remove it, then "
                         "run setup again") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError("is no YAML mapping: fix or remove it, then run setup again")
    reads = data.get("read")
    listed = [reads] if isinstance(reads, str) else list(reads or [])
    if BRIEF in listed and data.get("git-commit-verify") is True:
        return None
    if "read" not in data and "git-commit-verify" not in data:
        # append, so that the user's comments stay
        text = (old or "").rstrip("\n")
        return (f"{text}\n\n" if text else "") + (
            f"# gitorch agents setup: the team's brief, and commits through the worktree's hooks\n"
            f"read: [{BRIEF}]\ngit-commit-verify: true\n")
    data["read"] = [BRIEF, *(r for r in listed if r != BRIEF)]
    data["git-commit-verify"] = True
    return str(yaml.safe_dump(data, sort_keys=False))


# --------------------------------------------------------------------------- every worktree


@dataclass(frozen=True)
class SetupResult:
    base: str
    policy: str
    worktrees: tuple[WorktreeSetup, ...]
    missing: tuple[TeamName, ...]      # teams without a worktree on their branch

    def to_json(self) -> dict[str, Any]:
        return {"base": self.base, "policy": self.policy,
                "worktrees": [w.to_json() for w in self.worktrees],
                "missing": list(self.missing)}


def setup_all(root: Path, manifest: Manifest, agents: Sequence[str], *,
              python: str | None = None) -> SetupResult:
    """Set up every team worktree of the checkout at ``root``.

    The base branch is recorded as ``gitorch.base`` (where the guard reads its policy); the
    briefs are written from the manifest at the base tip, the policy the guard obeys.
    """
    from gitorch import repo as git
    from gitorch.agents.policy import BASE_KEY, load_policy

    worktrees = git.list_worktrees(root)
    if not worktrees:
        raise UsageError("this repository has no working tree",
                         hint="run it in a clone, not in a bare repository")
    main_root = worktrees[0].path
    git.git_cli(main_root, "config", BASE_KEY, manifest.base)
    common = git.git_cli(main_root, "rev-parse", "--git-common-dir").strip()
    common_dir = (main_root / common).resolve()
    policy = load_policy(str(common_dir))
    if policy.manifest is None:
        why = policy.problem or f"no gitorch.yaml on {manifest.base}"
        raise UsageError(f"the guard would find no policy: {why}",
                         hint=f"commit a valid gitorch.yaml to {manifest.base}, then run "
                              "'gitorch agents setup' again")
    policy_manifest = policy.manifest
    where = policy_manifest.worktrees_dir(main_root)
    by_path = {w.path: w for w in worktrees}
    done = []
    missing = []
    for team in sorted(policy_manifest.teams):
        path = (where / team).resolve()
        found = by_path.get(path)
        if found is None or found.branch != policy_manifest.branch(team):
            missing.append(team)
            continue
        done.append(setup_worktree(policy_manifest, team, path, agents, python=python))
    return SetupResult(policy_manifest.base, policy.source, tuple(done), tuple(missing))
