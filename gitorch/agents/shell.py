"""Shell commands an agent runs: what the guard refuses before, and reports after, each one.

Before (best effort, read from the command text): ``--no-verify`` and ``git commit -n``
(they skip the commit hooks), any mention of ``core.hooksPath`` (swapping the hooks out),
``git config`` of ``gitorch.*`` or ``extensions.worktreeConfig``, ``git push`` of any
branch but the team's own (``--all``, ``--mirror``, ``--tags`` and deletions included),
``git update-ref``, and output redirections (``>``, ``>>``, ``tee``) into paths the team may
not write. What a command builds at run time (variables, ``eval``, scripts, aliases,
programs that write files themselves) is not seen here: after the command, the guard
lists the files it changed outside the team's scope (``out_of_scope_changes``), the
worktree's commit hooks refuse them at commit, and the server refuses them at push.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from gitorch.agents.compact import CompactPolicy

_SEPARATORS = {";", "&&", "||", "|", "&", "\n", "(", ")", "|&", ";;", "`", "$"}
_REDIRECTS = {">", ">>", ">|", "&>", "&>>"}
_WRAPPERS = {"sudo", "env", "command", "exec", "nohup", "time", "nice", "xargs", "builtin"}
# git's global options that take a separate value
_GIT_VALUE_OPTIONS = {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path",
                      "--super-prefix", "--config-env"}
# git commit's short options that take a value: in a cluster, what follows is that value
_COMMIT_VALUE_SHORTS = set("mFcCtS")
_PUSH_VALUE_OPTIONS = {"-o", "--push-option", "--repo", "--receive-pack", "--exec"}


_PUNCTUATION = "();<>|&\n"
_BLANKS = " \t\r"
_QUOTES = "'\""
# what only shlex reads right: escapes and comments (and anything beyond ASCII)
_SHLEX_ONLY = frozenset("\\#")


def tokens(command: str) -> list[str]:
    """The command's words and operators, as ``shlex`` reads them in POSIX mode with the
    shell's punctuation (a run of ``();<>|&`` and newlines is one token, quotes join)."""
    if not command.isascii() or not _SHLEX_ONLY.isdisjoint(command):
        return _shlex_tokens(command)
    # the common command, read without shlex (which imports re): shlex's own states
    out: list[str] = []
    token = ""
    state = " "         # " " between tokens, "a" in a word, "c" in punctuation, or a quote
    for char in command:
        if state in _QUOTES:
            if char == state:
                state = "a"
            else:
                token += char
        elif char in _BLANKS:
            if state != " ":
                out.append(token)
            token, state = "", " "
        elif char in _QUOTES:
            if state == "c":
                out.append(token)
                token = ""
            state = char
        elif char in _PUNCTUATION:
            if state == "c":
                token += char
            else:
                if state == "a":
                    out.append(token)
                token, state = char, "c"
        elif state == "c":
            out.append(token)
            token, state = char, "a"
        else:
            token, state = token + char, "a"
    if state in _QUOTES:
        return command.split()      # an unclosed quote: shlex gives up, so do we
    if state != " ":
        out.append(token)
    return out


def _shlex_tokens(command: str) -> list[str]:
    import shlex

    lex = shlex.shlex(command, posix=True, punctuation_chars=_PUNCTUATION)
    lex.whitespace = _BLANKS
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError:          # an unclosed quote: read what can be read
        return command.split()


def simple_commands(command: str) -> Iterator[list[str]]:
    """The simple commands of a command line: words between ``;``, ``&&``, ``|``, ..."""
    current: list[str] = []
    for token in tokens(command):
        if token in _SEPARATORS or token.startswith("`"):
            if current:
                yield current
            current = []
            if token.startswith("`") and len(token) > 2:
                yield from simple_commands(token.strip("`"))
        else:
            current.append(token)
    if current:
        yield current


class ShellContext:
    __slots__ = ("cwd", "judge_write", "policy", "team")

    def __init__(self, team: str, policy: CompactPolicy, cwd: str,
                 judge_write: Callable[[str], str | None]):
        self.team = team
        self.policy = policy
        self.cwd = cwd
        self.judge_write = judge_write      # a path the command writes -> why not, or None


def command_problems(command: str, ctx: ShellContext) -> list[str]:
    """Why the guard refuses ``command`` (empty: it lets it run)."""
    problems: list[str] = []
    lowered = command.lower()
    if "--no-verify" in lowered:
        problems.append("'--no-verify' skips the commit hooks that check your scope")
    if "hookspath" in lowered:
        problems.append("'core.hooksPath' would swap out the hooks that check your scope")
    for words in simple_commands(command):
        problems.extend(_simple_problems(words, ctx))
    return list(dict.fromkeys(problems))


def _simple_problems(words: list[str], ctx: ShellContext) -> list[str]:
    problems: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word in _REDIRECTS and i + 1 < len(words):
            why = ctx.judge_write(words[i + 1])
            if why:
                problems.append(f"the redirection '{word} {words[i + 1]}': {why}")
            i += 2
            continue
        i += 1
    argv = [w for j, w in enumerate(words)
            if w not in _REDIRECTS and not (j > 0 and words[j - 1] in _REDIRECTS)
            and w not in ("<", "<<", "<<<", ">&", "<&")]
    while argv and (("=" in argv[0] and not argv[0].startswith("=")) or argv[0] in _WRAPPERS
                    or (argv[0].startswith("-") and argv[0] != "-")):
        argv = argv[1:]        # FOO=1 git ..., env -i git ..., sudo -u x git ...
    if not argv:
        return problems
    name = os.path.basename(argv[0])
    if name == "tee":
        for target in (a for a in argv[1:] if not a.startswith("-")):
            why = ctx.judge_write(target)
            if why:
                problems.append(f"'tee {target}': {why}")
    elif name == "git":
        problems.extend(_git_problems(argv[1:], ctx))
    return problems


def _git_problems(args: list[str], ctx: ShellContext) -> list[str]:
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GIT_VALUE_OPTIONS else 1
    if i >= len(args):
        return []
    sub, rest = args[i], args[i + 1:]
    if sub == "commit" and _commit_skips_hooks(rest):
        return ["'git commit -n' skips the commit hooks that check your scope"]
    if sub == "config":
        keys = [a.lower() for a in rest if not a.startswith("-")][:1]
        if keys and (keys[0].startswith("gitorch.") or keys[0] == "extensions.worktreeconfig"):
            return [f"'git config {keys[0]}' changes how gitorch guards this worktree"]
    if sub == "push":
        return _push_problems(rest, ctx)
    if sub == "update-ref":
        refs = [a for a in rest if not a.startswith("-")][:1]
        own = f"refs/heads/{ctx.policy.branch(ctx.team)}"
        if refs and refs[0] != own:
            return [f"'git update-ref {refs[0]}' moves a ref that is not your team branch"]
    return []


def _commit_skips_hooks(args: list[str]) -> bool:
    for arg in args:
        if arg == "--":
            return False
        if arg.startswith("-") and not arg.startswith("--"):
            for char in arg[1:]:
                if char == "n":
                    return True
                if char in _COMMIT_VALUE_SHORTS:
                    break
    return False


def _push_problems(args: list[str], ctx: ShellContext) -> list[str]:
    own = ctx.policy.branch(ctx.team)
    problems = []
    positional = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _PUSH_VALUE_OPTIONS:
            skip = True
        elif arg in ("--all", "--mirror", "--tags", "--branches"):
            problems.append(f"'git push {arg}' pushes more than your team branch {own}")
        elif arg in ("-d", "--delete", "--prune"):
            problems.append(f"'git push {arg}' deletes branches on the server")
        elif arg.startswith("-"):
            continue
        else:
            positional.append(arg)
    for spec in positional[1:]:
        src, colon, dst = spec.lstrip("+").partition(":")
        if colon and not src:
            problems.append(f"'git push {spec}' deletes {dst} on the server")
            continue
        target = dst if colon else src
        if target in ("HEAD", "@") or (not colon and src in ("HEAD", "@")):
            continue        # the checked-out branch: the team's own (the guard checks the place)
        target = target.removeprefix("refs/heads/")
        if target != own:
            problems.append(f"'git push ... {spec}' pushes {target}, which is not your team "
                            f"branch {own}")
    return problems


# --------------------------------------------------------------------------- after a command


class Changed:
    __slots__ = ("owner", "path", "status")

    def __init__(self, path: str, owner: str, status: str):
        self.path = path
        self.owner = owner
        self.status = status    # git status's two letters: "??" untracked, "A " staged new ...

    def __repr__(self) -> str:
        return f"Changed({self.path!r}, {self.owner!r}, {self.status!r})"


def out_of_scope_changes(root: str, team: str, compiled: CompactPolicy) -> list[Changed]:
    """Files changed in the worktree at ``root`` (staged, unstaged or new) that ``team`` may
    not change: what ``git status`` lists, both sides of a rename included."""
    import subprocess  # here: a command judged before it runs starts no process

    proc = subprocess.run(["git", "status", "--porcelain=v1", "-z", "--untracked-files=all",
                           "--no-renames", "--ignore-submodules=none"],
                          cwd=root, capture_output=True, env=_status_env())
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["failed"]
        raise OSError(f"git status in {root}: {reason[0]}")
    out: list[Changed] = []
    for entry in proc.stdout.decode("utf-8", errors="surrogateescape").split("\0"):
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]
        if not compiled.may_change(team, path):
            out.append(Changed(path, compiled.owner_of(path), status))
    return out


def _status_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR")}


def revert_advice(changed: list[Changed]) -> list[str]:
    """The commands that undo ``changed``: restore what HEAD has, remove what it lacks."""
    untracked = [c.path for c in changed if c.status == "??"]
    added = [c.path for c in changed if c.status[0] == "A"]
    known = [c.path for c in changed if c.status != "??" and c.status[0] != "A"]
    lines = []
    if known:
        lines.append("git restore --source=HEAD --staged --worktree -- " + _quoted(known))
    if added:
        lines.append("git rm -f -q -- " + _quoted(added))
    if untracked:
        lines.append("rm -- " + _quoted(untracked))
    return lines


def _quoted(paths: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(p) for p in paths)
