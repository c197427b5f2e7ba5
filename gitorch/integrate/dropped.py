"""Nothing lost: every team's losing versions, kept in a commit under
``refs/gitorch/dropped/<run-id>/<team>`` and in a patch for ``git apply``.

The commit's tree is the integration tree with the team's versions of its lost paths
(parents: the integration tip and the team's head). The patch, applied on the integration
branch, adds back what was lost without removing what won: a text file lost hunk by
hunk becomes git's union merge of the integration's file and the lost version against
their base (the lost lines next to the winner's); any other lost path gets the losing
version itself (a deleted file, a binary, a whole-file conflict, an out-of-scope change).
"""

from __future__ import annotations

import re
from pathlib import Path

from gitorch import repo as git
from gitorch.integrate.hunks import Lineage
from gitorch.integrate.runstate import Lost, RunState
from gitorch.manifest import TeamName
from gitorch.manifest.pathnames import shown
from gitorch.records import Dropped

DROPPED_PREFIX = "refs/gitorch/dropped"
_PLAIN = re.compile(r"[A-Za-z0-9._/+@=,-]+")   # names a patch header needs no quoting for


def save_dropped(repo: git.Repository, state: RunState, *, report_dir: Path | None,
                 dry_run: bool, lineage: Lineage | None = None) -> tuple[Dropped, ...]:
    """Keep every team's losing versions in a commit (ref unless dry run) and a patch file.
    ``lineage``: the run's blobs read so far (a cache)."""
    by_team: dict[TeamName, dict[str, Lost]] = {}
    for lost in state.lost:
        by_team.setdefault(lost.team, {})[lost.path] = lost
    if not by_team:
        return ()
    final_tree = git.tree_of(repo, state.chain)
    lineage = lineage or Lineage(repo)   # blobs read once (base and final versions recur)
    out: list[Dropped] = []
    for team, items in by_team.items():
        tree = git.tree_with(repo, final_tree, {p: x.entry for p, x in items.items()})
        head = state.heads.get(team)
        body = "\n".join(f"- {shown(p)}: {x.reason}" for p, x in items.items())
        commit = git.write_commit(
            repo, tree, [state.chain, *([head] if head else [])],
            f"Changes of team {team} that did not reach {state.integration_ref}\n\n"
            f"gitorch integrate run {state.run_id}:\n{body}\n")
        ref = f"{DROPPED_PREFIX}/{state.run_id}/{team}"
        patch: str | None = None
        if report_dir is not None:
            target = report_dir / "dropped" / f"{team}.patch"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(_patch(lineage, final_tree, items))
            patch = str(target)
        if not dry_run:
            git.update_ref(repo, ref, commit, git.ref_target(repo, ref),
                           f"gitorch integrate {state.run_id}")
        saved_as = ref if not dry_run else (patch or f"(dry run: commit {git.short(commit)})")
        out.extend(Dropped(team, p, saved_as, x.reason, patch) for p, x in items.items())
    return tuple(out)


def _patch(lineage: Lineage, final_tree: git.Oid, items: dict[str, Lost]) -> bytes:
    """The team's patch on the integration tree: union texts for hunks lost, else the
    losing versions (one tree diff for those)."""
    repo = lineage.repo
    whole: dict[str, git.Entry | None] = {}
    texts: list[bytes] = []
    for path, lost in items.items():
        union = _union(lineage, final_tree, lost)
        if union is None:
            whole[path] = lost.entry
        elif union[0] != union[1] and _PLAIN.fullmatch(path):
            texts.append(git.text_patch(path, *union))
        elif union[0] != union[1]:   # a name git quotes: the tree diff writes it right
            assert lost.entry is not None
            whole[path] = git.Entry(path, git.create_blob(repo, union[1]), lost.entry.mode)
    head = git.tree_patch(repo, final_tree, git.tree_with(repo, final_tree, whole)) \
        if whole else b""
    return head + b"".join(texts)


def _union(lineage: Lineage, final_tree: git.Oid, lost: Lost) -> tuple[bytes, bytes] | None:
    """(the integration's file, it with the lost lines added back) for a text conflict
    lost hunk by hunk; None when the losing version itself is what to restore."""
    if lost.ancestor is None or lost.entry is None:
        return None
    repo = lineage.repo
    now = git.tree_entry(repo, final_tree, lost.path)
    if now is None or now.mode != lost.entry.mode or now.oid == lost.entry.oid:
        return None
    pieces = git.merge_text(repo, lost.ancestor, now, lost.entry, lineage.data)
    if pieces is None:
        return None
    return lineage.data(now.oid), git.union_text(pieces).encode()
