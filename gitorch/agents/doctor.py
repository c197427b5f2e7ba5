"""``gitorch doctor``: a checkout, its team worktrees, their hooks and agents, checked.

Each check names what it looked at and, when it fails, the command that fixes it. The
agents' hooks are not taken on trust: the command strings are read back from the settings
files and run, as the agent would run them, on sample events (an edit inside the team's
paths must pass, one outside them and a ``git commit --no-verify`` must be refused). That
is the one way to see the agents' silent failure: a hook whose script is gone or
mistyped is a non-blocking error, and the edit goes through.
"""

from __future__ import annotations

import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitorch.agents import files, githooks, replay
from gitorch.agents.brief import agent_brief
from gitorch.agents.policy import BASE_KEY, RepoPolicy, load_policy
from gitorch.errors import ManifestError
from gitorch.manifest import Manifest, TeamName
from gitorch.manifest.scope import CompiledOwnership

SETUP_FIX = "gitorch agents setup"


@dataclass(frozen=True)
class Check:
    name: str
    subject: str
    ok: bool
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "subject": self.subject, "ok": self.ok,
                "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class DoctorReport:
    root: str
    checks: tuple[Check, ...]

    @property
    def problems(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.ok)

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "ok": not self.problems, "problems": len(self.problems),
                "checks": [c.to_json() for c in self.checks]}


def _git(cwd: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


def diagnose(root: Path, manifest_path: Path, *, remote: str = "origin") -> DoctorReport:
    from gitorch import repo as git
    from gitorch.manifest.loading import load_manifest

    checks: list[Check] = []
    add = checks.append
    working: Manifest | None = None
    try:
        working = load_manifest(manifest_path)
        add(Check("manifest", str(manifest_path), True, "valid"))
    except ManifestError as exc:
        add(Check("manifest", str(manifest_path), False, "; ".join(exc.problems[:3]) or str(exc),
                  "run 'gitorch validate' and fix the lines it names"))
    worktrees = git.list_worktrees(root)
    main_root = worktrees[0].path if worktrees else root
    common = (main_root / (_git(main_root, "rev-parse", "--git-common-dir") or ".git").strip())
    policy = load_policy(str(common.resolve()))
    manifest = policy.manifest or working
    if manifest is None:
        return DoctorReport(str(main_root), tuple(checks))
    base = manifest.base
    configured = (_git(main_root, "config", "--get", BASE_KEY) or "").strip()
    if policy.manifest is None:
        add(Check("policy", policy.source, False, policy.problem or "no gitorch.yaml there",
                  f"commit a valid gitorch.yaml to {base}"))
    elif not configured:
        add(Check("policy", policy.source, False, f"{BASE_KEY} is not set: the guard falls back "
                  "to main or master", SETUP_FIX))
    else:
        add(Check("policy", policy.source, True, "the guard's policy reads and validates"))
    has_base = any(_git(main_root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
                   for ref in (f"refs/heads/{base}", f"refs/remotes/{remote}/{base}"))
    add(Check("base", base, has_base, "present" if has_base else "no such branch here",
              None if has_base else f"git fetch {remote} {base}, or create it"))
    where = manifest.worktrees_dir(main_root)
    by_path = {w.path: w for w in worktrees}
    present: list[tuple[TeamName, Path]] = []
    for team in sorted(manifest.teams):
        branch = manifest.branch(team)
        has = any(_git(main_root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
                  for ref in (f"refs/heads/{branch}", f"refs/remotes/{remote}/{branch}"))
        add(Check("branch", branch, has, "present" if has else "missing",
                  None if has else "gitorch init-worktrees"))
        path = (where / team).resolve()
        found = by_path.get(path)
        if found is None or found.branch != branch:
            what = "missing" if found is None else f"has {found.branch or 'a detached HEAD'}"
            add(Check("worktree", team, False, f"{path}: {what}",
                      "gitorch init-worktrees" if found is None else f"git -C {path} switch "
                                                                      f"{branch}"))
            continue
        add(Check("worktree", team, True, str(path)))
        present.append((team, path))
    with ThreadPoolExecutor(max_workers=4) as pool:
        for found_checks in pool.map(lambda tp: _worktree_checks(manifest, policy, *tp),
                                     present):
            checks.extend(found_checks)
    checks.extend(_server_checks(main_root, remote))
    return DoctorReport(str(main_root), tuple(checks))


def _worktree_checks(manifest: Manifest, policy: RepoPolicy, team: TeamName,
                     path: Path) -> list[Check]:
    out: list[Check] = []
    brief = path / files.BRIEF
    if not brief.is_file():
        out.append(Check("brief", team, False, f"{brief} is missing", SETUP_FIX))
    elif policy.manifest is not None and \
            brief.read_text(encoding="utf-8") != agent_brief(policy.manifest, team, path):
        out.append(Check("brief", team, False, f"{brief} is out of date with "
                         f"{policy.source}", SETUP_FIX))
    else:
        out.append(Check("brief", team, True, str(brief)))
    state = githooks.state(path)
    out.append(Check("commit-hooks", team, not state.problems,
                     "; ".join(state.problems) or f"pre-commit and prepare-commit-msg in "
                     f"{state.directory}", SETUP_FIX if state.problems else None))
    compiled = policy.compiled
    for agent in files.AGENT_NAMES:
        if not _set_up(agent, path):
            continue
        subject = f"{team}/{agent}"
        loaded = _loads_brief(agent, path)
        out.append(Check("agent-brief", subject, loaded is None,
                         loaded or "the agent loads GITORCH.md", SETUP_FIX if loaded else None))
        if agent == "aider" or compiled is None:
            continue
        out.extend(_probe(agent, path, team, manifest, compiled))
    return out


def _set_up(agent: str, path: Path) -> bool:
    return any((path / rel).exists() for rel in files.AGENT_FILES[agent]) or (
        agent == "claude" and (path / files.CLAUDE_LOCAL_SETTINGS).exists())


def _loads_brief(agent: str, path: Path) -> str | None:
    """Why ``agent`` would not read GITORCH.md in ``path`` (None: it would)."""
    def text(rel: str) -> str:
        try:
            return (path / rel).read_text(encoding="utf-8")
        except OSError:
            return ""
    if agent == "claude" and f"@{files.BRIEF}" not in text("CLAUDE.local.md"):
        return "CLAUDE.local.md does not import @GITORCH.md"
    if agent == "codex":
        override = text("AGENTS.override.md")
        own = text("AGENTS.md").strip()
        if files.BEGIN not in override:
            return "AGENTS.override.md does not carry the brief"
        if own and own not in override:
            return "AGENTS.override.md lacks the current AGENTS.md (Codex reads only the override)"
    if agent == "gemini":
        try:
            names = json.loads(text(".gemini/settings.json")).get("context", {}).get("fileName")
        except (ValueError, AttributeError):
            names = None
        if not isinstance(names, list) or files.BRIEF not in names:
            return ".gemini/settings.json: context.fileName does not list GITORCH.md"
    if agent == "cursor" and "alwaysApply: true" not in text(".cursor/rules/gitorch.mdc"):
        return ".cursor/rules/gitorch.mdc is missing or not alwaysApply"
    if agent == "aider":
        conf = text(".aider.conf.yml")
        if files.BRIEF not in conf or "git-commit-verify: true" not in conf:
            return ".aider.conf.yml does not read GITORCH.md with git-commit-verify: true"
    return None


def sample_paths(manifest: Manifest, compiled: CompiledOwnership,
                 team: TeamName) -> tuple[str | None, str | None]:
    """(a path ``team`` may write, a path it may not), to probe the hooks with."""
    from gitorch.manifest.ownership import scope_overlap

    inside = scope_overlap(manifest.teams[team].owns, manifest.teams[team].owns)
    if inside is None or not compiled.may_change(team, inside):
        inside = next((p for p in (scope_overlap(manifest.shared, manifest.shared),)
                       if p and compiled.may_change(team, p)), None)
    outside = None
    for other in sorted(manifest.teams):
        found = scope_overlap(manifest.teams[other].owns, manifest.teams[other].owns)
        if found and not compiled.may_change(team, found):
            outside = found
            break
    if outside is None:
        probe = "gitorch-doctor-probe/unowned.txt"
        outside = probe if not compiled.may_change(team, probe) else None
    return inside, outside


def _probe(agent: str, path: Path, team: TeamName, manifest: Manifest,
           compiled: CompiledOwnership) -> list[Check]:
    subject = f"{team}/{agent}"
    settings = replay.settings_file(agent, path)
    if settings is None:
        return [Check("agent-hooks", subject, False, "no hook settings file", SETUP_FIX)]
    try:
        data = replay.read_settings(settings)
    except (ValueError, OSError) as exc:
        return [Check("agent-hooks", subject, False, f"{settings}: {exc}", SETUP_FIX)]
    inside, outside = sample_paths(manifest, compiled, team)
    probes: list[tuple[str, dict[str, Any], bool]] = []
    if inside is not None:
        probes.append((f"an edit of {inside}", replay.write_event(agent, path, inside), False))
    if outside is not None:
        probes.append((f"an edit of {outside}", replay.write_event(agent, path, outside), True))
        mcp = replay.mcp_write_event(agent, path, outside)
        if mcp is not None:
            probes.append((f"an MCP write_file of {outside}", mcp, True))
    probes.append(("git commit --no-verify",
                   replay.shell_event(agent, path, "git commit --no-verify -m x"), True))
    out = []
    for what, event, refuse in probes:
        name = str(event.get("hook_event_name"))
        tool = str(event.get("tool_name", ""))
        found = [c for c in replay.commands(agent, data, name, tool) if githooks.is_guard_command(c)]
        if not found:
            out.append(Check("agent-hooks", subject, False, f"{settings.name}: no gitorch guard "
                             f"registered for {name} {tool}".rstrip(), SETUP_FIX))
            continue
        replies = [replay.run_command(agent, c, event, path) for c in found]
        broken = [r for r in replies if r.code not in (0, 2)
                  or (r.blocked and not r.reason.startswith("gitorch:"))]
        if broken:
            r = broken[0]
            why = (r.stderr.strip().splitlines() or [f"exit {r.code}"])[-1]
            effect = "refuse every edit" if r.blocked else "let every edit through"
            out.append(Check("agent-hooks", subject, False, f"{what}: the hook command failed "
                             f"(exit {r.code}: {why}); the agent would {effect}", SETUP_FIX))
            continue
        blocked = any(r.blocked for r in replies)
        if blocked != refuse:
            verb = "let through" if refuse else "refused"
            out.append(Check("agent-hooks", subject, False, f"{what} was {verb}",
                             SETUP_FIX))
        else:
            out.append(Check("agent-hooks", subject, True,
                             f"{what}: {'refused' if refuse else 'allowed'}"))
    return out


def _server_checks(root: Path, remote: str) -> list[Check]:
    from gitorch.enforce.install import policy_problem

    url = (_git(root, "config", "--get", f"remote.{remote}.url") or "").strip()
    if not url:
        return [Check("server-hook", remote, True, f"no remote '{remote}': nothing to check")]
    where = url[len("file://"):] if url.startswith("file://") else url
    bare = Path(where) if os.path.isabs(where) else (root / where)
    if "://" in where or not bare.is_dir() \
            or (_git(bare, "rev-parse", "--is-bare-repository") or "").strip() != "true":
        return [Check("server-hook", url, True, "not a local bare repository: check its "
                      "pre-receive hook on the server")]
    hooks = (_git(bare, "rev-parse", "--git-path", "hooks") or "hooks").strip()
    hook = (bare / hooks / "pre-receive") if not os.path.isabs(hooks) else Path(hooks) / "pre-receive"
    try:
        text = hook.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    fix = f"gitorch hooks install --server {bare}"
    if "# gitorch-hook: pre-receive" not in text or not os.access(hook, os.X_OK):
        return [Check("server-hook", str(bare), False, f"{hook} is not gitorch's pre-receive "
                      "hook: pushes are not checked", fix)]
    problem = policy_problem(bare)
    if problem:
        return [Check("server-hook", str(bare), False, f"installed, but no readable policy: "
                      f"{problem}", f"push a valid gitorch.yaml to the base branch of {bare}")]
    return [Check("server-hook", str(bare), True, f"{hook} installed, policy readable")]


def render(report: DoctorReport) -> str:
    lines = []
    for c in report.checks:
        lines.append(f"{'ok  ' if c.ok else 'FAIL'}  {c.name:<13} {c.subject}: {c.detail}")
        if not c.ok and c.fix:
            lines.append(f"      {'':<13} fix: {c.fix}")
    count = len(report.problems)
    lines.append(f"gitorch doctor: {count} problem{'s' if count != 1 else ''}" if count
                 else "gitorch doctor: no problems")
    return "\n".join(lines) + "\n"
