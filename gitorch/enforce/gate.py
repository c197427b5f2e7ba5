"""The pull-request gate: a team's commits judged by the base branch's policy, told the GitHub way.

The policy is ``gitorch.yaml`` as it is at the tip of the base branch, never as the
pull request has it: a pull request that widens its own scope is judged by the old
scope, and its edit of the manifest is itself a violation (the manifest belongs to
the integrators). Every commit in base..head goes through the hook's engine
(:mod:`gitorch.enforce.commits`), so the gate and the server hook agree.

This is the verdict; :mod:`gitorch.enforce.actions` tells it the GitHub Actions way.
Nothing here prints or exits; the command layer does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gitorch import repo as git
from gitorch.enforce import gitread, verdict
from gitorch.enforce.commits import Violation
from gitorch.errors import GitorchError, ManifestError, UsageError
from gitorch.ids import ObjectId, object_id
from gitorch.manifest import DEFAULT_MANIFEST, Manifest, TeamName
from gitorch.manifest.loading import parse_manifest
from gitorch.records import PredictedConflict, QualityResult

FETCH_HINT = "check out with full history (actions/checkout with fetch-depth: 0) or fetch the branch"


# --------------------------------------------------------------------------- where we run


@dataclass(frozen=True)
class GateRefs:
    """What to judge: the base and head as named by the user or the pull request event."""

    base: str
    head: str
    head_branch: str | None    # the head's branch name, which names the team
    actions: bool              # running inside GitHub Actions
    from_event: bool = False   # both came from the pull request event, not from options


def in_actions(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def identity(env: Mapping[str, str]) -> str | None:
    """Who asks: ``GITORCH_USER``, else (in Actions) the actor of the workflow run."""
    return env.get("GITORCH_USER") or (env.get("GITHUB_ACTOR") if in_actions(env) else None) or None


def gate_refs(env: Mapping[str, str], *, base: str | None, head: str | None,
              current_branch: str | None, remote: str | None = "origin") -> GateRefs:
    """Base and head from ``--base``/``--head``, else from the pull request event in Actions.

    Outside Actions ``--base`` is required and the head defaults to the checked-out branch.
    """
    actions = in_actions(env)
    from_event = actions and base is None and head is None
    if actions:
        base = base or env.get("GITHUB_BASE_REF") or None
        head = head or env.get("GITHUB_HEAD_REF") or None
        if base is None or head is None:
            raise UsageError("GITHUB_BASE_REF/GITHUB_HEAD_REF are not set: this is no pull request run",
                             hint="run the gate on pull_request events, or pass --base REF and --head REF")
    elif base is None:
        raise UsageError("no base to judge against", hint="pass --base REF (the pull request's target)")
    if head is None:
        if current_branch is None:
            raise UsageError("HEAD is detached: no head branch to judge",
                             hint="pass --head REF (the team branch)")
        head = current_branch
    return GateRefs(base=base, head=head, head_branch=branch_name(head, remote), actions=actions,
                    from_event=from_event)


def branch_name(ref: str, remote: str | None) -> str:
    """``refs/heads/x``, ``refs/remotes/origin/x`` and ``origin/x`` all name the branch ``x``."""
    ref = ref.removeprefix("refs/heads/")
    if remote:
        ref = ref.removeprefix(f"refs/remotes/{remote}/").removeprefix(f"{remote}/")
    return ref


def manifest_relpath(root: Path, option: str | None) -> str:
    """The manifest's path inside the repository (``--manifest`` is relative to the cwd)."""
    if not option:
        return DEFAULT_MANIFEST
    full = (Path.cwd() / option).resolve()
    try:
        return full.relative_to(root.resolve()).as_posix()
    except ValueError:
        raise UsageError(f"{option}: the gate reads the manifest from the base branch, so it must "
                         "lie inside the repository", hint="pass --manifest PATH inside the repository"
                         ) from None


def _resolve(repo: git.Repository, name: str, remote: str | None) -> git.Commit:
    """The local branch ``name``, else ``<remote>/<name>``, else any revision."""
    found = git.branch_commit(repo, name, remote)
    if found is not None:
        return found
    try:
        return git.resolve_commit(repo, name)
    except GitorchError:
        raise GitorchError(f"cannot find '{name}' in this repository", hint=FETCH_HINT) from None


def _event_commits(repo: git.Repository, refs: GateRefs, env: Mapping[str, str]
                   ) -> tuple[git.Commit, git.Commit] | None:
    """In a pull_request run, the parents of the merge commit that GitHub made and
    actions/checkout checked out: the base tip and the pull request's own head. They are
    exact where branch names are not (a fork's branch may share a team branch's name)."""
    sha = env.get("GITHUB_SHA")
    if not refs.from_event or env.get("GITHUB_EVENT_NAME") != "pull_request" or not sha:
        return None
    try:
        merge = git.resolve_commit(repo, sha)
    except GitorchError:
        return None
    parents = merge.parents
    return (parents[0], parents[1]) if len(parents) == 2 else None


# --------------------------------------------------------------------------- the decision


@dataclass(frozen=True)
class PathProblem:
    """One path changed outside the team's scope, with every commit that changed it."""

    path: str
    owner: str
    commits: tuple[tuple[str, str], ...]      # (sha, subject), oldest first
    line: int | None                          # first added line in the pull request's diff


@dataclass(frozen=True)
class GateResult:
    base_ref: str
    head_ref: str
    base: ObjectId
    head: ObjectId
    merge_base: ObjectId
    team: TeamName | None
    manifest_path: str
    commits: int
    violations: tuple[Violation, ...] = ()
    problems: tuple[PathProblem, ...] = ()
    overlaps: tuple[PredictedConflict, ...] = ()
    overlap_lines: Mapping[str, int] = field(default_factory=dict)
    failures: tuple[str, ...] = ()            # failures that are not paths: branch, tests, coverage
    notices: tuple[str, ...] = ()
    quality: QualityResult | None = None
    diff_coverage_gate: float | None = None
    manifest: Manifest | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return not self.violations and not self.failures

    def to_dict(self) -> dict[str, Any]:
        q = self.quality
        team_cov = q.teams.get(self.team) if q is not None and self.team is not None else None
        return {
            "passed": self.passed, "team": self.team,
            "base_ref": self.base_ref, "head_ref": self.head_ref,
            "base": self.base, "head": self.head, "merge_base": self.merge_base,
            "policy": {"path": self.manifest_path, "commit": self.base},
            "commits": self.commits,
            "violations": [{"commit": v.commit, "subject": v.subject, "path": v.path,
                            "owner": v.owner} for v in self.violations],
            "paths": [{"path": p.path, "owner": p.owner, "line": p.line,
                       "commits": [c for c, _ in p.commits]} for p in self.problems],
            "overlaps": [c.to_dict() for c in self.overlaps],
            "failures": list(self.failures), "notices": list(self.notices),
            "tests": None if q is None else {"command": q.command, "passed": q.passed,
                                             "returncode": q.returncode},
            "diff_coverage": None if team_cov is None else team_cov.diff_coverage,
            "diff_coverage_gate": self.diff_coverage_gate,
        }


def read_policy(repo: git.Repository, base: git.Commit, base_ref: str, path: str) -> Manifest:
    """The manifest as the base branch has it; a missing or broken one stops the gate (exit 2)."""
    where = f"{base_ref}:{path}"
    data = git.read_file(repo, base, path)
    if data is None:
        raise ManifestError([f"{where}: no manifest on the base branch, so no policy to judge by"],
                            hint="an integrator commits gitorch.yaml to the base branch first")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError([f"{where}: the manifest is not UTF-8 text"]) from None
    return parse_manifest(text, where)


def evaluate(*, repo: git.Repository, refs: GateRefs, manifest_path: str = DEFAULT_MANIFEST,
             team: str | None = None, remote: str | None = "origin",
             who: str | None = None, env: Mapping[str, str] | None = None,
             overlaps: bool = True) -> GateResult:
    """Judge every commit of base..head by the base branch's policy.

    The team is ``team`` or the one whose branch the head is. A head that is no team
    branch fails, unless ``who`` is an integrator (then it passes with a notice: the
    integrators own everything a team does not). Overlaps with other team branches
    are warnings, never failures.
    """
    env = env or {}
    event = _event_commits(repo, refs, env)
    base, head = event or (_resolve(repo, refs.base, remote), _resolve(repo, refs.head, remote))
    manifest = read_policy(repo, base, refs.base, manifest_path)
    if git.is_shallow(repo):
        raise GitorchError("this clone is shallow: the commits of the pull request may be cut off",
                           hint=FETCH_HINT)
    mb = git.merge_base(repo, base.id, head.id)
    if mb is None:
        raise GitorchError(f"'{refs.base}' and '{refs.head}' share no history", hint=FETCH_HINT)
    commits = list(git.walk(repo, [head.id], [base.id]))
    merge_base = git.resolve_commit(repo, str(mb))
    result = GateResult(base_ref=refs.base, head_ref=refs.head, base=object_id(base.id),
                        head=object_id(head.id), merge_base=object_id(mb), team=None,
                        manifest_path=manifest_path,
                        commits=len(commits), diff_coverage_gate=manifest.gates.diff_coverage,
                        manifest=manifest)

    named = manifest.team_of_branch(refs.head_branch) if refs.head_branch else None
    if team is not None:
        if team not in manifest.teams:
            raise UsageError(f"no team '{team}' in {refs.base}:{manifest_path}",
                             hint=f"teams: {', '.join(sorted(manifest.teams))}")
        if named is not None and named != team:
            raise UsageError(f"{refs.head_branch} is team {named}'s branch, not {team}'s",
                             hint="drop --team or name the right team")
        named = TeamName(team)
    if named is None:
        return _no_team(result, manifest, refs, who, _head_policy_problems(repo, base, head,
                                                                           refs, manifest_path))

    with gitread.Git(repo.path) as reader:
        judged = verdict.judge_in_clone(reader, manifest, named, object_id(head.id),
                                        head_ref=_head_ref(repo, refs, remote, event is not None),
                                        base=str(base.id), remote=remote,
                                        policy_path=manifest_path)
    violations = list(judged.violations)
    lines = git.added_lines(repo, merge_base, head)
    result = replace(result, team=named, violations=tuple(violations),
                     problems=_problems(violations, lines))
    if overlaps:
        result = _with_overlaps(result, repo, manifest, named, remote)
    return result


def _head_ref(repo: git.Repository, refs: GateRefs, remote: str | None, from_event: bool
              ) -> str | None:
    """The ref the head was read from: it is what is judged, so it never counts as already there."""
    if refs.head.startswith("refs/"):
        return refs.head
    local = f"refs/heads/{refs.head}"
    if not from_event and git.ref_target(repo, local) is not None:
        return local
    if remote:
        return f"refs/remotes/{remote}/{refs.head_branch or refs.head}"
    return None


def _no_team(result: GateResult, manifest: Manifest, refs: GateRefs, who: str | None,
             policy_problems: tuple[str, ...]) -> GateResult:
    branch = refs.head_branch or refs.head
    pattern = f"{manifest.branch_prefix}<team>"
    if who is not None and who in manifest.integrators:
        return replace(result, failures=policy_problems, notices=(
            f"{branch} is not a team branch; {who} is an integrator, so scopes are not checked",))
    return replace(result, failures=(
        f"{branch} is not a team branch: pull requests come from {pattern} "
        f"(teams: {', '.join(sorted(manifest.teams))}) unless an integrator opens them",))


def _head_policy_problems(repo: git.Repository, base: git.Commit, head: git.Commit,
                          refs: GateRefs, path: str) -> tuple[str, ...]:
    """An integrator's change of the manifest must leave a valid one: once merged, it is the
    policy (the server hook refuses the same push to the base branch)."""
    new = git.read_file(repo, head, path)
    if new == git.read_file(repo, base, path):
        return ()
    if new is None:
        return (f"the pull request deletes {path}: after the merge there is no policy",)
    try:
        parse_manifest(new.decode("utf-8", errors="replace"), f"{refs.head}:{path}")
    except ManifestError as exc:
        return tuple(exc.problems)
    return ()


def _problems(violations: list[Violation], lines: Mapping[str, frozenset[int]]
              ) -> tuple[PathProblem, ...]:
    grouped: dict[str, list[Violation]] = {}
    for v in violations:
        grouped.setdefault(v.path, []).append(v)
    return tuple(
        PathProblem(path=path, owner=vs[0].owner,
                    commits=tuple(dict.fromkeys((v.commit, v.subject) for v in vs)),
                    line=min(lines[path]) if path in lines else None)
        for path, vs in grouped.items())


def _with_overlaps(result: GateResult, repo: git.Repository, manifest: Manifest, team: TeamName,
                   remote: str | None) -> GateResult:
    from gitorch.overlap import find_conflicts

    try:
        report = find_conflicts(repo, manifest, base=result.base, remote=remote)
    except GitorchError as exc:     # overlaps are advice: their failure must not fail the gate
        return replace(result, notices=(*result.notices, f"overlaps not checked: {exc}"))
    mine = tuple(c for c in report.conflicts if team in c.teams)
    first = {c.path: min(r[0] for r in c.ranges[team]) for c in mine if c.ranges.get(team)}
    return replace(result, overlaps=mine, overlap_lines=first)


def team_added_lines(repo: git.Repository, result: GateResult) -> dict[str, frozenset[int]]:
    """The lines the team added in the head tree (merge base..head), in paths it may change."""
    assert result.manifest is not None and result.team is not None
    may = result.manifest.ownership.may_change
    lines = git.added_lines(repo, git.resolve_commit(repo, result.merge_base),
                            git.resolve_commit(repo, result.head))
    return {p: ls for p, ls in lines.items() if may(result.team, p)}


def judge_quality(result: GateResult, quality: QualityResult) -> GateResult:
    """Failed tests fail the gate, and so does the team's diff coverage under the gate."""
    failures = list(result.failures)
    if quality.passed is False:
        failures.append(f"tests failed: '{quality.command}' exited {quality.returncode}")
    cov = quality.teams.get(result.team) if result.team is not None else None
    gate = result.diff_coverage_gate
    if gate is not None and cov is not None and cov.diff_coverage is not None \
            and cov.diff_coverage < gate:
        failures.append(f"diff coverage of team {result.team}: {cov.diff_coverage:.1f}% < {gate:g}%")
    return replace(result, quality=quality, failures=tuple(failures))
