"""The hooks' entry (``python -m gitorch.hooks KIND``): pre-receive, pre-push, pre-commit.

The entry avoids click, rich and pygit2 on the pre-receive path: a pre-receive hook runs
on every push, so it imports only the manifest records and the rules, and reads the
repository through git itself (``gitorch.enforce.gitread``). It fails closed: any fault,
ours or the environment's, refuses the push (or commit) with one line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from gitorch.errors import GitorchError, ManifestError, UsageError
from gitorch.ids import ObjectId
from gitorch.manifest import DEFAULT_MANIFEST, Manifest

if TYPE_CHECKING:
    from gitorch.enforce.gitread import Git
    from gitorch.enforce.receive import Policy, RefUpdate, Verdict
    from gitorch.manifest.scope import CompiledOwnership


# --------------------------------------------------------------------------- policies


def server_policy(repo: Git, pinned: Path | None,
                  moved: Mapping[str, str | None] | None = None) -> Policy:
    """The policy of a server repository: the pinned file, else gitorch.yaml at the base tip.

    The base is ``git config gitorch.base`` when set, else the branch HEAD names, else
    ``main`` or ``master`` (servers such as gitolite create repositories with HEAD at
    ``master``), whichever exists first; a manifest naming another existing base wins,
    if that base's manifest names itself (else the policy is ambiguous: none).

    ``moved`` (branch -> new tip, None for a deletion): the policy the server would read
    once a push has moved those branches. The answer's ``consulted`` lists every branch
    whose tip went into it: a push that moves none of them leaves the policy as it is.
    """
    from gitorch.enforce.receive import Policy
    from gitorch.manifest.loading import load_manifest

    if pinned is not None:
        try:
            return Policy(load_manifest(pinned), str(pinned), pinned=True)
        except ManifestError as exc:
            return Policy(None, str(pinned), pinned=True, problem=_first(exc))
    consulted: dict[str, None] = {}

    def tip(branch: str) -> str | None:
        consulted[branch] = None
        if moved is not None and branch in moved:
            new = moved[branch]
            return repo.commit(new) if new is not None else None
        return repo.branch(branch)

    def seen() -> frozenset[str]:
        return frozenset(consulted)

    configured = repo.config("gitorch.base")
    candidates = [configured] if configured else [repo.head_branch() or "main", "main", "master"]
    base = next((b for b in candidates if tip(b) is not None), candidates[0])
    route: list[str] = []
    for _ in range(2):      # HEAD (or gitorch.base) names the base; its manifest may name another
        commit = tip(base)
        source = f"gitorch.yaml on {base}"
        if commit is None:
            return Policy(None, source, problem=f"the base branch {base} does not exist yet",
                          consulted=seen())
        try:
            manifest, compiled = cached_manifest(repo, commit)
        except ManifestError as exc:
            return Policy(None, source, problem=_first(exc), consulted=seen())
        route.append(f"gitorch.yaml on {base} names {manifest.base}")
        if manifest.base == base or tip(manifest.base) is None:
            return Policy(manifest, source, compiled=compiled, branch=base, consulted=seen())
        base = manifest.base
    who = f"gitorch.base ({configured})" if configured else "HEAD"
    return Policy(None, source, problem=f"{who} and gitorch.yaml disagree on the base branch: "
                  f"{', '.join(route)}", consulted=seen())


POLICY_MOVE_ADVICE = (
    "the server reads gitorch.yaml on the branch HEAD names (else main, else master), then on "
    "the base that file names if that branch exists, which must name itself; push so that "
    "this ends in a valid gitorch.yaml (a new base starts from a commit whose gitorch.yaml "
    "names it)")


def keep_policy(repo: Git, policy: Policy, updates: Sequence[RefUpdate],
                verdicts: list[Verdict]) -> list[Verdict]:
    """``verdicts``, with the refs refused that would leave the server without a readable
    policy: the policy the server would read after the push is decided now, on the refs
    the push would leave, by ``server_policy`` itself. Only a push that moves a branch the
    policy was read through (or a push while there is none) can change it."""
    from dataclasses import replace

    if policy.pinned or not any(v.accepted for v in verdicts):
        return verdicts
    moved = {u.ref[len("refs/heads/"):]: (None if u.deleted else u.new) for u in updates
             if u.ref.startswith("refs/heads/")}
    if policy.manifest is not None and not moved.keys() & policy.consulted:
        return verdicts
    after = server_policy(repo, None, moved)
    if after.manifest is not None:
        return verdicts
    blamed = moved.keys() & (policy.consulted | after.consulted) or moved.keys()
    refs = {f"refs/heads/{b}" for b in blamed}
    reason = (f"after this push the server would have no readable policy in {after.source}: "
              f"{after.problem}")
    return [replace(v, accepted=False, reason=reason, violations=(), advice=POLICY_MOVE_ADVICE)
            if v.ref in refs else v for v in verdicts]


def cached_manifest(repo: Git, commit: str) -> tuple[Manifest, CompiledOwnership]:
    """The validated manifest of ``commit`` and its compiled scopes, through the one
    manifest cache (``gitorch.manifest.cache``) kept inside the server repository
    (``gitorch-cache/``)."""
    from gitorch.enforce.receive import manifest_at
    from gitorch.manifest import cache

    found = repo.blob(commit, DEFAULT_MANIFEST)
    if found is None:
        manifest_at(repo, commit)       # raises: no manifest in this commit
    assert found is not None
    entry = cache.cached(Path(repo.git_dir) / "gitorch-cache", found[0],
                         lambda: manifest_at(repo, commit))
    return entry.manifest, entry.compiled


def _first(exc: ManifestError) -> str:
    return exc.problems[0] if exc.problems else str(exc)


# --------------------------------------------------------------------------- the entry


def pre_receive(args: Sequence[str], stdin: TextIO, out: TextIO,
                env: Mapping[str, str]) -> int:
    from gitorch.enforce import gitread as hookgit

    text = stdin.read()
    git_dir = env.get("GIT_DIR") or "."
    # git works out the new commits while Python loads the manifest and the rules.
    started = hookgit.start_for_push(git_dir, text)

    from gitorch.enforce import receive

    pinned = None
    if args[:1] == ["--policy"] and len(args) >= 2:
        pinned = Path(args[1])
    elif args:
        raise UsageError(f"unexpected arguments {' '.join(args)}")
    updates = receive.parse_updates(text)
    with hookgit.Git(git_dir) as repo:
        policy = server_policy(repo, pinned)
        judged = receive.judge_push(repo, policy, updates, receive.identity(env),
                                    started=started)
        verdicts = keep_policy(repo, policy, updates, judged)
    if policy.manifest is None and not any(v.accepted for v in judged):
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
    from gitorch import repo as git
    from gitorch.enforce import gitread as hookgit
    from gitorch.enforce import receive

    remote = args[0] if args else "origin"
    handle = git.open_repo(os.getcwd())
    updates = []
    for line in stdin.read().splitlines():
        parts = line.split()
        if len(parts) == 4:
            updates.append(receive.RefUpdate(old=ObjectId(parts[3]), new=ObjectId(parts[1]), ref=parts[2]))
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
    from gitorch.enforce.receive import Policy, manifest_at
    from gitorch.manifest.loading import find_manifest, load_manifest

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
    from gitorch.enforce.commits import Violation
    from gitorch.enforce.gitread import Git
    from gitorch.enforce.receive import ScopeJudge, describe
    from gitorch.manifest.loading import find_manifest, load_manifest

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
        out.write(f"    {describe(Violation(ObjectId(''), '', path, judge.owner(path)))}\n")
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

