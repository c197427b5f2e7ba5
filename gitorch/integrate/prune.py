"""``gitorch prune``: remove the refs of old runs' dropped changes, keep the newest runs."""

from __future__ import annotations

from dataclasses import dataclass

from gitorch import repo as git
from gitorch.errors import UsageError

DROPPED = "refs/gitorch/dropped/"
DEFAULT_KEEP = 10


@dataclass(frozen=True)
class Pruned:
    kept: tuple[str, ...]           # run ids, newest first
    removed: tuple[str, ...]        # run ids, newest first
    refs_removed: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"kept": list(self.kept), "removed": list(self.removed),
                "refs_removed": list(self.refs_removed)}


def prune_dropped(repo: git.Repository, *, keep: int = DEFAULT_KEEP,
                  dry_run: bool = False) -> Pruned:
    """Delete ``refs/gitorch/dropped/<run-id>/*`` of all but the ``keep`` newest runs.

    Run ids begin with the run's UTC time (``20261125T120000Z-ab12``), so their order is
    the runs' order. Each ref is deleted only if it still points where it did when listed.
    """
    if keep < 0:
        raise UsageError(f"--keep must be 0 or more, not {keep}", hint="pass --keep N with N >= 0")
    by_run: dict[str, list[tuple[str, git.Oid]]] = {}
    for name, target in git.refs_under(repo, DROPPED):
        run = name[len(DROPPED):].split("/", 1)[0]
        by_run.setdefault(run, []).append((name, target))
    runs = sorted(by_run, reverse=True)
    kept, removed = runs[:keep], runs[keep:]
    gone = []
    for run in removed:
        for name, target in by_run[run]:
            if not dry_run:
                git.delete_ref(repo, name, target)
            gone.append(name)
    return Pruned(tuple(kept), tuple(removed), tuple(gone))
