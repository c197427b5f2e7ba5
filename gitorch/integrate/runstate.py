"""The state of an integration run and its checkpoint under ``refs/gitorch/checkpoint``.

After each team, ``write_checkpoint`` records the run's state as a commit whose tree
holds ``state.json`` (run id, order, base, the team heads it started from, outcomes so
far, chain tip) and the lost versions (``lost/<n>``: entry n of the state's ``lost``),
and whose parent is the chain tip, so nothing the run made is garbage-collected. ``read_checkpoint`` reads it
back for ``gitorch integrate --resume``; ``chain_owners`` replays who changed what from
the chain's merge commits (not stored: the chain tells it again).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from gitorch import repo as git
from gitorch.errors import GitorchError, RepoError, UsageError
from gitorch.ids import ObjectId, object_id
from gitorch.manifest import Manifest, TeamName
from gitorch.records import Resolution, Skipped, TeamOutcome

CHECKPOINT_REF = "refs/gitorch/checkpoint"
STATE_VERSION = 1
BASE_OWNER = TeamName("(base)")   # who owns what no merged team changed: the base branch


@dataclass(frozen=True)
class Lost:
    """The losing version of one path (``entry`` None: the losing side deleted it)."""

    team: TeamName
    path: str
    entry: git.Entry | None
    reason: str
    # a text conflict lost hunk by hunk: the merge base's version (an empty file for an
    # add/add), so that the saved patch adds back the lost lines and removes none
    ancestor: git.Entry | None = None


@dataclass
class RunState:
    """Everything a killed run needs to go on; serialised into the checkpoint."""

    run_id: str
    fix: bool
    base_ref: str
    base: ObjectId
    integration_ref: str
    integration_old: ObjectId | None
    order: list[TeamName]
    heads: dict[TeamName, ObjectId | None]
    chain: ObjectId
    started: str
    outcomes: list[TeamOutcome] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    conflicts: list[Resolution] = field(default_factory=list)
    lost: list[Lost] = field(default_factory=list)
    owners: dict[str, list[TeamName]] = field(default_factory=dict)  # path -> teams that changed it, in order
    pending: dict[TeamName, str] = field(default_factory=dict)  # team -> why it will be skipped
    left_out: dict[TeamName, str] = field(default_factory=dict)  # --keep-green: team -> why
    resumed: bool = False
    lost_tree: tuple[int, ObjectId] | None = None  # (len(lost), tree of them) of the last checkpoint
    lost_index: git.GrowingTree | None = field(default=None, repr=False, compare=False)
    # to_json's encoded items: list name -> (the list encoded, one JSON text per item)
    _encoded: dict[str, tuple[list[Any], list[str]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def to_json(self) -> str:
        """The state as JSON; ``owners`` is left out (the chain's merges tell it again).

        The four lists only grow during a run: each item is encoded once and kept
        (``_encoded``), so a checkpoint per team costs the new items, not the whole run.
        """
        data = {
            "version": STATE_VERSION, "run_id": self.run_id, "fix": self.fix,
            "base_ref": self.base_ref, "base": self.base,
            "integration_ref": self.integration_ref, "integration_old": self.integration_old,
            "order": self.order, "heads": self.heads, "chain": self.chain,
            "started": self.started, "pending": self.pending, "left_out": self.left_out,
        }
        lists: dict[str, tuple[list[Any], Callable[[Any], dict[str, Any]]]] = {
            "outcomes": (self.outcomes, plain), "skipped": (self.skipped, plain),
            "conflicts": (self.conflicts, plain), "lost": (self.lost, _lost_plain)}
        parts = {k: json.dumps(v, sort_keys=True) for k, v in data.items()}
        for key, (items, encode) in lists.items():
            kept = self._encoded.get(key)
            if kept is None or kept[0] is not items or len(kept[1]) > len(items):
                kept = self._encoded[key] = (items, [])
            done = kept[1]
            done.extend(json.dumps(encode(x), sort_keys=True) for x in items[len(done):])
            parts[key] = "[" + ", ".join(done) + "]"
        # no indent: the C encoder, 10x faster; keys sorted as json.dumps(sort_keys) sorts
        return "{" + ", ".join(f"{json.dumps(k)}: {parts[k]}" for k in sorted(parts)) + "}"

    @classmethod
    def from_json(cls, text: str) -> RunState:
        data = json.loads(text)
        if data.pop("version", None) != STATE_VERSION:
            raise ValueError("unknown checkpoint version")
        data.setdefault("left_out", {})
        data["outcomes"] = [TeamOutcome(**{**o, "depends_on": tuple(o["depends_on"]),
                                           "target_loc": tuple(o["target_loc"])
                                           if o["target_loc"] else None})
                            for o in data["outcomes"]]
        data["skipped"] = [Skipped(**{**s, "paths": tuple(s["paths"])}) for s in data["skipped"]]
        data["conflicts"] = [Resolution(**{**c, "teams": tuple(c["teams"])})
                             for c in data["conflicts"]]
        data["lost"] = [Lost(**{**x, "entry": git.Entry(**x["entry"]) if x["entry"] else None,
                                "ancestor": git.Entry(**x["ancestor"]) if x.get("ancestor")
                                else None})
                        for x in data["lost"]]
        return cls(**data)


def _lost_plain(x: Lost) -> dict[str, Any]:
    return {"team": x.team, "path": x.path, "reason": x.reason,
            "entry": plain(x.entry) if x.entry else None,
            "ancestor": plain(x.ancestor) if x.ancestor else None}


def plain(record: Any) -> dict[str, Any]:
    """A flat frozen record as a dict (shallow: its fields are plain values or tuples)."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


def read_checkpoint(repo: git.Repository) -> RunState:
    """The state of the interrupted run (exit 2 when there is none or it cannot be read)."""
    target = git.ref_target(repo, CHECKPOINT_REF)
    if target is None:
        raise UsageError("no interrupted run to resume (no refs/gitorch/checkpoint)",
                         hint="start a run with 'gitorch integrate'")
    commit = git.resolve_commit(repo, str(target))
    blob = git.read_file(repo, commit, "state.json")
    try:
        return RunState.from_json((blob or b"").decode())
    except (ValueError, KeyError, TypeError) as exc:
        raise GitorchError(f"the checkpoint {git.short(target)} cannot be read: {exc}",
                           hint="start over with 'gitorch integrate'") from None


def write_checkpoint(repo: git.Repository, state: RunState, old: git.Oid | None) -> git.Oid:
    """Record ``state`` under CHECKPOINT_REF (compare-and-swap against ``old``)."""
    entries = [git.Entry("state.json", git.create_blob(repo, state.to_json().encode()), 0o100644)]
    if state.lost and (state.lost_tree is None or state.lost_tree[0] != len(state.lost)):
        grown = state.lost_index
        if grown is None or grown.count > len(state.lost):
            grown = state.lost_index = git.GrowingTree()
        kept = [replace(x.entry, path=str(i))
                for i, x in enumerate(state.lost[grown.count:], start=grown.count)
                if x.entry is not None and x.entry.mode != 0o160000]
        grown.count = len(state.lost)
        state.lost_tree = (len(state.lost), grown.add(repo, kept))
    if state.lost_tree is not None:  # the lost versions, reachable from the checkpoint
        entries.append(git.Entry("lost", state.lost_tree[1], 0o040000))
    tree = git.flat_tree(repo, entries)
    done = len(state.outcomes)
    commit = git.write_commit(repo, tree, [state.chain],
                              f"gitorch integrate checkpoint {state.run_id}: "
                              f"{done}/{len(state.order)} teams")
    new = git.Oid(hex=commit)
    git.update_ref(repo, CHECKPOINT_REF, new, old, f"gitorch integrate {state.run_id}")
    return new


@dataclass(frozen=True)
class Mark:
    """How far a run's lists had grown after some teams' turns: a prefix of the run."""

    skipped: int
    conflicts: int
    lost: int
    pending: dict[TeamName, str]

    @classmethod
    def of(cls, state: RunState) -> Mark:
        return cls(len(state.skipped), len(state.conflicts), len(state.lost), dict(state.pending))


def prefix_state(state: RunState, marks: list[Mark], upto: int,
                 left_out: dict[TeamName, str]) -> RunState:
    """``state`` as it was after its first ``upto`` teams' turns (``marks[k]``: after k
    turns, recorded as they were taken), to go on from there without ``left_out``."""
    mark = marks[upto]
    outcomes = state.outcomes[:upto]
    merged = [o.merge_commit for o in outcomes if o.merge_commit]
    teams = {o.team for o in outcomes}
    owners = {path: kept for path, changed in state.owners.items()
              if (kept := [t for t in changed if t in teams])}
    return replace(state, outcomes=list(outcomes), skipped=state.skipped[:mark.skipped],
                   conflicts=state.conflicts[:mark.conflicts], lost=state.lost[:mark.lost],
                   owners=owners, pending=dict(mark.pending), left_out=left_out,
                   chain=merged[-1] if merged else state.base, lost_tree=None,
                   lost_index=None)


def chain_owners(repo: git.Repository, state: RunState) -> dict[str, list[TeamName]]:
    """Path -> the teams whose merges changed it, in merge order, replayed from the chain."""
    owners: dict[str, list[TeamName]] = {}
    previous = state.base
    for outcome in state.outcomes:
        if outcome.merge_commit:
            for path in git.tree_diff_paths(repo, git.tree_of(repo, previous),
                                            git.tree_of(repo, outcome.merge_commit)):
                owners.setdefault(path, []).append(outcome.team)
            previous = outcome.merge_commit
    return owners


# --------------------------------------------------------------------------- starting a run


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def snapshot(repo: git.Repository, manifest: Manifest, remote: str | None
             ) -> tuple[ObjectId, dict[TeamName, ObjectId | None]]:
    """The base's and every team branch's commit as the run starts."""
    base = git.branch_commit(repo, manifest.base, remote)
    if base is None:
        raise RepoError(f"no base branch '{manifest.base}' (nor {remote}/{manifest.base})",
                        hint="create it, fetch it, or fix 'base' in the manifest")
    heads: dict[TeamName, ObjectId | None] = {}
    for team in manifest.merge_order():
        head = git.branch_commit(repo, manifest.branch(team), remote)
        heads[team] = object_id(head.id) if head is not None else None
    return object_id(base.id), heads


def new_state(repo: git.Repository, manifest: Manifest, *, fix: bool,
              remote: str | None) -> RunState:
    """A new run's state: the snapshot, the merge order, an empty chain at the base."""
    base, heads = snapshot(repo, manifest, remote)
    integration = git.ref_target(repo, f"refs/heads/{manifest.integration}")
    now = datetime.now(UTC)
    return RunState(
        run_id=f"{now:%Y%m%dT%H%M%SZ}-{os.urandom(2).hex()}", fix=fix,
        base_ref=manifest.base, base=base, integration_ref=f"refs/heads/{manifest.integration}",
        integration_old=object_id(integration) if integration else None,
        order=manifest.merge_order(), heads=heads, chain=base, started=now_iso(),
    )


def resumable_state(repo: git.Repository, manifest: Manifest, *, fix: bool | None,
                    remote: str | None) -> RunState:
    """The checkpointed run, after checking that nothing it relied on has moved."""
    state = read_checkpoint(repo)
    restart = "start over with 'gitorch integrate'"
    if fix is not None and fix != state.fix:
        was = "with" if state.fix else "without"
        raise UsageError(f"the interrupted run {state.run_id} was started {was} --fix",
                         hint=f"resume {was} --fix, or {restart}")
    if (state.integration_ref != f"refs/heads/{manifest.integration}"
            or state.base_ref != manifest.base or state.order != manifest.merge_order()):
        raise UsageError(f"the manifest changed since the interrupted run {state.run_id}",
                         hint=restart)
    base, heads = snapshot(repo, manifest, remote)
    moved: list[str] = []
    if base != state.base:
        moved.append(f"{manifest.base} (was {git.short(state.base)}, now {git.short(base)})")
    for team, head in heads.items():
        if head != state.heads.get(team):
            old = state.heads.get(team)
            was = git.short(old) if old else "absent"
            now = git.short(head) if head else "absent"
            moved.append(f"{manifest.branch(team)} (was {was}, now {now})")
    current = git.ref_target(repo, state.integration_ref)
    if (str(current) if current else None) not in (state.integration_old, state.chain):
        moved.append(f"{manifest.integration} (was {git.short(state.integration_old or '-')})")
    if moved:
        raise UsageError(f"cannot resume run {state.run_id}: moved since it was interrupted: "
                         + ", ".join(moved), hint=restart)
    state.resumed = True
    state.owners = chain_owners(repo, state)
    return state
