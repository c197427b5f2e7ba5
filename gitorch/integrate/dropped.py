"""Nothing lost: every team's losing versions kept in a commit under
``refs/gitorch/dropped/<run-id>/<team>`` and in ``<report dir>/dropped/<team>.patch``."""

from __future__ import annotations

from pathlib import Path

from gitorch import repo as git
from gitorch.integrate.runstate import Lost, RunState
from gitorch.manifest import TeamName
from gitorch.manifest.pathnames import shown
from gitorch.records import Dropped

DROPPED_PREFIX = "refs/gitorch/dropped"


def save_dropped(repo: git.Repository, state: RunState, *, report_dir: Path | None,
                 dry_run: bool) -> tuple[Dropped, ...]:
    """Keep every team's losing versions in a commit (ref unless dry run) and a patch file."""
    by_team: dict[TeamName, dict[str, Lost]] = {}
    for lost in state.lost:
        by_team.setdefault(lost.team, {})[lost.path] = lost
    if not by_team:
        return ()
    final_tree = git.tree_of(repo, state.chain)
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
            target.write_bytes(git.tree_patch(repo, final_tree, tree))
            patch = str(target)
        if not dry_run:
            git.update_ref(repo, ref, commit, git.ref_target(repo, ref),
                        f"gitorch integrate {state.run_id}")
        saved_as = ref if not dry_run else (patch or f"(dry run: commit {git.short(commit)})")
        out.extend(Dropped(team, p, saved_as, x.reason, patch) for p, x in items.items())
    return tuple(out)

