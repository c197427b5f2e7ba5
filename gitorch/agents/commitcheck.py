"""The worktree's commit hooks: what is staged, judged against the base branch's manifest.

``pre-commit`` and ``prepare-commit-msg`` in a team worktree run
``python -I -S .../gitorch/guard.py commit``; ``git commit --no-verify`` skips the first but not
the second. The staged paths are read with ``--no-renames`` (a rename changes both of its
paths); while a merge is being concluded, a path counts only where the staged content
differs from every parent (the server's rule for merge commits). The team is the one
whose branch the worktree has checked out, the policy the one the guard uses.
"""

from __future__ import annotations

import os
import subprocess

from gitorch.agents.compact import POLICY_FILE
from gitorch.agents.guard import ADVICE, Outcome, finish
from gitorch.agents.locate import checkout_of
from gitorch.agents.policy import Policies


def main() -> None:
    finish(run())


def run() -> Outcome:
    try:
        return check(os.getcwd())
    except Exception as exc:    # fail closed: the commit is refused, in one line
        first = (str(exc).splitlines() or [""])[0]
        return Outcome(1, "", f"gitorch: commit refused: internal error in the check: "
                              f"{type(exc).__name__}: {first}\n")


def check(cwd: str) -> Outcome:
    found = checkout_of(os.path.realpath(cwd))
    if found is None:
        return Outcome(0)
    place = Policies().place(found)
    policy = place.policy
    if not policy.governed:
        return Outcome(0)
    rules = policy.compact
    if rules is None:
        return Outcome(1, "", f"gitorch: commit refused: no readable policy ({policy.source}: "
                              f"{policy.problem})\n")
    team = place.team
    if team is None:
        if place.misplaced is not None:
            return Outcome(1, "", f"gitorch: commit refused: this is team {place.misplaced}'s "
                                  f"worktree; switch back to "
                                  f"{rules.branch(place.misplaced)} first\n")
        return Outcome(0)       # the main checkout: the server judges integrators' branches
    paths = staged(found.root, found.git_dir)
    bad = [(p, "integrators (the policy)" if p == POLICY_FILE else rules.owner_of(p))
           for p in paths if not rules.may_change(team, p)]
    if not bad:
        return Outcome(0)
    branch = rules.branch(team)
    lines = [f"gitorch: commit refused: {len(bad)} staged path{'s' if len(bad) != 1 else ''} "
             f"outside team {team}'s scope ({branch}; policy: {policy.source})"]
    lines += [f"    {p}  (owner: {'nobody (no team owns it)' if o == '-' else o})"
              for p, o in bad]
    owners = sorted({o for _, o in bad if o not in ("-", "shared")})
    on = f" --on {owners[0]}" if len(owners) == 1 else ""
    lines.append("  what to do: unstage them (git restore --staged PATH...) and leave them to "
                 "their owners; if your work needs them, " + ADVICE.format(on=on))
    return Outcome(1, "", "\n".join(lines) + "\n")


def staged(root: str, git_dir: str) -> list[str]:
    """The paths the commit being made changes (both sides of a rename); during a merge,
    those whose staged content differs from every parent."""
    paths = _diff(root, "HEAD")
    if paths is None:                       # no commit yet: everything staged is new
        paths = _diff(root, None) or []
    merging = os.path.join(git_dir, "MERGE_HEAD")
    try:
        with open(merging, encoding="utf-8") as fh:
            heads = [line.strip() for line in fh if line.strip()]
    except OSError:
        heads = []
    for head in heads:
        other = set(_diff(root, head) or [])
        paths = [p for p in paths if p in other]
    return paths


def _diff(root: str, rev: str | None) -> list[str] | None:
    args = ["git", "diff-index", "--cached", "--name-only", "--no-renames", "-z",
            rev or _empty_tree(root), "--"]
    proc = subprocess.run(args, cwd=root, capture_output=True)
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def _empty_tree(root: str) -> str:
    proc = subprocess.run(["git", "hash-object", "-t", "tree", "--stdin"], cwd=root,
                          input=b"", capture_output=True)
    return proc.stdout.decode().strip()
