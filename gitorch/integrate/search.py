"""The search of ``integrate --keep-green``: for each failing test, the first prefix failing it.

Prefix k of the chain is the base plus its first k team merges. Each failing test keeps a
suspect range (low, high): the last prefix known to pass it and the first known to fail
it. A probe inside a range narrows every range holding it, so no range ever holds a probed
point inside: two ranges are the same or lie apart, and tests that share a range are
searched together.

While one range is open a round tests real prefixes inside it: one (binary search), or
with ``jobs`` N, N prefixes cutting it into N+1 parts. Once ranges have parted, a prefix
lies in one range only, so k ranges would cost k runs a round. A **composite probe**
serves them all in one run: the tree of the earliest range's probe point q1 (a real
prefix), with the teams after it merged on top up to the last range's point qk, leaving
out each earlier range's upper part (q_i, h_i] (and the teams that depend on those). For
a test of range i it holds everything a real prefix q_i holds up to q_i, less the
earlier ranges' upper parts, plus teams merged after the test's range: when a test's
failure comes with its culprit (a team of its range, with teams before the range), it
fails there exactly when it fails on prefix q_i. With N slots, N composite trees a round
cut every range into N+1 parts.

A composite answer is a hint, not evidence: the search records which bounds rest on real
prefixes (``Bounds.real_low``, ``Bounds.real_high``) and the caller confirms each blame
on real trees before anyone is left out (see ``gitorch.integrate.keepgreen``). A range
whose composite tree could not be built as asked (a team of its lower part was skipped:
a conflict, or a dependency in another range's upper part) is probed on real prefixes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from gitorch.ids import ObjectId
from gitorch.integrate.testruns import UNNAMED, TestRunner, Verdict
from gitorch.manifest import TeamName

# onto prefix k, merge ``teams`` in order, leaving out ``without`` (and their dependents):
# (the commit, or None when no team merged; the teams merged)
Merge = Callable[[int, Sequence[TeamName], Collection[TeamName]],
                 tuple[ObjectId | None, tuple[TeamName, ...]]]
Note = Callable[[str], None]
Range = tuple[int, int]
Run = tuple[ObjectId, tuple[TeamName, ...], str]      # (commit, its teams, purpose)
NOT_MADE = ObjectId("")                                 # a commit that cannot be made


@dataclass
class Prefixes:
    """Commits to search: index 0 .. n, with the teams in each (for the report). A commit
    not made yet (None) is made by ``make`` when first needed; NOT_MADE cannot be made."""

    commits: list[ObjectId | None]
    teams: list[tuple[TeamName, ...]]
    make: Callable[[int], ObjectId | None] | None = None

    def commit(self, index: int) -> ObjectId:
        if self.commits[index] is None:
            self.commits[index] = (self.make(index) if self.make else None) or NOT_MADE
        return self.commits[index] or NOT_MADE


@dataclass
class Bounds:
    """Per test: the suspect range (low passes, high fails) and the part of it that rests
    on real prefixes (composite probes narrow ``low``/``high`` only)."""

    low: dict[str, int]
    high: dict[str, int]
    real_low: dict[str, int] = field(default_factory=dict)
    real_high: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.real_low = {**self.low, **self.real_low}
        self.real_high = {**self.high, **self.real_high}


@dataclass(frozen=True)
class _Probe:
    run: Run
    points: dict[Range, int]        # range -> its probe point in this tree
    real: bool                      # the tree is a prefix of the chain
    unserved: frozenset[Range] = frozenset()    # asked for, but the tree cannot tell


def fails(test: str, verdict: Verdict) -> bool:
    """A test fails on a tree: by name, or the run failed without names (all fail)."""
    return not verdict.passed and (test in verdict.failed or UNNAMED in verdict.failed)


def first_failing(runner: TestRunner, prefixes: Prefixes, bounds: Bounds, purpose: str,
                  note: Note, merge: Merge | None = None,
                  spare: Callable[[int], list[Run]] | None = None,
                  confirm: Sequence[Run] = ()) -> Bounds:
    """Narrow ``bounds`` until each test's range is one prefix wide: ``high`` is then the
    first prefix failing it. Composite probes (``merge`` given) serve parted ranges;
    ``spare(slots)`` gives runs for a round's free slots (their verdicts are remembered).
    ``confirm``: runs confirmed (retried) in the first round, beside its probes (the
    tip's retry: a test it shows flaky leaves the search after that round).

    Prefix commits that cannot be built (NOT_MADE) count as passing.
    """
    solo: set[Range] = set()        # ranges a composite tree could not serve
    first = list(confirm)
    while True:
        ranges = sorted({(bounds.low[t], bounds.high[t]) for t in bounds.low
                         if bounds.high[t] - bounds.low[t] > 1 and t not in runner.flaky})
        if not ranges:
            return bounds
        shared = [r for r in ranges if r not in solo] if merge is not None else []
        groups = ([shared] if shared else []) + [[r] for r in ranges if r not in shared]
        slots = max(1, runner.jobs - len(first))
        probes = [p for group, cuts in zip(groups, _cuts(groups, slots), strict=True)
                  for p in _group_probes(prefixes, group, cuts, purpose, merge)]
        _say(note, prefixes, ranges, probes)
        wanted = [i for i, p in enumerate(probes) if p.run[0]]
        runs = [probes[i].run for i in wanted]
        free = runner.jobs - len(runs) - len(first)
        extra = spare(free) if spare is not None and free > 0 else []
        verdicts = dict(zip(wanted, runner.verdicts(
            runs + first + extra, confirm=False, confirming=[r[0] for r in first]),
            strict=False))
        first = []
        answers: list[tuple[int, Verdict, bool]] = []
        for i, probe in enumerate(probes):
            solo |= probe.unserved          # the composite could not be built as asked
            verdict = verdicts.get(i, Verdict(True, frozenset()))
            answers.extend((point, verdict, probe.real) for point in probe.points.values())
        for point, verdict, real in sorted(answers, key=lambda a: a[0]):
            for test in bounds.low:
                if bounds.low[test] < point < bounds.high[test]:
                    if fails(test, verdict):
                        bounds.high[test] = point
                        if real:
                            bounds.real_high[test] = point
                    else:
                        bounds.low[test] = point
                        if real:
                            bounds.real_low[test] = point


def _cuts(groups: list[list[Range]], slots: int) -> list[int]:
    """Runs per group this round: up to ``slots`` in all, shared out, widest first."""
    most = [max(hi - lo - 1 for lo, hi in group) for group in groups]
    count = [0] * len(groups)
    while sum(count) < slots:
        grew = False
        for g in sorted(range(len(groups)), key=lambda g: -most[g]):
            if sum(count) < slots and count[g] < most[g]:
                count[g] += 1
                grew = True
        if not grew:
            break
    return count


def _group_probes(prefixes: Prefixes, group: list[Range], cuts: int, purpose: str,
                  merge: Merge | None) -> list[_Probe]:
    """``cuts`` trees probing every range of the group: the j-th cuts each range into
    parts (j-th point of each). One range: real prefixes."""
    out: list[_Probe] = []
    for j in range(cuts):
        points: dict[Range, int] = {}
        for lo, hi in group:
            k = min(cuts, hi - lo - 1)
            if j < k:
                points[(lo, hi)] = lo + ((j + 1) * (hi - lo)) // (k + 1)
        if len(points) == 1 or merge is None:
            out.extend(_Probe((prefixes.commit(q), prefixes.teams[q], purpose), {r: q}, True)
                       for r, q in points.items())
        elif points:
            out.append(_composite(prefixes, points, merge, purpose))
    return out


def _composite(prefixes: Prefixes, points: dict[Range, int], merge: Merge,
               purpose: str) -> _Probe:
    """Prefix q1 of the earliest range, the later teams up to the last range's point on
    top, without each earlier range's upper part. A range whose lower part did not all
    merge gets no answer from it (its point is dropped)."""
    chain = prefixes.teams[-1]
    ordered = sorted(points.items())
    start, last = ordered[0][1], ordered[-1][1]
    without = {team for (_, hi), q in ordered[:-1] for team in chain[q:hi]}
    commit, merged = merge(start, chain[start:last], without)
    served = {r: q for r, q in ordered
              if r == ordered[0][0] or set(chain[r[0]:q]) <= set(merged)}
    unserved = frozenset(points) - set(served)
    if commit is None:              # nothing merged on top: the tree is prefix q1
        return _Probe((prefixes.commit(start), prefixes.teams[start], purpose),
                      dict(ordered[:1]), True, frozenset(points) - {ordered[0][0]})
    return _Probe((commit, (*chain[:start], *merged), "composite"), served, False, unserved)


def _say(note: Note, prefixes: Prefixes, ranges: list[Range], probes: list[_Probe]) -> None:
    if len(ranges) == 1:
        note(f"suspects {_names(prefixes, ranges[0])}, testing {len(probes)} prefix(es)")
    else:
        note(f"{len(ranges)} suspect ranges ({', '.join(_names(prefixes, r) for r in ranges)}), "
             f"testing {len(probes)} tree(s)")


def _names(prefixes: Prefixes, span: Range) -> str:
    lo, hi = span
    first, last = prefixes.teams[lo + 1][-1], prefixes.teams[hi][-1]
    return first if first == last else f"{first} .. {last} ({hi - lo} teams)"
