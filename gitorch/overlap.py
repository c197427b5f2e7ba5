"""Per-team hunks -> predicted conflicts between team branches, before any merge.

Each team's change is read as zero-context hunks (libgit2's ``-U0`` patch text, parsed
with unidiff), so every hunk names exact base lines. Two teams' hunks on one file are
then walked the way git's own three-way file merge (xdiff's ``xdl_do_merge``, the code
behind both ``git merge`` and libgit2's in-memory merges) walks them: it stops where
the changed base ranges intersect or touch, unless both made the identical change.
Because hunks come from the same diff engine the merge uses, the prediction is the
merge's own answer, computed from one diff per team instead of one merge per pair.
The merge predicted is libgit2's, the one ``gitorch integrate`` makes; where git's
CLI decides otherwise (histogram diffs, a rename both sides made alike) the README's
overlap section says so.

Two teams are compared against their common ancestor (``merge_base(a, b)``), exactly
as ``git merge-tree a b`` would merge them; in the usual case, where both forked from
the same base commit, that is their fork point and each team's diff is computed once.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from unidiff.patch import PatchSet

from gitorch import repo as git
from gitorch.errors import RepoError, UsageError
from gitorch.ids import ObjectId, object_id
from gitorch.manifest import Manifest, TeamName
from gitorch.manifest.ownership import union_rule
from gitorch.records import LineRange, PredictedConflict

# Symlinks and submodules are never merged line by line: two different results conflict.
_SYMLINK, _GITLINK = 0o120000, 0o160000

Kind = Literal["overlap", "same-file"]
_ACTION = {"D": "delete", "R": "rename", "A": "add"}
Lines = Callable[[], Sequence[bytes]]


# --------------------------------------------------------------------------- hunks


@dataclass(frozen=True)
class Hunk:
    """One change of a zero-context diff, in xdiff's 0-based terms.

    ``start``/``count`` are the base lines replaced (``count`` 0: a pure insertion
    before base line ``start``); ``new_start``/``new_count`` the lines that replace them.
    """

    start: int
    count: int
    new_start: int
    new_count: int

    @property
    def end(self) -> int:
        return self.start + self.count

    @property
    def base_range(self) -> LineRange:
        """1-based inclusive base lines; a pure insertion after line k is ``(k + 1, k)``."""
        return (self.start + 1, self.start + self.count)


def parse_hunks(patch: str) -> tuple[Hunk, ...]:
    """The hunks of a zero-context patch text, parsed with unidiff."""
    if not patch:
        return ()
    out: list[Hunk] = []
    for patched in PatchSet(patch):
        for h in patched:
            # "-k,0" inserts after line k, that is before 0-based line k.
            start = h.source_start - 1 if h.source_length else h.source_start
            new_start = h.target_start - 1 if h.target_length else h.target_start
            out.append(Hunk(start, h.source_length, new_start, h.target_length))
    return tuple(out)


def split_lines(data: bytes) -> list[bytes]:
    """Lines as xdiff sees them: split after each ``\\n``, which stays part of its line."""
    parts = data.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


@dataclass(frozen=True)
class Region:
    """One place where a three-way merge of a file stops, with the hunks that meet there."""

    ours: tuple[Hunk, ...]
    theirs: tuple[Hunk, ...]


def text_conflicts(ours: Sequence[Hunk], theirs: Sequence[Hunk],
                   ours_lines: Lines, theirs_lines: Lines) -> list[Region]:
    """Where git's merge of one text file conflicts, given both sides' hunks against the base.

    A port of xdiff's ``xdl_do_merge`` at git's default level (zealous): walk both hunk
    lists in base order; a hunk that ends before the other starts (at least one base
    line apart) merges cleanly; identical hunks merge cleanly; anything else conflicts.
    Conflicts that touch are joined into one region, and a region in which both sides
    read the same (after joining) is resolved, as xdiff's conflict refinement does.
    ``*_lines`` give each side's new file; they are read only when hunks could be equal.
    """
    # Each entry: [mode, i0, chg0, i1, chg1, i2, chg2, ours hunks, theirs hunks];
    # mode 1/2: one side's change taken, 0: conflict.
    entries: list[list[Any]] = []

    def append(mode: int, i0: int, chg0: int, i1: int, chg1: int, i2: int, chg2: int,
               hunks1: list[Hunk], hunks2: list[Hunk]) -> None:
        if entries:
            m = entries[-1]
            if i1 <= m[3] + m[4] or i2 <= m[5] + m[6]:
                if mode != m[0]:
                    m[0] = 0
                m[2], m[4], m[6] = i0 + chg0 - m[1], i1 + chg1 - m[3], i2 + chg2 - m[5]
                m[7].extend(h for h in hunks1 if h not in m[7])
                m[8].extend(h for h in hunks2 if h not in m[8])
                return
        entries.append([mode, i0, chg0, i1, chg1, i2, chg2, list(hunks1), list(hunks2)])

    a = b = 0
    while a < len(ours) and b < len(theirs):
        x, y = ours[a], theirs[b]
        if x.end < y.start:
            append(1, x.start, x.count, x.new_start, x.new_count,
                   y.new_start - y.start + x.start, x.count, [], [])
            a += 1
            continue
        if y.end < x.start:
            append(2, y.start, y.count, x.new_start - x.start + y.start, y.count,
                   y.new_start, y.new_count, [], [])
            b += 1
            continue
        if not _same_hunk(x, y, ours_lines, theirs_lines):
            off = x.start - y.start
            ffo = off + x.count - y.count
            i0, i1, i2 = x.start, x.new_start, y.new_start
            if off > 0:
                i0 -= off
                i1 -= off
            else:
                i2 += off
            chg0 = x.end - i0
            chg1 = x.new_start + x.new_count - i1
            chg2 = y.new_start + y.new_count - i2
            if ffo < 0:
                chg0 -= ffo
                chg1 -= ffo
            else:
                chg2 += ffo
            append(0, i0, chg0, i1, chg1, i2, chg2, [x], [y])
        if x.end >= y.end:
            b += 1
        if y.end >= x.end:
            a += 1
    # xdiff goes on to append the hunks left over on one side; they cannot touch a
    # conflict (an unchanged line separates them from it), so they change no answer.
    out: list[Region] = []
    for mode, _i0, _c0, i1, chg1, i2, chg2, hunks1, hunks2 in entries:
        if mode != 0:
            continue
        if chg1 and chg2 and chg1 == chg2 and \
                ours_lines()[i1:i1 + chg1] == theirs_lines()[i2:i2 + chg2]:
            continue
        out.append(Region(tuple(hunks1), tuple(hunks2)))
    return out


def _same_hunk(x: Hunk, y: Hunk, ours_lines: Lines, theirs_lines: Lines) -> bool:
    return (x.start == y.start and x.count == y.count and x.new_count == y.new_count
            and ours_lines()[x.new_start:x.new_start + x.new_count]
            == theirs_lines()[y.new_start:y.new_start + y.new_count])


# --------------------------------------------------------------------------- one team's change


@dataclass(frozen=True)
class TeamDiff:
    """A team's whole change since one base commit, indexed by base path and by new path."""

    by_old: Mapping[str, git.FileChange]      # modified, deleted, renamed-away files
    by_new: Mapping[str, git.FileChange]      # added and renamed-to files
    new_dirs: frozenset[str] = frozenset()    # every directory above an added file

    def paths(self) -> set[str]:
        return set(self.by_old) | set(self.by_new)


class Files:
    """Reads what the comparison needs, each thing at most once.

    A team's change is listed by path first (cheap); a file's hunks are computed only
    when another team changed the same file, and a blob's lines only when two hunks
    could be equal.
    """

    def __init__(self, repo: git.Repository):
        self.repo = repo
        self._diffs: dict[tuple[str, str], TeamDiff] = {}
        self._hunks: dict[tuple[str | None, str | None], tuple[tuple[Hunk, ...], bool]] = {}
        self._lines: dict[str, list[bytes]] = {}
        # libgit2 does not cache blobs: keep the ones read (base blobs recur in every pair).
        self._blobs: dict[str, git.Blob | None] = {}

    def blob(self, oid: ObjectId | None) -> git.Blob | None:
        if oid is None:
            return None
        if oid not in self._blobs:
            self._blobs[oid] = git.load_blob(self.repo, oid)
        return self._blobs[oid]

    def diff(self, base: git.Oid | None, head: git.Oid) -> TeamDiff:
        key = (str(base), str(head))
        found = self._diffs.get(key)
        if found is None:
            by_old: dict[str, git.FileChange] = {}
            by_new: dict[str, git.FileChange] = {}
            for change in git.tree_changes(self.repo, base, head):
                if change.old_path is not None:
                    by_old[change.old_path] = change
                if change.status in ("A", "R") and change.new_path is not None:
                    by_new[change.new_path] = change
            dirs = {p.rsplit("/", i)[0] for p in by_new for i in range(1, p.count("/") + 1)}
            found = self._diffs[key] = TeamDiff(by_old, by_new, frozenset(dirs))
        return found

    def hunks(self, change: git.FileChange) -> tuple[tuple[Hunk, ...], bool]:
        """The change's zero-context hunks (parsed with unidiff) and whether it is binary."""
        key = (change.old_id, change.new_id)
        if key not in self._hunks:
            old, new = self.blob(change.old_id), self.blob(change.new_id)
            if old is None or new is None:     # added, deleted, or not a file: no line merge
                self._hunks[key] = ((), False)
            else:
                text, binary = git.file_patch(old, new)
                self._hunks[key] = (parse_hunks(text), binary)
        return self._hunks[key]

    def ranges(self, change: git.FileChange) -> tuple[LineRange, ...]:
        return tuple(h.base_range for h in self.hunks(change)[0])

    def lines(self, oid: ObjectId | None) -> Lines:
        def read() -> Sequence[bytes]:
            if oid is None:
                return []
            if oid not in self._lines:
                blob = self.blob(oid)
                self._lines[oid] = split_lines(blob.data if blob is not None else b"")
            return self._lines[oid]
        return read


# --------------------------------------------------------------------------- comparing two teams


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    detail: str
    ours: tuple[LineRange, ...]
    theirs: tuple[LineRange, ...]


def compare_changes(ca: git.FileChange, cb: git.FileChange, files: Files) -> Verdict:
    """How a merge treats two teams' changes of the same base path.

    Line ranges are each side's hunks; for a whole-file verdict, an added or deleted file
    has none (the whole file is meant). A detail that names two actions names them in
    the order of the two changes: ``delete/modify`` means the first team deleted.
    """
    ka, kb = ca.status, cb.status
    actions = f"{_ACTION.get(ka, 'modify')}/{_ACTION.get(kb, 'modify')}"

    def whole(detail: str, kind: Kind = "overlap") -> Verdict:
        return Verdict(kind, detail, files.ranges(ca), files.ranges(cb))

    if ka == "D" and kb == "D":
        return whole("delete/delete", "same-file")
    if "D" in (ka, kb):
        return whole(actions)                           # modify/delete, delete/rename, ...
    if ka == kb == "R" and ca.new_path != cb.new_path:
        return whole("rename/rename")
    detail = "" if "R" not in (ka, kb) else "same rename" if ka == kb else actions
    if (ca.new_id, ca.new_mode) == (cb.new_id, cb.new_mode):
        return whole(detail or "identical", "same-file")
    if ca.old_id == ca.new_id or cb.old_id == cb.new_id:
        return whole(detail, "same-file")               # one side only renamed or chmod-ed
    if detail == "same rename":
        # Both renamed it alike and both edited it: libgit2 (the merge integrate makes)
        # stops here whatever the edits, where git merge-tree merges the edits.
        return whole(detail)
    modes = {ca.old_mode, ca.new_mode, cb.old_mode, cb.new_mode}
    if _SYMLINK in modes or _GITLINK in modes:
        return whole("submodule" if _GITLINK in modes else "symlink")
    (hunks_a, binary_a), (hunks_b, binary_b) = files.hunks(ca), files.hunks(cb)
    if binary_a or binary_b:
        return whole("binary")
    regions = text_conflicts(hunks_a, hunks_b, files.lines(ca.new_id), files.lines(cb.new_id))
    if not regions:
        return whole(detail, "same-file")
    ours = sorted({h for r in regions for h in r.ours}, key=lambda h: (h.start, h.count))
    theirs = sorted({h for r in regions for h in r.theirs}, key=lambda h: (h.start, h.count))
    return Verdict("overlap", detail, tuple(h.base_range for h in ours),
                   tuple(h.base_range for h in theirs))


def compare_targets(ca: git.FileChange, cb: git.FileChange, files: Files) -> Verdict | None:
    """Two teams creating the same path (add/add, rename onto an added path, rename/rename)."""
    if ca.status == cb.status == "R" and ca.old_path == cb.old_path:
        return None                                     # judged by compare_changes already
    ranges = (files.ranges(ca), files.ranges(cb))
    if ca.status == cb.status == "A":
        if (ca.new_id, ca.new_mode) == (cb.new_id, cb.new_mode):
            return Verdict("same-file", "identical", *ranges)
        # git merges two added files against an empty base: an empty one changed nothing.
        empty = any((blob := files.blob(c.new_id)) is not None and blob.size == 0
                    for c in (ca, cb))
        if empty and ca.new_mode == cb.new_mode:
            return Verdict("same-file", "add/add", *ranges)
        return Verdict("overlap", "add/add", *ranges)
    if ca.status == cb.status == "R":
        return Verdict("overlap", "rename/rename", *ranges)
    return Verdict("overlap", "rename/add" if ca.status == "R" else "add/rename", *ranges)


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class ConflictReport:
    """Every pair of teams that changed one path, and what a merge of the two would do."""

    base: ObjectId                                  # the base branch tip used
    teams: Mapping[TeamName, str]                   # team -> head sha (teams with a branch)
    conflicts: tuple[PredictedConflict, ...]
    violations: Mapping[TeamName, tuple[str, ...]]  # paths changed outside the team's scope
    base_ref: str = ""
    missing: tuple[TeamName, ...] = ()              # teams without a branch
    priorities: Mapping[TeamName, int] = field(default_factory=dict)

    @property
    def overlaps(self) -> tuple[PredictedConflict, ...]:
        return tuple(c for c in self.conflicts if c.kind == "overlap")

    def to_dict(self) -> dict[str, Any]:
        conflicts = []
        for c in self.conflicts:
            item = c.to_dict()
            if c.kind == "overlap":
                item["winner"] = c.teams[0]     # teams are listed winner first
            conflicts.append(item)
        return {
            "base": self.base, "base_ref": self.base_ref,
            "teams": dict(self.teams),
            "conflicts": conflicts,
            "violations": {t: list(ps) for t, ps in self.violations.items()},
            "missing": list(self.missing),
        }


def find_conflicts(repo: git.Repository, manifest: Manifest, *, base: str | None = None,
                   remote: str | None = "origin",
                   teams: Collection[TeamName] | None = None) -> ConflictReport:
    """Predict, for every pair of team branches, the paths where merging them would conflict.

    ``base`` is a revision (default: the manifest's base branch, local or on ``remote``).
    Pairs are compared against their merge base, like ``git merge-tree``; conflicts are
    listed by path, each pair's teams winner first (higher priority, then merge order),
    which is the team ``integrate --fix`` keeps.
    """
    if teams is not None:
        unknown = sorted(set(teams) - set(manifest.teams))
        if unknown:
            raise UsageError(f"no team named {', '.join(unknown)} in the manifest",
                             hint=f"use one of: {', '.join(sorted(manifest.teams))}")
    base_ref = base or manifest.base
    if base is not None:
        base_commit = git.resolve_commit(repo, base)
    else:
        found = git.branch_commit(repo, manifest.base, remote)
        if found is None:
            where = f" (nor {remote}/{manifest.base})" if remote else ""
            raise RepoError(f"no base branch '{manifest.base}'{where}",
                            hint="fetch it, or name the base with --base REF")
        base_commit = found
    merge_order = manifest.merge_order()
    rank = {t: i for i, t in enumerate(merge_order)}
    order = sorted(merge_order, key=lambda t: (-manifest.teams[t].priority, rank[t]))
    heads: dict[TeamName, git.Commit] = {}
    missing: list[TeamName] = []
    for team in order:
        if teams is not None and team not in teams:
            continue
        head = git.branch_commit(repo, manifest.branch(team), remote)
        if head is None:
            missing.append(team)
        else:
            heads[team] = head
    files = Files(repo)
    conflicts = list(_pair_conflicts(repo, manifest, heads, files))
    if manifest.merge_engine == "git":
        conflicts = _as_git_merges(repo, manifest, heads, conflicts)
    position = {t: i for i, t in enumerate(order)}
    conflicts.sort(key=lambda c: (c.path, [position[t] for t in c.teams]))
    violations: dict[TeamName, tuple[str, ...]] = {}
    for team, head in heads.items():
        fork = git.merge_base(repo, base_commit.id, head.id)
        outside = _outside_scope(manifest, team, files.diff(fork, head.id).paths())
        if outside:
            violations[team] = outside
    return ConflictReport(
        base=object_id(base_commit.id), base_ref=base_ref,
        teams={t: str(h.id) for t, h in heads.items()},
        conflicts=tuple(conflicts), violations=violations, missing=tuple(missing),
        priorities={t: manifest.teams[t].priority for t in manifest.teams},
    )


def _outside_scope(manifest: Manifest, team: TeamName, paths: Collection[str]) -> tuple[str, ...]:
    """The paths ``team`` may not change (``Ownership.may_change``).

    The compiled ownership answers without pathspec, which a cached manifest then need
    not import at all.
    """
    ownership = manifest.ownership
    return tuple(sorted(p for p in paths if not ownership.may_change(team, p)))


def _pair_conflicts(repo: git.Repository, manifest: Manifest, heads: Mapping[TeamName, git.Commit],
                    files: Files) -> Iterator[PredictedConflict]:
    """Every pair of teams meeting on a path, found through an index of paths to teams.

    Pairs are grouped by their merge base; within a group each team's diff is indexed
    once, so the cost follows the paths that two teams share, not the number of pairs
    times the size of each change.
    """
    rank = {t: i for i, t in enumerate(heads)}
    groups: dict[git.Oid | None, set[tuple[TeamName, TeamName]]] = {}
    for a, b in itertools.combinations(heads, 2):
        groups.setdefault(git.merge_base(repo, heads[a].id, heads[b].id), set()).add((a, b))
    owners: dict[str, str] = {}
    driver = merge_drivers(repo, manifest)
    for base, pairs in groups.items():
        members = sorted({t for pair in pairs for t in pair}, key=rank.__getitem__)
        diffs = {t: files.diff(base, heads[t].id) for t in members}
        old_index: dict[str, list[TeamName]] = {}
        new_index: dict[str, list[TeamName]] = {}
        dir_index: dict[str, list[TeamName]] = {}
        for team in members:
            for path in diffs[team].by_old:
                old_index.setdefault(path, []).append(team)
            for path in diffs[team].by_new:
                new_index.setdefault(path, []).append(team)
            for path in diffs[team].new_dirs:
                dir_index.setdefault(path, []).append(team)
        found: list[tuple[str, TeamName, TeamName, Verdict]] = []
        for path, teams in old_index.items():
            for a, b in itertools.combinations(teams, 2):
                if (a, b) in pairs:
                    verdict = compare_changes(diffs[a].by_old[path], diffs[b].by_old[path], files)
                    found.append((path, a, b, verdict))
        for path, teams in new_index.items():
            for a, b in itertools.combinations(teams, 2):
                if (a, b) in pairs:
                    target = compare_targets(diffs[a].by_new[path], diffs[b].by_new[path], files)
                    if target is not None:
                        found.append((path, a, b, target))
            # One team adds a file where the other puts a directory (git: file/directory).
            for x in teams:
                for y in dir_index.get(path, ()):
                    a, b = (x, y) if rank[x] < rank[y] else (y, x)
                    if (a, b) in pairs:
                        found.append((path, a, b, Verdict("overlap", "file/directory", (), ())))
        for path, a, b, v in found:
            v = _with_driver(v, driver(path), diffs[a], diffs[b], path, files)
            renamed = {t: c.new_path for t in (a, b)
                       if (c := diffs[t].by_old.get(path)) is not None and c.status == "R"
                       and c.new_path is not None and c.new_path != path}
            yield PredictedConflict(path=path, teams=(a, b), kind=v.kind,
                                    ranges={a: v.ours, b: v.theirs},
                                    owner=owners.get(path) or owners.setdefault(
                                        path, manifest.ownership.owner_of(path)),
                                    detail=v.detail, renamed_to=renamed)


def _as_git_merges(repo: git.Repository, manifest: Manifest,
                   heads: Mapping[TeamName, git.Commit],
                   predicted: list[PredictedConflict]) -> list[PredictedConflict]:
    """The prediction for ``merge: {engine: git}``: git's own merge of every pair (one
    ``git merge-tree --stdin``) decides which meetings conflict; the line ranges and
    details come from the per-team hunks. A path git stops at that no hunk explains
    (a rename git scores differently, say) is added as a whole-file overlap."""
    pairs = list(itertools.combinations(heads, 2))
    stops = dict(zip(pairs, git.git_conflicting_paths(
        repo, [(str(heads[a].id), str(heads[b].id)) for a, b in pairs], manifest.union),
        strict=True))
    out: list[PredictedConflict] = []
    explained: set[tuple[TeamName, TeamName, str]] = set()
    for c in predicted:
        a, b = c.teams[0], c.teams[1]
        paths = stops.get((a, b), set()) | stops.get((b, a), set())
        hit = {c.path, *c.renamed_to.values()} & paths
        explained |= {(a, b, p) for p in hit} | {(b, a, p) for p in hit}
        out.append(replace(c, kind="overlap" if hit else "same-file"))
    for (a, b), paths in stops.items():
        for path in sorted(paths):
            if (a, b, path) not in explained:
                out.append(PredictedConflict(path=path, teams=(a, b), kind="overlap",
                                             ranges={a: (), b: ()},
                                             owner=manifest.ownership.owner_of(path),
                                             detail="git"))
    return out


def merge_drivers(repo: git.Repository, manifest: Manifest) -> Callable[[str], str]:
    """The merge driver each path gets, as the merge ``integrate`` makes decides it: the
    manifest's ``union`` paths, then the attributes libgit2 reads ("union", "binary" or
    "text")."""
    cache: dict[str, str] = {}
    is_union = union_rule(manifest)

    def driver(path: str) -> str:
        found = cache.get(path)
        if found is None:
            found = cache[path] = ("union" if is_union(path)
                                   else git.merge_driver(repo, path))
        return found
    return driver


def _with_driver(v: Verdict, driver: str, da: TeamDiff, db: TeamDiff, path: str,
                 files: Files) -> Verdict:
    """A verdict of the text driver changed for the path's own driver: union keeps both
    sides' lines of a text file (no conflict), binary stops wherever both changed it."""
    if driver == "text":
        return v
    ca = da.by_old.get(path) or da.by_new.get(path)
    cb = db.by_old.get(path) or db.by_new.get(path)
    if ca is None or cb is None or "R" in (ca.status, cb.status) \
            or ca.status == "D" or cb.status == "D":
        return v
    if driver == "union":
        text = all(c.new_mode in (0o100644, 0o100755) and c.new_mode == cb.new_mode
                   and (blob := files.blob(c.new_id)) is not None and b"\0" not in blob.data[:8000]
                   for c in (ca, cb))
        if v.kind == "overlap" and v.detail in ("", "add/add") and text:
            return Verdict("same-file", "union", v.ours, v.theirs)
        return v
    if v.kind == "same-file" and (ca.new_id, ca.new_mode) != (cb.new_id, cb.new_mode) \
            and ca.old_id != ca.new_id and cb.old_id != cb.new_id:
        return Verdict("overlap", "binary driver", v.ours, v.theirs)   # -merge: no line merge
    return v


def describe(ranges: Sequence[LineRange]) -> str:
    """``lines 10-14``, ``line 3``, ``insertion after line 9``; several joined by commas."""
    if not ranges:
        return "the whole file"
    parts = []
    for start, end in ranges:
        if end < start:
            parts.append(f"insertion after line {end}" if end else "insertion at the top")
        elif start == end:
            parts.append(f"line {start}")
        else:
            parts.append(f"lines {start}-{end}")
    return ", ".join(parts)
