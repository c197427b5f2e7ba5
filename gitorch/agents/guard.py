"""The edit-time guard: the command the agents' hook settings call before (and after) a tool.

``python -I -S .../gitorch/guard.py --agent claude|codex|gemini|cursor`` (or ``gitorch guard``)
reads one hook event as JSON on stdin. Before a tool runs it takes the paths the tool
would write (``file_path``, ``notebook_path``, the file headers of a Codex patch, moves
included, the path arguments of well-known MCP write tools), resolves them (relative to
the event's ``cwd``, ``..``, symlinks, ``\\``), finds the checkout each lies in and, from
that checkout's branch, the team whose worktree it is; the rule is the server's (own
paths, sub-teams' paths, shared paths, never the policy file; a new file's case or
Unicode twin of a path the team may not change: ``gitorch.agents.twins``) applied to the
manifest at the tip of the base branch, compiled for the guard
(``gitorch.agents.policy``, ``gitorch.agents.compact``). Also refused: a write into
another team's worktree or into the main checkout from a team worktree, and a write to a
control file (``.git/``, the agents' settings directories, ``GITORCH.md``...). A path
in no team worktree is allowed. A refusal is given in both documented forms at once: the
agent's JSON decision on stdout, and exit 2 with the reason on stderr. Shell commands are
read by ``gitorch.agents.shell``; after one (and when the agent stops) the guard lists the files
changed outside the team's scope. Any fault refuses, in one line (fail closed).
"""

from __future__ import annotations

import os
import sys

from gitorch.agents import jsonio as json
from gitorch.agents.compact import POLICY_FILE, SHARED
from gitorch.agents.locate import checkout_of, inside, relative, resolve
from gitorch.agents.policy import Place, Policies, cache_dir

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, TextIO

AGENTS = ("claude", "codex", "gemini", "cursor")
PRE, POST, STOP = "pre", "post", "stop"
EVENTS = {
    "PreToolUse": PRE, "BeforeTool": PRE, "preToolUse": PRE, "beforeShellExecution": PRE,
    "PostToolUse": POST, "AfterTool": POST, "postToolUse": POST, "afterShellExecution": POST,
    "Stop": STOP, "SubagentStop": STOP, "AfterAgent": STOP, "stop": STOP,
    "beforeMCPExecution": PRE,
}
WRITE_TOOLS = frozenset({
    "Write", "Edit", "MultiEdit", "NotebookEdit",               # Claude Code
    "apply_patch", "ApplyPatch",                                # Codex
    "write_file", "replace", "edit",                            # Gemini CLI
    "StrReplace", "Delete", "EditNotebook", "TabWrite",         # Cursor
})
SHELL_TOOLS = frozenset({"Bash", "PowerShell", "run_shell_command", "Shell", "shell",
                         "exec_command", "local_shell"})
# the write tools of well-known MCP servers: tool -> its arguments naming a path written
# (True) or a path that goes away (False, a move's source). Claude Code names them
# mcp__<server>__<tool> (mcp__plugin_<plugin>_<server>__<tool> from a plugin)
MCP_WRITE_TOOLS: dict[str, tuple[tuple[str, bool], ...]] = {
    # the reference filesystem server (modelcontextprotocol/servers), Desktop Commander
    "write_file": (("path", True),), "edit_file": (("path", True),),
    "create_directory": (("path", True),), "move_file": (("source", False), ("destination", True)),
    "edit_block": (("file_path", True),),                   # Desktop Commander
    # Serena (paths relative to its project: the worktree, when the agent starts there)
    **{name: (("relative_path", True),) for name in (
        "create_text_file", "replace_content", "replace_regex", "replace_symbol_body",
        "insert_after_symbol", "insert_before_symbol", "replace_lines", "delete_lines",
        "insert_at_line")},
}
PATH_KEYS = ("file_path", "notebook_path", "path", "target_file", "filePath",
             "target_notebook", "absolute_path")
# a Codex patch's file headers: (header, what it does to the file: write, or delete)
PATCH_HEADERS = (("*** Add File: ", True), ("*** Update File: ", True),
                 ("*** Delete File: ", False), ("*** Move to: ", True))
CONTROL_DIRS = (".git", ".claude", ".codex", ".gemini", ".cursor", ".gitorch")
CONTROL_FILES = ("GITORCH.md", "CLAUDE.local.md", "AGENTS.override.md", ".aider.conf.yml")
ADVICE = ("record it with `gitorch signal blocked --reason \"<what you need>\"{on}` and go on "
          "with other work; do not work around it with a shell command")
SHELL_ADVICE = ("What to do: run the command without that part. Commit through the "
                "worktree's hooks and push only your team branch; if you need more, record it "
                "with `gitorch signal blocked --reason \"<what you need>\"`.")
MAX_LISTED = 12


class _Record:
    """A plain record with slots (a NamedTuple would import ``typing``: see ``locate``)."""

    __slots__: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__)

    __hash__ = None  # type: ignore[assignment]


class Target(_Record):
    __slots__ = ("follow", "path")

    def __init__(self, path: str, follow: bool = True):
        self.path = path            # as the agent gave it
        self.follow = follow        # False: the file itself goes (a deletion, a move's source)


class Event(_Record):
    __slots__ = ("agent", "command", "cwd", "kind", "name", "stop_hook_active", "targets",
                 "tool", "unreadable")

    def __init__(self, agent: str, kind: str, name: str, tool: str, cwd: str,
                 targets: tuple[Target, ...] = (), command: str | None = None,
                 stop_hook_active: bool = False, unreadable: str | None = None):
        self.agent = agent
        self.kind = kind                    # PRE, POST or STOP
        self.name = name                    # the hook event's own name
        self.tool = tool
        self.cwd = cwd
        self.targets = targets
        self.command = command
        self.stop_hook_active = stop_hook_active
        self.unreadable = unreadable        # a write whose target cannot be told


class Outcome(_Record):
    __slots__ = ("code", "stderr", "stdout")

    def __init__(self, code: int, stdout: str = "", stderr: str = ""):
        self.code = code
        self.stdout = stdout
        self.stderr = stderr


class Refusal(_Record):
    __slots__ = ("advice", "owner", "place", "team", "text")

    def __init__(self, text: str, owner: str | None = None, team: str | None = None,
                 place: Place | None = None, advice: str | None = None):
        self.text = text
        self.owner = owner          # the team that owns the path, for '--on'
        self.team = team            # the team whose scope was applied
        self.place = place
        self.advice = advice        # what to do instead, when the general advice does not fit


# --------------------------------------------------------------------------- reading events


def parse_event(agent: str, raw: str, default_cwd: str) -> Event:
    """The event an agent sent. ValueError when it is no JSON object."""
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("the hook input is no JSON object")
    name = str(data.get("hook_event_name") or "PreToolUse")
    kind = EVENTS.get(name, PRE)
    cwd = data.get("cwd")
    if not isinstance(cwd, str) or not cwd:
        roots = data.get("workspace_roots")
        cwd = roots[0] if isinstance(roots, list) and roots and isinstance(roots[0], str) \
            else default_cwd
    tool = str(data.get("tool_name") or ("Shell" if name == "beforeShellExecution" else ""))
    tool_input = data.get("tool_input")
    if isinstance(tool_input, str):
        try:
            tool_input = json.loads(tool_input)
        except ValueError:
            tool_input = {"command": tool_input}
    if not isinstance(tool_input, dict):
        tool_input = {}
    stop_active = bool(data.get("stop_hook_active")) or int(data.get("loop_count") or 0) >= 3
    command = _command_of(tool_input.get("command", data.get("command")))
    if tool in SHELL_TOOLS or name in ("beforeShellExecution", "afterShellExecution"):
        for key in ("dir_path", "directory", "workdir", "cwd"):
            where = tool_input.get(key)
            if isinstance(where, str) and where:
                cwd = os.path.join(cwd, where)
                break
        targets = tuple(_patch_targets(command or ""))
        return Event(agent, kind, name, tool or "Shell", cwd, targets, command or "", stop_active)
    mcp = mcp_tool(tool, name)
    if mcp is not None:
        arguments = MCP_WRITE_TOOLS.get(mcp)
        if arguments is None:
            return Event(agent, kind, name, tool, cwd, stop_hook_active=stop_active)
        targets = tuple(Target(v, follow=writes) for key, writes in arguments
                        for v in (tool_input.get(key),) if isinstance(v, str) and v)
        missing = None if len(targets) == len(arguments) or kind != PRE else \
            f"cannot tell which files this {tool} writes (no {arguments[0][0]!r} in its input)"
        return Event(agent, kind, name, tool, cwd, targets, None, stop_active, missing)
    if tool not in WRITE_TOOLS:
        return Event(agent, kind, name, tool, cwd, stop_hook_active=stop_active)
    found = [Target(v, follow=tool != "Delete") for k in PATH_KEYS
             for v in (tool_input.get(k),) if isinstance(v, str) and v]
    for key in ("command", "patch", "input"):
        text = _command_of(tool_input.get(key))
        if text:
            found.extend(_patch_targets(text))
    unreadable = None if found or kind != PRE else \
        f"cannot tell which file this {tool} writes (no file path in its input)"
    return Event(agent, kind, name, tool, cwd, tuple(found), None, stop_active, unreadable)


def mcp_tool(tool: str, event_name: str) -> str | None:
    """The MCP tool's own name (``write_file`` of ``mcp__filesystem__write_file``), or None
    when the tool is no MCP tool."""
    if tool.startswith("mcp__") and "__" in tool[5:]:
        return tool.rsplit("__", 1)[1]
    if tool.startswith("MCP:"):
        return tool.rsplit(":", 1)[1]
    if event_name == "beforeMCPExecution":      # Cursor names the server's tool alone
        return tool
    return None


def _command_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if len(value) >= 3 and value[1] in ("-c", "-lc", "-ic"):
            return str(value[2])       # ["bash", "-lc", "..."]
        return " ".join(value)
    return None


def _patch_targets(text: str) -> list[Target]:
    out = []
    for line in text.splitlines():
        for header, writes in PATCH_HEADERS:
            if line.startswith(header):
                out.append(Target(line[len(header):].strip(), follow=writes))
    return out


# --------------------------------------------------------------------------- judging


class Guard:
    """Judges the paths and commands of one event against the policies of their checkouts."""

    def __init__(self, cwd: str):
        self.policies = Policies()
        self.cwd = resolve(cwd, os.getcwd())
        home = checkout_of(self.cwd)
        self.home: Place | None = self.policies.place(home) if home is not None else None

    def judge_path(self, raw: str, *, follow: bool = True) -> Refusal | None:
        """Why the agent may not write ``raw`` (relative to the event's cwd), or None."""
        path = resolve(raw, self.cwd, follow_last=follow)
        home = self.home
        if home is not None and home.team is not None \
                and inside(path, home.checkout.common_dir):
            return Refusal(f"{path} is inside the repository's git directory: agents do not "
                           "edit it", team=home.team)
        checkout = checkout_of(path)
        if checkout is None:
            return None
        place = self.policies.place(checkout)
        policy = place.policy
        if not policy.governed:
            return None
        rel = relative(path, checkout.root)
        same_repo = home is not None and home.checkout.common_dir == checkout.common_dir
        mine = home is not None and home.checkout.root == checkout.root
        team_tree = place.team is not None or place.misplaced is not None
        if _is_control(rel) and (team_tree or (same_repo and home is not None
                                               and home.team is not None)):
            return Refusal(f"{rel or path} is a control file of gitorch or of your agent "
                           f"({checkout.root}): agents do not edit it, so that the checks "
                           "stay in place", team=place.team or (home.team if home else None))
        rules = policy.compact
        if rules is None:
            return Refusal(f"no readable gitorch policy ({policy.source}: {policy.problem}); "
                           "ask the integrators to fix gitorch.yaml on the base branch")
        if place.misplaced is not None:
            branch = checkout.branch or "a detached HEAD"
            return Refusal(f"the worktree {checkout.root} belongs to team {place.misplaced} but "
                           f"has {branch} checked out; switch it back first: git -C "
                           f"{checkout.root} switch {rules.branch(place.misplaced)}",
                           team=place.misplaced, place=place)
        if place.team is None:
            if same_repo and home is not None and home.team is not None:
                return Refusal(f"{path} is in the main checkout ({checkout.root}), not in "
                               f"team {home.team}'s worktree ({home.checkout.root})"
                               + _instead(home, rel), team=home.team, place=home)
            return None
        if same_repo and not mine and home is not None and home.team is not None:
            return Refusal(f"{path} is in team {place.team}'s worktree ({checkout.root}); team "
                           f"{home.team} works only in {home.checkout.root}"
                           + _instead(home, rel),
                           owner=place.team if place.team != home.team else None,
                           team=home.team, place=home)
        if rules.may_change(place.team, rel):
            return self._twin(place, rel)
        if rel == POLICY_FILE:
            return Refusal(f"{rel} is the policy: only the integrators change it, on the base "
                           "branch", team=place.team, place=place)
        owner = rules.owner_of(rel)
        whose = "belongs to no team (only the integrators change it)" if owner == "-" \
            else f"is owned by team {owner}"
        return Refusal(f"{rel} {whose}, not by team {place.team}",
                       owner=owner if owner not in ("-", SHARED) else None, team=place.team,
                       place=place)

    def _twin(self, place: Place, rel: str) -> Refusal | None:
        """A new file whose path equals, case-folded and NFC-normalised, one the team may not
        change (in the worktree or on the base branch): the server's rule for an added path."""
        from gitorch.agents import twins

        rules = place.policy.compact
        if rules is None or place.team is None:
            return None
        new, others = twins.on_disk(place.checkout.root, rel)
        if not new:
            return None
        tip = place.policy.tip
        if tip is not None:
            others += twins.in_tree(place.policy.common_dir,
                                    cache_dir(place.policy.common_dir), tip, rel)
        for other in sorted(set(others)):
            if other != rel and not rules.may_change(place.team, other):
                owner = rules.owner_of(other)
                whose = "no team's (only the integrators change it)" if owner == "-" \
                    else f"team {owner}'s"
                return Refusal(f"{rel} differs from {other} ({whose}) only in letter case or "
                               "Unicode normalisation: on a case-insensitive or normalising file "
                               "system the two are one file, so the server refuses it; choose "
                               "another name",
                               owner=owner if owner not in ("-", SHARED) else None,
                               team=place.team, place=place)
        return None

    def judge_command(self, command: str) -> list[Refusal]:
        from gitorch.agents import shell

        home = self.home
        if home is None or not home.policy.governed:
            return []
        if home.policy.compact is None:
            return [Refusal(f"no readable gitorch policy ({home.policy.source}: "
                            f"{home.policy.problem}); ask the integrators to fix gitorch.yaml "
                            "on the base branch")]
        if home.team is None:
            return []
        refusals: list[Refusal] = []

        def judge_write(raw: str) -> str | None:
            found = self.judge_path(raw)
            if found is not None:
                refusals.append(found)
                return found.text
            return None

        ctx = shell.ShellContext(home.team, home.policy.compact,
                                 self.cwd, judge_write)
        problems = shell.command_problems(command, ctx)
        written = {r.text for r in refusals}
        extra = [Refusal(p, team=home.team, place=home, advice=SHELL_ADVICE)
                 for p in problems if not any(w in p for w in written)]
        return refusals + extra


def _instead(home: Place, rel: str) -> str:
    rules = home.policy.compact
    if home.team is None or rules is None or _is_control(rel) or not rel \
            or not rules.may_change(home.team, rel):
        return ""
    return f" (edit {os.path.join(home.checkout.root, rel)} there instead)"


def _is_control(rel: str) -> bool:
    first = rel.split("/", 1)[0]
    return first in CONTROL_DIRS or rel in CONTROL_FILES


def refusal_message(refusals: Sequence[Refusal]) -> str:
    """What the agent reads: each refused path or command, what the team may write, what to do."""
    lines = [f"gitorch: refused: {r.text}." for r in refusals]
    scoped = next((r for r in refusals if r.team is not None and r.place is not None), None)
    if scoped is not None and scoped.place is not None and scoped.team is not None:
        lines.append(may_write_line(scoped.place, scoped.team))
    owners = sorted({r.owner for r in refusals if r.owner})
    on = f" --on {owners[0]}" if len(owners) == 1 else ""
    if all(r.advice for r in refusals):
        lines.append(refusals[0].advice or "")
    else:
        lines.append("What to do: keep your changes inside your team's paths (see GITORCH.md). "
                     "If your work needs this, " + ADVICE.format(on=on) + ".")
    return "\n".join(lines)


def may_write_line(place: Place, team: str) -> str:
    rules = place.policy.compact
    if rules is None or team not in rules.teams:
        return ""
    owns = list(rules.teams[team])
    text = ", ".join(owns[:MAX_LISTED]) + (f" (and {len(owns) - MAX_LISTED} more)"
                                            if len(owns) > MAX_LISTED else "")
    shared = list(rules.shared)
    if shared:
        text += "; shared: " + ", ".join(shared[:MAX_LISTED]) + \
            (" ..." if len(shared) > MAX_LISTED else "")
    return f"Team {team} may write: {text}."


# --------------------------------------------------------------------------- answering


def decide(event: Event) -> Outcome:
    """The answer to one event, in the agent's own format."""
    if event.kind == PRE and not (event.targets or event.command or event.unreadable):
        return allow(event)        # a tool that writes nothing (a read, a search): no policy
    guard = Guard(event.cwd)
    if event.kind == PRE:
        refusals = [Refusal(event.unreadable)] if event.unreadable else []
        refusals += [r for t in event.targets
                     for r in (guard.judge_path(t.path, follow=t.follow),) if r is not None]
        if event.command:
            refusals += guard.judge_command(event.command)
        if not refusals:
            return allow(event)
        return deny(event, refusal_message(list({r.text: r for r in refusals}.values())))
    return after(event, guard)


def after(event: Event, guard: Guard) -> Outcome:
    """After a shell command, or when the agent stops: the files it changed out of scope."""
    from gitorch.agents import shell

    home = guard.home
    if home is None or home.team is None or home.policy.compact is None:
        return allow(event)
    changed = shell.out_of_scope_changes(home.checkout.root, home.team, home.policy.compact)
    if not changed:
        return allow(event)
    listed = [f"    {c.path}  ({'no team: integrators only' if c.owner == '-' else c.owner})"
              for c in changed[:MAX_LISTED]]
    if len(changed) > MAX_LISTED:
        listed.append(f"    ... and {len(changed) - MAX_LISTED} more")
    owners = sorted({c.owner for c in changed if c.owner not in ("-", SHARED)})
    on = f" --on {owners[0]}" if len(owners) == 1 else ""
    message = "\n".join([
        f"gitorch: {len(changed)} file{'s' if len(changed) != 1 else ''} in this worktree "
        f"changed outside team {home.team}'s scope:", *listed,
        "Revert them now (the commit hooks and the server refuse them anyway):",
        *(f"    {line}" for line in shell.revert_advice(changed)),
        "If your work needs these changes, " + ADVICE.format(on=on) + "."])
    return notify(event, message)


def allow(event: Event) -> Outcome:
    # nothing for Claude and Codex: an "allow" decision would skip their permission prompts
    return Outcome(0, "{}\n" if event.agent in ("gemini", "cursor") else "")


def deny(event: Event, message: str) -> Outcome:
    if event.agent == "gemini":
        out: dict[str, Any] = {"decision": "deny", "reason": message}
    elif event.agent == "cursor":
        out = {"permission": "deny", "user_message": message, "agent_message": message}
    else:
        out = {"hookSpecificOutput": {"hookEventName": event.name,
                                      "permissionDecision": "deny",
                                      "permissionDecisionReason": message}}
    return Outcome(2, json.dumps(out) + "\n", message + "\n")


def notify(event: Event, message: str) -> Outcome:
    """Tell the agent what it changed out of scope, in the way each agent listens then."""
    if event.agent == "cursor":         # stop: a follow-up message starts another turn
        return Outcome(0, json.dumps({} if event.stop_hook_active
                                     else {"followup_message": message}) + "\n")
    if event.agent == "gemini":
        if event.kind == STOP and not event.stop_hook_active:
            return Outcome(2, json.dumps({"decision": "deny", "reason": message}) + "\n",
                           message + "\n")
        return Outcome(0, json.dumps({"systemMessage": message, "hookSpecificOutput": {
            "hookEventName": event.name, "additionalContext": message}}) + "\n")
    if event.kind == STOP and event.stop_hook_active:
        # told once already: do not hold the agent in a loop; the commit hooks still refuse
        return Outcome(0, json.dumps({"systemMessage": message}) + "\n")
    return Outcome(2, json.dumps({"decision": "block", "reason": message}) + "\n",
                   message + "\n")


# --------------------------------------------------------------------------- the entry


def run(argv: Sequence[str], stdin: TextIO) -> Outcome:
    """``--agent A``: answer the hook event on ``stdin``."""
    args = list(argv)
    agent = "claude"
    if "--agent" in args:
        at = args.index("--agent")
        agent = args[at + 1] if at + 1 < len(args) else ""
    elif any(a.startswith("--agent=") for a in args):
        agent = next(a for a in args if a.startswith("--agent="))[len("--agent="):]
    if agent not in AGENTS:
        return Outcome(2, "", f"gitorch: refused: unknown agent {agent!r} (one of "
                              f"{', '.join(AGENTS)})\n")
    raw = stdin.read()
    try:
        event = parse_event(agent, raw, os.getcwd())
    except ValueError as exc:
        return fault(agent, f"cannot read the hook input: {exc}", PRE)
    try:
        return decide(event)
    except Exception as exc:   # fail closed: whatever broke, the edit is refused, in one line
        first = (str(exc).splitlines() or [""])[0]
        return fault(agent, f"internal error in the guard: {type(exc).__name__}: {first}",
                     event.kind, event.name)


def fault(agent: str, why: str, kind: str, name: str = "PreToolUse") -> Outcome:
    message = f"gitorch: refused: {why}"
    if kind != PRE:
        return Outcome(1, "", message + "\n")    # after the fact: nothing left to refuse
    return deny(Event(agent, PRE, name, "", ""), message)


def main() -> None:
    import gc

    gc.disable()        # a short process (see gitorch.process)
    finish(run(sys.argv[1:], sys.stdin))


def finish(outcome: Outcome) -> None:
    """Print the outcome and end the process with its code, without the interpreter's
    teardown (nothing here starts a thread or leaves a file open)."""
    code = outcome.code
    try:
        sys.stdout.write(outcome.stdout)
        sys.stderr.write(outcome.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):       # the agent closed the pipe: refuse all the same
        code = code or 2
    os._exit(code)
