"""A small fake of each coding agent, written from their documented hook protocols and
independent of gitorch's own code: it reads the files the agent reads in a worktree, runs
the hook commands configured there exactly as written (``sh -c``, the event as JSON on
stdin), and acts on the answer as the agent does before it writes a file or runs a command.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SETTINGS = {"claude": [".claude/settings.json", ".claude/settings.local.json"],
            "codex": [".codex/hooks.json"], "gemini": [".gemini/settings.json"],
            "cursor": [".cursor/hooks.json"]}
PRE = {"claude": "PreToolUse", "codex": "PreToolUse", "gemini": "BeforeTool",
       "cursor": "preToolUse"}
POST = {"claude": "PostToolUse", "codex": "PostToolUse", "gemini": "AfterTool"}
STOP = {"claude": "Stop", "codex": "Stop", "gemini": "AfterAgent", "cursor": "stop"}
WRITE_TOOL = {"claude": "Write", "codex": "apply_patch", "gemini": "write_file", "cursor": "Write"}
SHELL_TOOL = {"claude": "Bash", "codex": "Bash", "gemini": "run_shell_command"}


@dataclass
class FakeAgent:
    kind: str
    worktree: Path
    told: list[str] = field(default_factory=list)     # what hooks said to the agent

    # -- what it reads at start

    def instructions(self) -> str:
        w = self.worktree
        if self.kind == "claude":
            text = (w / "CLAUDE.local.md").read_text()
            return re.sub(r"^@(\S+)$", lambda m: (w / m.group(1)).read_text(), text, flags=re.M)
        if self.kind == "codex":
            for name in ("AGENTS.override.md", "AGENTS.md"):    # one file per directory
                if (w / name).is_file():
                    return (w / name).read_text()
            return ""
        if self.kind == "gemini":
            names = json.loads((w / ".gemini/settings.json").read_text())["context"]["fileName"]
            return "\n".join((w / n).read_text() for n in names if (w / n).is_file())
        if self.kind == "cursor":
            out = []
            for rule in sorted((w / ".cursor" / "rules").glob("*.mdc")):
                head, body = rule.read_text().split("\n---\n", 1)
                if yaml.safe_load(head.removeprefix("---\n")).get("alwaysApply") is True:
                    out.append(body)
            return "\n".join(out)
        conf = yaml.safe_load((w / ".aider.conf.yml").read_text())   # aider
        return "\n".join((w / n).read_text() for n in conf["read"])

    # -- the hooks

    def _groups(self, event: str) -> list[dict[str, Any]]:
        out = []
        for rel in SETTINGS[self.kind]:
            path = self.worktree / rel
            if path.is_file():
                out.extend(json.loads(path.read_text()).get("hooks", {}).get(event, []))
        return out

    def _matches(self, matcher: str | None, tool: str) -> bool:
        if not matcher or matcher == "*":
            return True
        if self.kind == "claude" and re.fullmatch(r"[\w|, -]+", matcher):
            return tool in re.split(r"[|,]\s*", matcher)
        return re.search(matcher, tool) is not None

    def _commands(self, event: str, tool: str) -> list[str]:
        if self.kind == "cursor":
            return [g["command"] for g in self._groups(event)
                    if self._matches(g.get("matcher"), tool)]
        return [h["command"] for g in self._groups(event) if self._matches(g.get("matcher"), tool)
                for h in g["hooks"] if h.get("type") == "command"]

    def _fire(self, event: str, tool: str, payload: dict[str, Any]) -> str | None:
        """Run the hooks; the reason if one of them blocks."""
        payload = {**payload, "hook_event_name": event}
        for command in self._commands(event, tool):
            proc = subprocess.run(["sh", "-c", command], input=json.dumps(payload),
                                  cwd=self.worktree, capture_output=True, text=True)
            if proc.returncode == 2:
                return proc.stderr.strip()
            if proc.returncode != 0:
                continue                       # a non-blocking error: the tool runs
            answer = json.loads(proc.stdout) if proc.stdout.strip() else {}
            said = (answer.get("hookSpecificOutput", {}).get("permissionDecisionReason")
                    if answer.get("hookSpecificOutput", {}).get("permissionDecision") == "deny"
                    else None)
            if said or answer.get("decision") in ("deny", "block"):
                return said or answer.get("reason")
            if answer.get("permission") == "deny":
                return str(answer.get("agent_message"))
            for key in ("followup_message", "systemMessage"):
                if answer.get(key):
                    self.told.append(answer[key])
            context = answer.get("hookSpecificOutput", {}).get("additionalContext")
            if context:
                self.told.append(context)
        return None

    def _base(self) -> dict[str, Any]:
        if self.kind == "cursor":
            return {"conversation_id": "fake", "workspace_roots": [str(self.worktree)]}
        return {"session_id": "fake", "cwd": str(self.worktree)}

    # -- its tools

    def write(self, rel: str, text: str) -> str | None:
        """Write ``rel`` with the agent's edit tool; the refusal, or None once written."""
        target = self.worktree / rel
        if self.kind == "codex":
            patch = f"*** Begin Patch\n*** Add File: {rel}\n+{text}\n*** End Patch\n"
            tool_input: dict[str, Any] = {"command": patch}
        elif self.kind == "cursor":
            tool_input = {"file_path": str(target), "contents": text}
        else:
            tool_input = {"file_path": str(target), "content": text}
        tool = WRITE_TOOL[self.kind]
        refused = self._fire(PRE[self.kind], tool,
                             {**self._base(), "tool_name": tool, "tool_input": tool_input})
        if refused is None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        return refused

    def shell(self, command: str) -> str | None:
        """Run ``command`` with the agent's shell tool; the refusal, or None once run."""
        if self.kind == "cursor":
            refused = self._fire("beforeShellExecution", "",
                                 {**self._base(), "command": command, "cwd": str(self.worktree)})
        else:
            tool = SHELL_TOOL[self.kind]
            refused = self._fire(PRE[self.kind], tool, {**self._base(), "tool_name": tool,
                                                        "tool_input": {"command": command}})
        if refused is not None:
            return refused
        subprocess.run(["sh", "-c", command], cwd=self.worktree, capture_output=True)
        if self.kind in POST:
            tool = SHELL_TOOL[self.kind]
            blocked = self._fire(POST[self.kind], tool, {**self._base(), "tool_name": tool,
                                                         "tool_input": {"command": command}})
            if blocked:
                self.told.append(blocked)
        return None

    def stop(self) -> str | None:
        """The turn ends; what a stop hook sends the agent back to do, if anything."""
        before = len(self.told)
        blocked = self._fire(STOP[self.kind], "", {**self._base(), "stop_hook_active": False})
        return blocked or ("\n".join(self.told[before:]) or None)
