"""The prefix search of ``--keep-green`` (``gitorch.integrate.search``) on simulated chains:
composite probes find what real prefixes find, in fewer runs, and never pass a hint off
as a real prefix's verdict. (The same search on real repositories: test_keep_green.py.)"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from gitorch.ids import ObjectId
from gitorch.integrate.search import Bounds, Merge, Prefixes, first_failing
from gitorch.integrate.testruns import Verdict
from gitorch.manifest import TeamName


@dataclass
class FakeRunner:
    """Judges a tree by the teams in it: test -> the teams that together break it."""

    breaks: dict[str, frozenset[str]]
    jobs: int = 1
    flaky: set[str] = field(default_factory=set)
    runs: list[tuple[TeamName, ...]] = field(default_factory=list)

    def verdicts(self, items: Sequence[tuple[ObjectId, tuple[TeamName, ...], str]], *,
                 confirm: bool = True, confirming: Sequence[ObjectId] = ()) -> list[Verdict]:
        out = []
        for _, teams, _ in items:
            self.runs.append(teams)
            failed = frozenset(t for t, need in self.breaks.items() if need <= set(teams))
            out.append(Verdict(not failed, failed))
        return out


def chain(n: int) -> Prefixes:
    names = [TeamName(f"t{i}") for i in range(1, n + 1)]
    return Prefixes([ObjectId(f"p{i}") for i in range(n + 1)],
                    [tuple(names[:i]) for i in range(n + 1)])


def merge_with(deps: dict[str, str]) -> Merge:
    """Teams merged in order onto a prefix; a team whose dependency is out stays out."""
    def merge(start: int, teams: Sequence[TeamName], without: Collection[TeamName]
              ) -> tuple[ObjectId | None, tuple[TeamName, ...]]:
        out: set[str] = set(without)
        merged: list[TeamName] = []
        for team in teams:
            if team in out or deps.get(team) in out:
                out.add(team)
            else:
                merged.append(team)
        return (ObjectId(f"c{start}:{','.join(merged)}") if merged else None), tuple(merged)
    return merge


def search(runner: FakeRunner, n: int, composite: bool,
           deps: dict[str, str] | None = None) -> Bounds:
    tests = list(runner.breaks)
    return first_failing(cast(Any, runner), chain(n), Bounds(dict.fromkeys(tests, 0),
                                                             dict.fromkeys(tests, n)),
                         "search", lambda _: None, merge_with(deps or {}) if composite else None)


def first_prefix(need: frozenset[str]) -> int:
    return max(int(t[1:]) for t in need)


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 70).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.integers(1, n), min_size=1, max_size=5), st.integers(1, 3))))
def test_composite_probes_find_what_real_prefixes_find_in_fewer_runs(
        case: tuple[int, list[int], int]) -> None:
    n, culprits, jobs = case
    breaks = {f"test{i}": frozenset({f"t{c}"}) for i, c in enumerate(culprits)}
    plain, mixed = FakeRunner(breaks, jobs), FakeRunner(breaks, jobs)
    found_plain, found = search(plain, n, False), search(mixed, n, True)
    assert found.high == found_plain.high == {t: first_prefix(b) for t, b in breaks.items()}
    assert all(found.high[t] - found.low[t] == 1 for t in breaks)
    assert len(mixed.runs) <= len(plain.runs)


@settings(max_examples=150, deadline=None)
@given(st.integers(3, 40).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(1, n), st.integers(1, n)), min_size=1, max_size=4),
    st.dictionaries(st.integers(2, n), st.integers(1, n), max_size=4),
    st.integers(1, 2))))
def test_a_bound_called_real_is_a_real_prefix_verdict(
        case: tuple[int, list[tuple[int, int]], dict[int, int], int]) -> None:
    """Interactions and dependencies can mislead composite probes; whatever the search
    reports as resting on real prefixes is what the real prefixes say."""
    n, pairs, dep_pairs, jobs = case
    breaks = {f"test{i}": frozenset({f"t{a}", f"t{b}"}) for i, (a, b) in enumerate(pairs)}
    deps = {f"t{a}": f"t{b}" for a, b in dep_pairs.items() if b < a}
    runner = FakeRunner(breaks, jobs)
    found = search(runner, n, True, deps)
    for test, need in breaks.items():
        truth = first_prefix(need)
        assert found.real_low[test] < truth <= found.real_high[test]
        # both ends of the range rest on real prefixes: the blame is exact
        if (found.real_low[test], found.real_high[test]) == (found.low[test], found.high[test]):
            assert found.high[test] == truth
