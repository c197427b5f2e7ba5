"""``integrate --keep-green``: find the teams that broke the tests and leave them out.

The chain the engine built is base + one merge commit per merged team, in merge order:
its commits are exactly the prefixes to test (prefix 0 is the base, prefix n the tip).

1. Test the tip. It passes: nothing changes. It fails: test the base; when the base
   fails too, nothing is published ("the base fails its own tests").
2. Search the prefixes for the first one on which each failing test fails. One search
   serves every failing test: each test keeps its own suspect range (last prefix known
   to pass it, first known to fail it) and every run narrows every range it falls in.
   Once the ranges part, composite probes advance them all in one run a round
   (``gitorch.integrate.search``), so three culprits that break different tests cost
   little more than one. With ``jobs`` N, N trees run at once (N-ary search), and free
   slots take the alone checks of the culprits found so far.
3. Each culprit X is then tested merged alone on the base. Fails alone: kind ``alone``,
   X is left out (the evidence: the base passes, base + X fails). Passes alone: an
   ``interaction``; real prefixes confirm the search's answer (prefix i fails, retried;
   prefix i-1 passes; a contradicted composite hint is searched again on real
   prefixes), then the prefixes before X, each with X merged on top, are searched for
   the earlier team Y that X fails with. Of X and Y, the dependent is left out when one
   depends on the other, else the lower priority (equal priorities: the later in merge
   order, X); ``decided_by`` says which.
4. The teams left out take every team that depends on them along (the engine skips
   those, naming the team). The chain is rebuilt in memory and tested again, until green.

Flaky tests (failed, then passed on the same tree) are never a reason to leave a team
out; see ``gitorch.integrate.testruns``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import partial

from gitorch.ids import ObjectId
from gitorch.integrate.runstate import RunState
from gitorch.integrate.search import NOT_MADE, Bounds, Merge, Prefixes, fails, first_failing
from gitorch.integrate.testruns import UNNAMED, TestRunner, Verdict
from gitorch.manifest import Manifest, TeamName
from gitorch.records import Culprit, KeepGreen, QualityResult

Rebuild = Callable[[dict[TeamName, str]], RunState]          # left-out team -> reason
# teams merged in order onto prefix k, some left out: (commit or None, the teams merged)
MergeOnto = Callable[[RunState, int, Sequence[TeamName], Collection[TeamName]],
                     tuple[ObjectId | None, tuple[TeamName, ...]]]
MEASURED = "(the test command, in the measured run)"    # failed there, passed when searched
Say = Callable[[int, str], None]                              # (runs so far, what happens)


@dataclass(frozen=True)
class Options:
    """How to search: parallel runs, retries of a failing run, a JUnit file to read."""

    jobs: int = 1
    retries: int = 1
    junit_file: str | None = None


def keep_green(runner: TestRunner, manifest: Manifest, state: RunState, *, rebuild: Rebuild,
               merge_onto: MergeOnto, say: Say | None = None) -> tuple[RunState, KeepGreen]:
    """Test ``state``'s chain; leave culprits out until it is green. Returns the chain to
    publish (``green`` False in the record: publish nothing) and what was found."""
    left_out: dict[TeamName, str] = {}
    culprits: list[Culprit] = []
    base_checked = False

    def record(green: bool, base_failures: tuple[str, ...] | None = None) -> KeepGreen:
        return KeepGreen(culprits=tuple(culprits), flaky_tests=tuple(sorted(runner.flaky)),
                         test_runs=tuple(runner.runs), base_failures=base_failures,
                         green=green, jobs=runner.jobs, retries=runner.retries)

    def note(what: str) -> None:
        if say is not None:
            say(len(runner.runs), what)

    for _ in range(len(state.order) + 1):
        chain = _prefixes(state)
        n = len(chain.commits) - 1
        if n == 0:
            return state, record(True)
        note(f"testing the tip ({n} team merges)")
        tip_run = (chain.commit(n), chain.teams[n], "tip")
        base_run = (state.base, (), "base")
        retry: list[tuple[ObjectId, tuple[TeamName, ...], str]] = []
        if runner.jobs > 1 and not base_checked:
            # the base beside the tip (a spare core; wasted only when the tip passes), so
            # that the tip's retry can ride in the search's first round
            tip, base = runner.verdicts([tip_run, base_run], confirm=False)
            if _tracked(tip, runner):
                base_checked = True
                if not base.passed:
                    tip, base = runner.verdicts([tip_run, base_run])   # both retried
                    if _tracked(tip, runner) and not base.passed:
                        return state, record(False, tuple(sorted(base.failed)))
        else:
            tip = runner.verdicts([tip_run], confirm=False)[0]
        if runner.jobs > 1 and base_checked and _tracked(tip, runner) and not tip.confirmed:
            retry = [tip_run]       # confirmed beside the first probes (flaky: dropped)
        else:
            tip = runner.verdicts([tip_run])[0]
        tests = _tracked(tip, runner)
        if not tests:
            return state, record(True)
        if not base_checked:
            note("testing the base")
            base = runner.verdicts([base_run])[0]
            base_checked = True
            if not base.passed:
                return state, record(False, tuple(sorted(base.failed)))
        alone = _Alone(merge_onto, state)
        bounds = Bounds(dict.fromkeys(tests, 0), dict.fromkeys(tests, n))
        first_failing(runner, chain, bounds, "search", note, _onto(merge_onto, state),
                      spare=partial(_spare, runner, chain, bounds, alone), confirm=retry)
        if retry:
            tests = _tracked(runner.verdicts([tip_run])[0], runner)   # confirmed: known
            if not tests:
                return state, record(True)      # the tip's failures were flaky
        beside = []     # --jobs > 1: the chain without every culprit, tested beside them
        if runner.jobs > 1:
            suspects = {chain.teams[bounds.high[t]][-1] for t in tests if t not in runner.flaky}
            guess = rebuild({**left_out, **dict.fromkeys(suspects, "")})
            ahead = _prefixes(guess)
            beside.append((ahead.commit(len(ahead.commits) - 1), ahead.teams[-1], "tip"))
        found: list[Culprit] = []
        while True:     # composite hints that real prefixes contradict: searched again
            more, redo = _judge(runner, manifest, state, chain, bounds, alone, merge_onto,
                                note, beside)
            found.extend(more)
            beside = []
            if not redo:
                break
            note("searching real prefixes again where a composite probe misled")
            bounds = first_failing(runner, chain, Bounds(
                {t: bounds.real_low[t] for t in redo}, {t: bounds.real_high[t] for t in redo}),
                "search", note)
        if not found:
            continue    # every failure was flaky: the tip is tested (known) again
        culprits.extend(found)
        for culprit in found:
            left_out.setdefault(culprit.left_out, _reason(culprit))
        note(f"leaving out {', '.join(c.left_out for c in found)}; rebuilding the chain")
        state = rebuild(dict(left_out))
    return state, record(False)


def settle_measure(found: KeepGreen, quality: QualityResult) -> tuple[KeepGreen, QualityResult]:
    """The measured run (under coverage) of a tree the search saw pass, failing: flaky."""
    if not found.green or quality.passed is not False or quality.returncode is None:
        return found, quality
    flaky = (*found.flaky_tests, MEASURED)
    return (replace(found, flaky_tests=flaky),
            replace(quality, passed=True,
                    failures=tuple(f for f in quality.failures if f != "tests failed")))


def _prefixes(state: RunState) -> Prefixes:
    commits: list[ObjectId | None] = [state.base]
    teams: list[tuple[TeamName, ...]] = [()]
    so_far: tuple[TeamName, ...] = ()
    for outcome in state.outcomes:
        if outcome.merge_commit:
            so_far = (*so_far, outcome.team)
            commits.append(outcome.merge_commit)
            teams.append(so_far)
    return Prefixes(commits, teams)


def _tracked(tip: Verdict, runner: TestRunner) -> set[str]:
    """The tip's failing tests that are not flaky (UNNAMED: failures without names)."""
    if tip.passed:
        return set()
    tests = set(tip.failed) - runner.flaky
    return {UNNAMED} if UNNAMED in tests else tests


def _judge(runner: TestRunner, manifest: Manifest, state: RunState, chain: Prefixes,
           bounds: Bounds, alone_of: _Alone, merge_onto: MergeOnto,
           note: Callable[[str], None],
           beside: list[tuple[ObjectId, tuple[TeamName, ...], str]]
           ) -> tuple[list[Culprit], list[str]]:
    """Alone or interaction for each culprit the search found, and the team to leave out
    for it; also the tests whose found prefix real prefixes contradict (search again).

    Every blame rests on real trees, never on a composite probe alone. Alone: the base
    passes the tests and the culprit merged alone on it fails them (two trees holding it
    failed: confirmed). Otherwise prefix i fails them (a retry confirms it) and prefix
    i-1 passes them, both real chain commits.
    """
    by_index: dict[int, list[str]] = {}
    for test, index in sorted(bounds.high.items()):
        if test not in runner.flaky:
            by_index.setdefault(index, []).append(test)
    culprits = {index: chain.teams[index][-1] for index in by_index}
    note(f"testing {', '.join(culprits.values())} merged alone on the base")
    alone = {index: alone_of(team) for index, team in culprits.items()}
    wanted = [i for i in by_index if alone[i]]
    verdicts = dict(zip(wanted, runner.verdicts(
        [(alone[i] or NOT_MADE, (culprits[i],), "alone") for i in wanted] + beside, confirm=False),
        strict=False))
    out: list[Culprit] = []
    redo: list[str] = []
    for index, tests in sorted(by_index.items()):
        team = culprits[index]
        verdict = verdicts.get(index)
        if verdict is not None and any(fails(t, verdict) for t in tests):
            out.append(Culprit(team, "alone", (), tuple(sorted(tests)),
                               "fails alone on the base: the team that broke the tests", team))
            continue
        tests, contradicted = _on_the_chain(runner, chain, index, tests, bounds)
        redo.extend(contradicted)
        if not tests:
            continue                        # flaky, or a composite hint that did not hold
        if verdict is None:
            out.append(Culprit(team, "alone", (), tuple(sorted(tests)),
                               "its merge breaks the tests (it cannot be merged alone on the "
                               "base)", team))
            continue
        out.append(_interaction(runner, manifest, state, chain, index, tests, alone[index],
                                merge_onto, note))
    return out, redo


class _Alone:
    """Each team merged alone on the base (made once)."""

    def __init__(self, merge_onto: MergeOnto, state: RunState):
        self.merge_onto, self.state = merge_onto, state
        self.made: dict[TeamName, ObjectId | None] = {}

    def __call__(self, team: TeamName) -> ObjectId | None:
        if team not in self.made:
            self.made[team] = self.merge_onto(self.state, 0, (team,), ())[0]
        return self.made[team]


def _spare(runner: TestRunner, chain: Prefixes, bounds: Bounds, alone: _Alone,
           slots: int) -> list[tuple[ObjectId, tuple[TeamName, ...], str]]:
    """Runs for the search's free slots (``--jobs``): the alone checks of the culprits
    found so far while other ranges are still searched."""
    out: list[tuple[ObjectId, tuple[TeamName, ...], str]] = []
    found = sorted({bounds.high[t] for t in bounds.high
                    if bounds.high[t] - bounds.low[t] == 1 and t not in runner.flaky})
    for index in found:
        team = chain.teams[index][-1]
        commit = alone(team)
        if commit and not runner.known(commit) and len(out) < slots:
            out.append((commit, (team,), "alone"))
    return out


def _on_the_chain(runner: TestRunner, chain: Prefixes, index: int, tests: list[str],
                  bounds: Bounds) -> tuple[list[str], list[str]]:
    """Of ``tests``, those that fail prefix ``index`` (confirmed by a retry) and pass prefix
    ``index - 1``; and those whose found prefix the real prefixes contradict. A test that
    failed prefix ``index`` and passed its retry is flaky (in neither list)."""
    if runner.jobs > 1 and any(bounds.real_low[t] < index - 1 for t in tests):
        runner.verdicts([(chain.commit(i), chain.teams[i], "confirm") for i in (index, index - 1)],
                        confirm=False)      # both at once; the retry of ``index`` follows
    again = _still_failing(runner, chain, index, tests)
    contradicted = [t for t in tests if t not in again and t not in runner.flaky]
    for test in contradicted:
        bounds.real_low[test] = max(bounds.real_low[test], index)
    for test in again:
        bounds.real_high[test] = index
    below = [t for t in again if bounds.real_low[t] < index - 1]
    if below:
        verdict = runner.verdicts([(chain.commit(index - 1), chain.teams[index - 1],
                                    "confirm")], confirm=False)[0]
        for test in below:
            if fails(test, verdict):
                bounds.real_high[test] = index - 1
                contradicted.append(test)
            else:
                bounds.real_low[test] = index - 1
    return [t for t in again if t not in contradicted], contradicted


def _still_failing(runner: TestRunner, prefixes: Prefixes, index: int,
                   tests: list[str]) -> list[str]:
    """The tests that fail prefix ``index`` again when it is retried (the others are flaky,
    or, if it never ran before, pass it)."""
    verdict = runner.verdicts([(prefixes.commit(index), prefixes.teams[index], "confirm")])[0]
    return [t for t in tests if t not in runner.flaky and fails(t, verdict)]


def _interaction(runner: TestRunner, manifest: Manifest, state: RunState, chain: Prefixes,
                 index: int, tests: list[str], alone: ObjectId | None, merge_onto: MergeOnto,
                 note: Callable[[str], None]) -> Culprit:
    """The earlier team(s) the culprit at ``index`` fails with, and which of the pair goes."""
    team = chain.teams[index][-1]
    # pair k: prefix k with the culprit merged on top; pair index-1 is prefix index
    pairs = Prefixes([alone] + [None] * (index - 2) + [chain.commit(index)],
                     [(*chain.teams[k], team) for k in range(index)],
                     lambda k: merge_onto(state, k, (team,), ())[0])
    found = first_failing(runner, pairs, Bounds(dict.fromkeys(tests, 0),
                                                dict.fromkeys(tests, index - 1)),
                          "pair", note).high
    partners: set[TeamName] = set()
    for k in sorted(set(found.values())):
        mine = [t for t, at in found.items() if at == k]
        if k == index - 1 or _still_failing(runner, pairs, k, mine):
            partners.add(chain.teams[k][-1])
    with_ = tuple(sorted(partners, key=chain.teams[-1].index)) or (chain.teams[index - 1][-1],)
    loser, rule = decide(manifest, team, with_[0])
    return Culprit(team, "interaction", with_, tuple(sorted(tests)), rule, loser)


def _onto(merge_onto: MergeOnto, state: RunState) -> Merge:
    return lambda k, teams, without: merge_onto(state, k, teams, without)


def decide(manifest: Manifest, team: TeamName, partner: TeamName) -> tuple[TeamName, str]:
    """Of a pair that fails only together (``partner`` merged first), the team left out and why."""
    mine, theirs = manifest.teams[team].priority, manifest.teams[partner].priority
    if team in manifest.dependents(partner):
        return team, f"dependency: {team} depends on {partner}, the dependent is left out"
    if partner in manifest.dependents(team):
        return partner, f"dependency: {partner} depends on {team}, the dependent is left out"
    if mine < theirs:
        return team, f"priority: {team} ({mine}) is below {partner} ({theirs})"
    if theirs < mine:
        return partner, f"priority: {partner} ({theirs}) is below {team} ({mine})"
    return team, f"equal priority ({mine}): the later in merge order, {team}, is left out"


def _reason(culprit: Culprit) -> str:
    tests = ", ".join(culprit.failing_tests)
    if culprit.kind == "alone":
        return f"left out: its merge breaks the tests ({tests}), also merged alone on the base"
    if culprit.left_out == culprit.team:
        return (f"left out: breaks the tests ({tests}) only with {', '.join(culprit.with_)}; "
                f"{culprit.decided_by}")
    return (f"left out: {culprit.team} breaks the tests ({tests}) only with it; "
            f"{culprit.decided_by}")
