"""The merge engine: merge order, the merge loop, the --fix policy, checkpoints.

Every team branch is merged in memory, in ``manifest.merge_order()``, into a chain of
merge commits that starts at the base tip (first parent: the chain so far, second: the
team's head). Nothing touches a working tree, an index, HEAD or a team branch; the
integration branch moves once, at the end, with compare-and-swap.

The merge of one team and the --fix policy: ``gitorch.integrate.merger``.

Nothing is lost: the losing version of every path is kept in a commit under
``refs/gitorch/dropped/<run-id>/<team>`` (tree: the integration tree with the team's
versions of its lost paths; parents: the integration tip and the team's head) and in
``<report dir>/dropped/<team>.patch`` (``git apply`` it on the integration branch).

After each team the run's state is written to ``refs/gitorch/checkpoint`` (a commit
whose tree holds ``state.json`` and the lost blobs, whose parent is the chain tip; see
``gitorch.runstate``), so ``resume=True`` finishes a run that was killed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gitorch import repo as git
from gitorch.errors import UsageError
from gitorch.ids import ObjectId
from gitorch.integrate.bases import MergeBases
from gitorch.integrate.dropped import save_dropped
from gitorch.integrate.hunks import Lineage
from gitorch.integrate.linetotals import LineTotals
from gitorch.integrate.merger import Merger, Scopes
from gitorch.integrate.runstate import (
    CHECKPOINT_REF,
    Mark,
    RunState,
    chain_owners,
    new_state,
    now_iso,
    prefix_state,
    resumable_state,
    write_checkpoint,
)
from gitorch.manifest import Manifest, TeamName
from gitorch.records import (
    IntegrationReport,
    KeepGreen,
    QualityResult,
    TeamOutcome,
)

if TYPE_CHECKING:   # keep-green's modules are imported by the runs that keep green
    from gitorch.integrate.keepgreen import Options

Progress = Callable[[int, int, str, str], None]  # (done, total, team, what happened)


# --------------------------------------------------------------------------- the run


def integrate(
    repo: git.Repository,
    manifest: Manifest,
    *,
    fix: bool | None = None,
    dry_run: bool = False,
    resume: bool = False,
    remote: str | None = "origin",
    test_command: str | None = None,
    coverage_file: str | None = None,
    report_dir: Path | None = None,
    progress: Progress | None = None,
    keep_green: Options | None = None,
    test_timeout: float | None = None,
) -> IntegrationReport:
    """Build the integration chain from every team branch and return what happened.

    ``fix`` None means False for a new run and "as the run was started" with ``resume``.
    Unless ``dry_run``, the integration branch moves once at the end (compare-and-swap),
    dropped changes are saved under ``refs/gitorch/dropped/<run-id>/`` and a checkpoint
    is kept under ``refs/gitorch/checkpoint`` until the run completes. Patches of dropped
    changes go to ``report_dir/dropped/`` when ``report_dir`` is given. With a test
    command (``test_command``, else ``manifest.gates.test_command``), the quality stage
    runs on the integrated commit (killed after ``test_timeout`` s, else gates.test_timeout).
    With ``keep_green``, teams whose merge breaks the tests are left out first
    (``gitorch.integrate.keepgreen``); a chain that cannot be made green is not published.
    """
    command = test_command or manifest.gates.test_command
    timeout = test_timeout if test_timeout is not None else manifest.gates.test_timeout
    integration_ref = f"refs/heads/{manifest.integration}"
    _check_options(repo, manifest, command=command, coverage_file=coverage_file,
                   integration_ref=integration_ref, dry_run=dry_run, keep_green=keep_green)
    state = (resumable_state(repo, manifest, fix=fix, remote=remote) if resume
             else new_state(repo, manifest, fix=bool(fix), remote=remote))
    checkpoint = git.ref_target(repo, CHECKPOINT_REF)
    if not dry_run:
        checkpoint = write_checkpoint(repo, state, checkpoint)
    lineage = Lineage(repo)   # blobs read (and written) once, for the merges and the patches
    scopes: Scopes = {}       # each team's out-of-scope paths, judged once per run
    bases = MergeBases(repo, state.base, state.heads)   # and merge bases, where they hold
    marks: list[Mark] | None = [] if keep_green is not None and not state.outcomes else None
    checkpoint = _merge_all(repo, manifest, state, checkpoint=checkpoint, dry_run=dry_run,
                            progress=progress, remote=remote, lineage=lineage, scopes=scopes,
                            bases=bases, marks=marks)
    found = None
    if keep_green is not None and command:
        state, found = _keep_green(repo, manifest, state, command, keep_green, timeout, progress,
                                   remote, scopes, bases, marks)
    merged = [o for o in state.outcomes if o.status == "merged"]
    green = found is None or found.green
    quality = (_measure(repo, manifest, state, command, coverage_file, merged, progress, timeout)
               if command and green else None)
    if found is not None and quality is not None:
        from gitorch.integrate.keepgreen import settle_measure

        found, quality = settle_measure(found, quality)
    if merged and not dry_run and green:
        _publish(repo, state, integration_ref)
    dropped = save_dropped(repo, state, report_dir=report_dir, dry_run=dry_run, lineage=lineage)
    if not dry_run and checkpoint is not None:
        git.delete_ref(repo, CHECKPOINT_REF, checkpoint)
    return IntegrationReport(
        project=manifest.project, base_ref=state.base_ref, base=state.base,
        order=tuple(state.order), integration=state.chain if merged and green else None,
        integration_ref=integration_ref, teams=tuple(state.outcomes),
        skipped=tuple(state.skipped), conflicts=tuple(state.conflicts), dropped=dropped,
        quality=quality, fix=state.fix, dry_run=dry_run, started=state.started,
        finished=now_iso(), run_id=state.run_id, resumed=state.resumed, keep_green=found,
    )


def _check_options(repo: git.Repository, manifest: Manifest, *, command: str | None,
                   coverage_file: str | None, integration_ref: str, dry_run: bool,
                   keep_green: Options | None) -> None:
    """Usage errors found before anything is merged."""
    if keep_green is not None:
        from gitorch.integrate.testruns import check_command

        if not command:
            raise UsageError("--keep-green needs a test command",
                             hint="pass --test CMD or set gates.test_command in the manifest")
        check_command(command)
    if coverage_file and not command:
        raise UsageError("--coverage-file needs a test command that writes it",
                         hint="pass --test CMD or set gates.test_command in the manifest")
    if not dry_run:
        where = git.checked_out_branches(repo).get(integration_ref)
        if where is not None:
            raise UsageError(f"{manifest.integration} is checked out in {where}; gitorch moves "
                             "that branch and never touches a checkout",
                             hint=f"switch {where} to another branch, or use --dry-run")


def _merge_all(repo: git.Repository, manifest: Manifest, state: RunState, *,
               checkpoint: git.Oid | None, dry_run: bool, progress: Progress | None,
               remote: str | None = "origin", lineage: Lineage | None = None,
               scopes: Scopes | None = None, bases: MergeBases | None = None,
               marks: list[Mark] | None = None) -> git.Oid | None:
    """Merge every team not merged yet onto the chain, one checkpoint per team; fill in
    the line totals. Returns the last checkpoint written. ``marks``: filled with where
    the state's lists stood before the first team and after each (``prefix_state``)."""
    merger = Merger(repo, manifest, state, remote, lineage, scopes, bases=bases)
    merger.judge_ahead(state.order[len(state.outcomes):])   # their git logs start now
    try:
        lines = LineTotals(repo, manifest, state)   # counted by git meanwhile, on another core
    except BaseException:
        merger.close()
        raise
    total = len(state.order)
    if marks is not None and not state.outcomes:
        marks.append(Mark.of(state))
    try:
        for done, team in enumerate(state.order[len(state.outcomes):],
                                    start=len(state.outcomes)):
            if progress:
                progress(done, total, team, "merging")
            outcome = merger.step(team)
            state.outcomes.append(outcome)
            if marks is not None:
                marks.append(Mark.of(state))
            if not dry_run:
                checkpoint = write_checkpoint(repo, state, checkpoint)
            if progress:
                progress(done + 1, total, team, outcome.status)
        state.outcomes = [lines.fill(o) for o in state.outcomes]
    finally:
        merger.close()
        lines.close()
    return checkpoint


def _measure(repo: git.Repository, manifest: Manifest, state: RunState, command: str,
             coverage_file: str | None, merged: list[TeamOutcome],
             progress: Progress | None, timeout: float | None) -> QualityResult:
    """The quality stage on the chain's tip: tests under coverage, per-team figures, gates."""
    from gitorch import quality as quality_stage

    total = len(state.order)
    if progress:
        progress(total, total, "tests", f"running {command}")
    return quality_stage.run_quality(
        repo=repo, manifest=manifest, commit=state.chain, test_command=command,
        team_merges={o.team: o.merge_commit for o in merged if o.merge_commit},
        coverage_file=coverage_file, timeout=timeout)


def _keep_green(repo: git.Repository, manifest: Manifest, state: RunState, command: str,
                options: Options, timeout: float | None, progress: Progress | None,
                remote: str | None = "origin", scopes: Scopes | None = None,
                bases: MergeBases | None = None, marks: list[Mark] | None = None
                ) -> tuple[RunState, KeepGreen]:
    """Leave out the teams that break the tests (see ``keepgreen``): the same merge engine
    rebuilds the chain without them (from the first team they change: the turns before it
    are the run's own, ``marks``), and merges one team onto a prefix of it."""
    from gitorch.integrate.keepgreen import keep_green
    from gitorch.integrate.testruns import TestRunner, remove_stale_worktrees

    remove_stale_worktrees(repo)
    runner = TestRunner(repo, command, jobs=options.jobs, retries=options.retries,
                        timeout=timeout, junit_file=options.junit_file)
    scopes = {} if scopes is None else scopes
    bases = MergeBases(repo, state.base, state.heads) if bases is None else bases

    built: dict[frozenset[TeamName], RunState] = {}

    def rebuild(left_out: dict[TeamName, str]) -> RunState:
        """The chain without ``left_out``; the same teams left out again (the chain tried
        beside the alone checks, now with its reasons) are not merged again."""
        known = built.get(frozenset(left_out))
        if known is not None:
            return replace(known, left_out=left_out, skipped=[
                replace(s, reason=left_out.get(s.team, s.reason)) for s in known.skipped])
        if marks is not None and len(marks) == len(state.order) + 1:
            changed = [i for i, team in enumerate(state.order)
                       if left_out.get(team) != state.left_out.get(team)]
            fresh = prefix_state(state, marks, min(changed, default=len(state.order)),
                                 left_out)
        else:
            fresh = replace(state, outcomes=[], skipped=[], conflicts=[], lost=[], owners={},
                            pending={}, left_out=left_out, chain=state.base)
        _merge_all(repo, manifest, fresh, checkpoint=None, dry_run=True, progress=None,
                   remote=remote, scopes=scopes, bases=bases)
        built[frozenset(left_out)] = fresh
        return fresh

    def merge_onto(chain: RunState, upto: int, teams: Sequence[TeamName],
                   without: Collection[TeamName] = ()
                   ) -> tuple[ObjectId | None, tuple[TeamName, ...]]:
        merged = [o for o in chain.outcomes if o.merge_commit][:upto]
        probe = replace(chain, outcomes=merged, skipped=[], conflicts=[], lost=[], pending={},
                        left_out=dict.fromkeys(without, "left out of the probe"),
                        chain=(merged[-1].merge_commit or chain.base) if merged else chain.base)
        probe.owners = chain_owners(repo, probe)
        merger = Merger(repo, manifest, probe, remote, scopes=scopes, count_commits=False,
                        bases=bases)
        try:
            done = tuple(team for team in teams if merger.step(team).merge_commit)
        finally:
            merger.close()
        return (probe.chain if done else None), done

    def say(runs: int, what: str) -> None:
        if progress:
            progress(runs, runs + 1, "keep green", what)

    try:
        return keep_green(runner, manifest, state, rebuild=rebuild, merge_onto=merge_onto,
                          say=say)
    finally:
        runner.close()


def _publish(repo: git.Repository, state: RunState, integration_ref: str) -> None:
    """Move the integration branch to the chain's tip (compare-and-swap against the run's start)."""
    current = git.ref_target(repo, integration_ref)
    if current is None or str(current) != state.chain:
        old = git.Oid(hex=state.integration_old) if state.integration_old else None
        git.update_ref(repo, integration_ref, git.Oid(hex=state.chain), old,
                       f"gitorch integrate {state.run_id}")
