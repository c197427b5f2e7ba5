"""Play an agent: send a hook event through the commands a worktree's settings configure.

Reads the settings file the agent reads, picks the commands registered for the event and
tool the way the agent matches them, runs each exactly as written (``sh -c``, the event
as JSON on stdin, the worktree as the working directory) and reads the answer as the
agent does: exit 2 blocks with stderr as the reason, exit 0 hands over a JSON decision,
any other exit is a non-blocking error and the tool runs. ``gitorch doctor`` uses it to
catch a hook that silently does nothing (a moved Python, a mistyped path), and ``gitorch
demo`` to show a refusal at edit time.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitorch.agents.files import CLAUDE_LOCAL_SETTINGS, SETTINGS

_EXACT = re.compile(r"^[A-Za-z0-9_|, -]*$")


@dataclass(frozen=True)
class Reply:
    command: str
    code: int
    stdout: str
    stderr: str
    blocked: bool
    reason: str


def settings_file(agent: str, worktree: Path) -> Path | None:
    """The settings file of ``agent`` in ``worktree`` that gitorch writes, if there is one."""
    candidates = [SETTINGS[agent]] + ([CLAUDE_LOCAL_SETTINGS] if agent == "claude" else [])
    for rel in candidates:
        path = worktree / rel
        if path.is_file():
            return path
    return None


def matches(agent: str, matcher: str | None, tool: str) -> bool:
    if not matcher or matcher == "*":
        return True
    if agent == "claude" and _EXACT.match(matcher):
        return tool in re.split(r"[|,]", matcher.replace(" ", ""))
    try:
        return re.search(matcher, tool) is not None
    except re.error:
        return False


def commands(agent: str, data: dict[str, Any], event: str, tool: str) -> list[str]:
    """The command strings registered for ``event`` (and ``tool``) in settings ``data``."""
    hooks = data.get("hooks")
    entries = hooks.get(event) if isinstance(hooks, dict) else None
    out: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        matcher = entry.get("matcher")
        if tool and not matches(agent, matcher if isinstance(matcher, str) else None, tool):
            continue
        inner = entry.get("hooks") if agent != "cursor" else [entry]
        for hook in inner if isinstance(inner, list) else []:
            if isinstance(hook, dict) and isinstance(hook.get("command"), str):
                out.append(hook["command"])
    return out


def read_settings(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is no JSON object")
    return data


def run_command(agent: str, command: str, event: dict[str, Any], cwd: Path,
                timeout: float = 60.0) -> Reply:
    proc = subprocess.run(["sh", "-c", command], input=json.dumps(event), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)
    blocked, reason = read_answer(agent, proc.returncode, proc.stdout, proc.stderr)
    return Reply(command, proc.returncode, proc.stdout, proc.stderr, blocked, reason)


def read_answer(agent: str, code: int, stdout: str, stderr: str) -> tuple[bool, str]:
    """(blocked?, the reason the agent is shown), as the agent reads a hook's answer."""
    if code == 2:
        return True, stderr.strip()
    if code != 0:
        return False, stderr.strip()
    try:
        data = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        return False, ""
    if not isinstance(data, dict):
        return False, ""
    specific = data.get("hookSpecificOutput")
    if isinstance(specific, dict) and specific.get("permissionDecision") == "deny":
        return True, str(specific.get("permissionDecisionReason", ""))
    if data.get("decision") in ("deny", "block"):
        return True, str(data.get("reason", ""))
    if data.get("permission") == "deny":
        return True, str(data.get("agent_message") or data.get("user_message") or "")
    if data.get("followup_message"):
        return True, str(data["followup_message"])
    return False, ""


def replay(agent: str, worktree: Path, event: dict[str, Any]) -> list[Reply]:
    """Run every command ``agent``'s settings in ``worktree`` register for ``event``."""
    path = settings_file(agent, worktree)
    if path is None:
        return []
    data = read_settings(path)
    name = str(event.get("hook_event_name", ""))
    tool = str(event.get("tool_name", ""))
    return [run_command(agent, c, event, worktree) for c in commands(agent, data, name, tool)]


# --------------------------------------------------------------------------- sample events


def write_event(agent: str, worktree: Path, rel: str) -> dict[str, Any]:
    """The event ``agent`` sends before it writes ``rel`` in ``worktree``."""
    path = str(worktree / rel)
    base: dict[str, Any] = {"session_id": "gitorch-replay", "cwd": str(worktree)}
    if agent == "codex":
        patch = f"*** Begin Patch\n*** Add File: {rel}\n+x\n*** End Patch\n"
        return {**base, "hook_event_name": "PreToolUse", "tool_name": "apply_patch",
                "tool_input": {"command": patch}}
    if agent == "gemini":
        return {**base, "hook_event_name": "BeforeTool", "tool_name": "write_file",
                "tool_input": {"file_path": path, "content": "x\n"}}
    if agent == "cursor":
        return {"conversation_id": "gitorch-replay", "hook_event_name": "preToolUse",
                "workspace_roots": [str(worktree)], "tool_name": "Write",
                "tool_input": {"file_path": path, "contents": "x\n"}}
    return {**base, "hook_event_name": "PreToolUse", "tool_name": "Write",
            "tool_input": {"file_path": path, "content": "x\n"}}


def mcp_write_event(agent: str, worktree: Path, rel: str) -> dict[str, Any] | None:
    """The event ``agent`` sends before an MCP filesystem server writes ``rel``, where the
    settings gitorch writes send MCP writes to the guard (Claude Code, Cursor)."""
    path = str(worktree / rel)
    if agent == "claude":
        return {"session_id": "gitorch-replay", "cwd": str(worktree),
                "hook_event_name": "PreToolUse", "tool_name": "mcp__filesystem__write_file",
                "tool_input": {"path": path, "content": "x\n"}}
    if agent == "cursor":
        return {"conversation_id": "gitorch-replay", "hook_event_name": "beforeMCPExecution",
                "workspace_roots": [str(worktree)], "tool_name": "write_file",
                "tool_input": json.dumps({"path": path, "content": "x\n"})}
    return None


def shell_event(agent: str, worktree: Path, command: str) -> dict[str, Any]:
    """The event ``agent`` sends before it runs ``command`` in ``worktree``."""
    if agent == "cursor":
        return {"conversation_id": "gitorch-replay", "hook_event_name": "beforeShellExecution",
                "workspace_roots": [str(worktree)], "command": command, "cwd": str(worktree)}
    if agent == "gemini":
        return {"session_id": "gitorch-replay", "cwd": str(worktree),
                "hook_event_name": "BeforeTool", "tool_name": "run_shell_command",
                "tool_input": {"command": command}}
    return {"session_id": "gitorch-replay", "cwd": str(worktree), "hook_event_name": "PreToolUse",
            "tool_name": "Bash", "tool_input": {"command": command}}
