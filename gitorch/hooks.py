"""Git hooks: writing the hook files, and the entry they call (``python -m gitorch.hooks KIND``).

The entry avoids click, rich and pygit2: a pre-receive hook runs on every push, so it
imports only the manifest records and the rules, and reads the repository through git
itself (``gitorch.hookgit``). It fails closed: any fault, ours or the environment's,
refuses the push (or commit) with one line.

Hook scripts are thin ``/bin/sh`` files that ``exec`` the Python that installed them
with ``-I`` (isolated: no PYTHONPATH, no user site), so a pusher's environment cannot
swap the code that judges the push.
"""

from __future__ import annotations

import os
import pickle
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gitorch.errors import GitorchError, ManifestError, UsageError
from gitorch.manifest import Manifest

if TYPE_CHECKING:
    from gitorch.hookgit import Git
    from gitorch.receive import Policy
    from gitorch.scope import CompiledOwnership

HOOK_MARK = "# gitorch-hook:"
SERVER_HOOKS = ("pre-receive",)
LOCAL_HOOKS = ("pre-commit", "pre-push")

_SCRIPT = """\
#!/bin/sh
{mark} {kind} (written by 'gitorch hooks install'; reinstall rather than edit)
# Runs gitorch with the Python that installed it. If that Python or gitorch is gone,
# exec fails and git refuses the {what}: the hook fails closed.
exec {python} -I -m gitorch.hooks {kind}{extra} "$@"
"""


def hook_script(kind: str, python: str, policy: Path | None = None) -> str:
    """The text of hook ``kind`` running ``python`` (and pinning ``policy`` for pre-receive)."""
    extra = f" --policy {shlex.quote(str(policy))}" if policy is not None else ""
    what = "push" if kind in ("pre-receive", "pre-push") else "commit"
    return _SCRIPT.format(mark=HOOK_MARK, kind=kind, python=shlex.quote(python), extra=extra,
                          what=what)


@dataclass(frozen=True)
class Installed:
    path: Path
    replaced: bool      # an earlier gitorch hook was rewritten


def _write_hook(path: Path, text: str, force: bool) -> Installed:
    replaced = False
    if path.exists() or path.is_symlink():
        try:
            current = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            current = ""
        if HOOK_MARK not in current and not force:
            raise UsageError(f"{path} exists and was not written by gitorch",
                             hint="move it away (or chain it yourself) or pass --force to replace it")
        replaced = True
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.gitorch-tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o755)
    tmp.replace(path)       # atomic: a push arriving now sees the old hook or the new one
    return Installed(path=path, replaced=replaced)


def install_server(bare: Path, *, policy: Path | None = None, force: bool = False,
                   python: str | None = None) -> Installed:
    """Write ``BARE/hooks/pre-receive``. A pinned policy must exist and validate now."""
    from gitorch import repo as git
    from gitorch.manifest import load_manifest

    repo = git.open_repo(bare)
    if not repo.is_bare:
        raise UsageError(f"{bare} is not a bare repository",
                         hint="pass the shared server repository (created with 'git init --bare')")
    pinned = None
    if policy is not None:
        pinned = policy.resolve()
        load_manifest(pinned)
    hooks_dir = git.git_path(Path(repo.path), "hooks")     # honours core.hooksPath
    return _write_hook(hooks_dir / "pre-receive",
                       hook_script("pre-receive", python or sys.executable, pinned), force)


def policy_problem(bare: Path, policy: Path | None = None) -> str | None:
    """Why the hook would find no readable policy in ``bare`` now, or None when it would."""
    from gitorch.hookgit import Git

    with Git(str(bare)) as repo:
        found = server_policy(repo, policy.resolve() if policy is not None else None)
    return None if found.manifest is not None else f"{found.source}: {found.problem}"


def install_local(root: Path, *, force: bool = False, python: str | None = None) -> list[Installed]:
    """Write pre-commit and pre-push into the clone's hooks directory (core.hooksPath aware)."""
    from gitorch import repo as git

    hooks_dir = git.git_path(root, "hooks")
    return [_write_hook(hooks_dir / kind, hook_script(kind, python or sys.executable), force)
            for kind in LOCAL_HOOKS]


# --------------------------------------------------------------------------- policies


def server_policy(repo: Git, pinned: Path | None) -> Policy:
    """The policy of a server repository: the pinned file, else gitorch.yaml at the base tip.

    The base is ``git config gitorch.base`` when set, else the branch HEAD names, else
    ``main`` or ``master`` (servers such as gitolite create repositories with HEAD at
    ``master``), whichever exists first; a manifest naming another existing base wins.
    """
    from gitorch.manifest import load_manifest
    from gitorch.receive import Policy

    if pinned is not None:
        try:
            return Policy(load_manifest(pinned), str(pinned), pinned=True)
        except ManifestError as exc:
            return Policy(None, str(pinned), pinned=True, problem=_first(exc))
    configured = repo.config("gitorch.base")
    candidates = [configured] if configured else [repo.head_branch() or "main", "main", "master"]
    base = next((b for b in candidates if repo.branch(b) is not None), candidates[0])
    source = f"gitorch.yaml on {base}"
    for _ in range(2):      # HEAD (or gitorch.base) names the base; its manifest may name another
        commit = repo.branch(base)
        source = f"gitorch.yaml on {base}"
        if commit is None:
            return Policy(None, source, problem=f"the base branch {base} does not exist yet")
        try:
            manifest, compiled = cached_manifest(repo, commit)
        except ManifestError as exc:
            return Policy(None, source, problem=_first(exc))
        if manifest.base == base or repo.branch(manifest.base) is None:
            return Policy(manifest, source, compiled=compiled)
        base = manifest.base
    return Policy(None, source, problem="HEAD and gitorch.yaml disagree on the base branch")


def cached_manifest(repo: Git, commit: str) -> tuple[Manifest, CompiledOwnership]:
    """The validated manifest of ``commit`` and its compiled scopes, from a cache keyed by
    the manifest's blob id when possible.

    Parsing and validating (pairwise scope overlaps) and importing YAML and pathspec cost
    more than everything else the hook does for a small push, and the base's manifest
    rarely changes. The cache lives inside the server repository (``gitorch-cache/``):
    whoever can write there can rewrite the hooks anyway. Any problem reading or writing
    it falls back to parsing.
    """
    from gitorch.receive import manifest_at
    from gitorch.scope import CompiledOwnership

    found = repo.blob(commit, "gitorch.yaml")
    if found is None:
        manifest = manifest_at(repo, commit)
        return manifest, CompiledOwnership(manifest.ownership)
    cache = Path(repo.git_dir) / "gitorch-cache" / f"policy-{_code_stamp()}-{found[0]}.pickle"
    try:
        with cache.open("rb") as fh:
            loaded = pickle.load(fh)
        if (isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[0], Manifest)
                and isinstance(loaded[1], CompiledOwnership)
                and all(hasattr(loaded[1], a) for a in ("ancestors", "_stages"))):
            return loaded[0], loaded[1]
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError,
            ValueError):
        pass    # no cache yet, or an unusable one: parse
    manifest = manifest_at(repo, commit)
    compiled = CompiledOwnership(manifest.ownership)
    try:
        cache.parent.mkdir(exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
        with tmp.open("wb") as fh:
            # without the cached Ownership: its pathspec objects are what the cache avoids
            pickle.dump((_without_ownership(manifest), compiled), fh,
                        protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)
        for old in cache.parent.glob("policy-*.pickle"):
            if old != cache:
                old.unlink(missing_ok=True)
    except (OSError, pickle.PickleError, TypeError, AttributeError):
        pass    # a read-only repository: no cache, still correct
    return manifest, compiled


def _code_stamp() -> str:
    """Changes whenever gitorch's code changes (upgrade, reinstall, a merge in a checkout),
    so that a cache pickled by other code is never read back."""
    import hashlib

    from gitorch import __version__

    here = Path(__file__).parent
    parts = [__version__]
    for name in ("manifest.py", "ownership.py", "scope.py", "hooks.py", "receive.py"):
        try:
            st = (here / name).stat()
            parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{name}:?")
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def _without_ownership(manifest: Manifest) -> Manifest:
    import dataclasses

    return dataclasses.replace(manifest)    # a copy whose cached_property is not filled yet


def _first(exc: ManifestError) -> str:
    return exc.problems[0] if exc.problems else str(exc)


# --------------------------------------------------------------------------- the entry


def pre_receive(args: Sequence[str], stdin: TextIO, out: TextIO,
                env: Mapping[str, str]) -> int:
    from gitorch import hookgit

    text = stdin.read()
    git_dir = env.get("GIT_DIR") or "."
    # git works out the new commits while Python loads the manifest and the rules.
    started = hookgit.start_for_push(git_dir, text)

    from gitorch import receive

    pinned = None
    if args[:1] == ["--policy"] and len(args) >= 2:
        pinned = Path(args[1])
    elif args:
        raise UsageError(f"unexpected arguments {' '.join(args)}")
    updates = receive.parse_updates(text)
    with hookgit.Git(git_dir) as repo:
        policy = server_policy(repo, pinned)
        verdicts = receive.judge_push(repo, policy, updates, receive.identity(env),
                                      started=started)
    if policy.manifest is None and not any(v.accepted for v in verdicts):
        out.write(f"gitorch: push rejected: no readable policy in {policy.source}: "
                  f"{policy.problem}; {receive.NO_POLICY_ADVICE}\n")
        return 1
    lines = receive.render(verdicts)
    if lines:
        out.write("\n".join(lines) + "\n")
    return 0 if all(v.accepted for v in verdicts) else 1


def pre_push(args: Sequence[str], stdin: TextIO, out: TextIO, env: Mapping[str, str]) -> int:
    """The server's check, run before the push on what it would send (identity rules aside:
    the client cannot know the name the server will see)."""
    from gitorch import hookgit, receive
    from gitorch import repo as git

    remote = args[0] if args else "origin"
    handle = git.open_repo(os.getcwd())
    updates = []
    for line in stdin.read().splitlines():
        parts = line.split()
        if len(parts) == 4:
            updates.append(receive.RefUpdate(old=parts[3], new=parts[1], ref=parts[2]))
    if not updates:
        return 0
    known = [str(o) for o in git.ref_tips_under(handle, f"refs/remotes/{remote}/")]
    known += [str(c.id) for u in updates if not u.created
              for c in (git.commit_of(handle, u.old),) if c is not None]
    with hookgit.Git(handle.path) as repo:
        policy = client_policy(repo, git.repo_root(handle), remote)
        if policy.manifest is None:
            out.write(f"gitorch: push not checked: no readable policy ({policy.problem})\n")
            return 0
        verdicts = receive.judge_push(repo, policy, updates, receive.identity(env),
                                      check_identity=False, exclude=known)
    if all(v.accepted for v in verdicts):
        return 0
    lines = receive.render(verdicts, verbose_accept=False)
    lines[-1] = "gitorch: push stopped before sending: the server would refuse it"
    out.write("\n".join(lines) + "\n")
    return 1


def client_policy(repo: Git, root: Path, remote: str) -> Policy:
    """gitorch.yaml at the remote's base branch as last fetched, else the checkout's own."""
    from gitorch.manifest import find_manifest, load_manifest
    from gitorch.receive import Policy, manifest_at

    local: Manifest | None = None
    problem = ""
    try:
        local = load_manifest(find_manifest(root, None))
    except ManifestError as exc:
        problem = _first(exc)
    commit = repo.commit(f"refs/remotes/{remote}/{local.base if local else 'main'}")
    if commit is not None:
        try:
            return Policy(manifest_at(repo, commit), f"gitorch.yaml on {remote}")
        except ManifestError:
            pass    # the checkout's own manifest is the next best guess
    if local is not None:
        return Policy(local, str(local.path))
    return Policy(None, "gitorch.yaml", problem=problem)


def pre_commit(args: Sequence[str], stdin: TextIO, out: TextIO, env: Mapping[str, str]) -> int:
    """Refuse a commit whose staged paths leave the checked-out team's scope."""
    from gitorch import repo as git
    from gitorch.hookgit import Git
    from gitorch.manifest import find_manifest, load_manifest
    from gitorch.receive import ScopeJudge, describe
    from gitorch.scope import Violation

    repo = git.open_repo(os.getcwd())
    root = git.repo_root(repo)
    branch = git.symbolic_head(repo)
    manifest = load_manifest(find_manifest(root, None))
    team = manifest.team_of_branch(branch) if branch else None
    if team is None:
        return 0    # not a team branch: integrators' branches are the server's to judge
    judge = ScopeJudge(Git(repo.path), manifest)
    bad = [p for p in git.staged_paths(root) if not judge.may_change(team, p)]
    if not bad:
        return 0
    out.write(f"gitorch: commit refused: {len(bad)} staged path{'s' if len(bad) != 1 else ''} "
              f"outside team {team}'s scope ({branch})\n")
    for path in bad:
        out.write(f"    {describe(Violation('', '', path, judge.owner(path)))}\n")
    out.write("  what to do: unstage them (git restore --staged PATH...) and leave them to "
              "their owners; 'gitorch owner PATH' tells who owns a path\n")
    return 1


ENTRIES = {"pre-receive": pre_receive, "pre-push": pre_push, "pre-commit": pre_commit}


def run(argv: Sequence[str], stdin: TextIO, out: TextIO, env: Mapping[str, str]) -> int:
    """Run hook ``argv[0]``; every failure becomes one line and a refusal (exit 1)."""
    kind = argv[0] if argv else ""
    what = "commit" if kind == "pre-commit" else "push"
    try:
        entry = ENTRIES.get(kind)
        if entry is None:
            raise UsageError(f"unknown hook {kind!r}", hint=f"one of {', '.join(ENTRIES)}")
        return entry(list(argv[1:]), stdin, out, env)
    except ManifestError as exc:
        out.write(f"gitorch: {what} rejected: bad policy: {_first(exc)}\n")
    except GitorchError as exc:
        out.write(f"gitorch: {what} rejected: {exc}\n")
    except KeyboardInterrupt:
        out.write(f"gitorch: {what} rejected: interrupted\n")
    except BaseException as exc:    # fail closed: whatever broke, the answer is no, in one line
        first = (str(exc).splitlines() or [""])[0]
        out.write(f"gitorch: {what} rejected: internal error in the hook: "
                  f"{type(exc).__name__}: {first}\n")
    return 1


def main() -> None:
    from gitorch.process import leave, short_lived

    short_lived()
    leave(run(sys.argv[1:], sys.stdin, sys.stderr, os.environ))


if __name__ == "__main__":
    main()
