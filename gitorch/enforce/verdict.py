"""One verdict on a team's commits, wherever it is asked.

The server hook judges the commits a push brings that the server does not have yet
(reachable from none of its branches and tags), each by the base branch's policy:
every path a commit changes must be the team's, shared, or a dependency's that the
team may change; a merge is charged only with the paths that differ from every parent
(so a clean merge of the base or of another team's branch charges nothing), and the
policy file belongs to the integrators. ``ScopeJudge.commits`` is that rule.

``check``, ``gate``, ``status`` and ``integrate`` ask the same question in a clone,
which sees the server through its remote-tracking branches: ``server_view`` names the
refs whose commits count as "already there" (every ``refs/remotes/<remote>/*`` and
the local base, integration, protected and other teams' branches, never the ref being
judged), ``judge_team`` walks what the head has beyond them and hands it to the same
``ScopeJudge.commits``. A dependency's work merged into a team branch is therefore
not charged again, exactly as on the server.

No pygit2 here: git itself, through :mod:`gitorch.enforce.gitread`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gitorch.enforce import gitread
from gitorch.enforce.commits import Violation
from gitorch.enforce.receive import ScopeJudge, Verdict, no_editor
from gitorch.ids import ObjectId
from gitorch.manifest import DEFAULT_MANIFEST, Manifest, TeamName
from gitorch.manifest.scope import CompiledOwnership


@dataclass(frozen=True)
class Judgement:
    """The commits judged (oldest first) and every violation among them."""

    team: TeamName
    head: ObjectId
    commits: tuple[ObjectId, ...]
    violations: tuple[Violation, ...]

    @property
    def accepted(self) -> bool:
        return not self.violations

    @property
    def offending(self) -> int:
        """How many commits change a path outside the scope (what ``status`` counts)."""
        return len({v.commit for v in self.violations})


def server_view(reader: gitread.Git, manifest: Manifest, team: TeamName, *,
                head_ref: str | None, remote: str | None) -> list[str]:
    """The refs whose commits the server already has, as far as this clone can tell.

    Every branch of ``remote`` as last fetched, and the local base, integration,
    protected and other teams' branches; never ``head_ref`` (the ref being judged)
    nor the team's own local branch (its unpushed commits are what is judged).
    """
    spaces = ["refs/heads/", *([f"refs/remotes/{remote}/"] if remote else [])]
    listing = reader.run("for-each-ref", "--format=%(refname)", *spaces) or ""
    own = f"refs/heads/{manifest.branch(team)}"
    out = []
    for ref in listing.splitlines():
        if not ref or ref in (head_ref, own) or ref.endswith("/HEAD"):
            continue
        if ref.startswith("refs/heads/"):
            branch = ref[len("refs/heads/"):]
            if manifest.team_of_branch(branch) is None and not manifest.is_protected(branch):
                continue    # a private branch of this clone: the server need not have it
        out.append(ref)
    return out


def judge_team(reader: gitread.Git, manifest: Manifest, team: TeamName, head: ObjectId, *,
               exclude: Sequence[str], base: str | None, before: str | None = None,
               policy_path: str = DEFAULT_MANIFEST,
               compiled: CompiledOwnership | None = None) -> Judgement:
    """The hook's rule on the commits ``head`` has beyond ``exclude`` (and ``base``).

    ``base``: the base branch's tip (added paths are checked for case collisions
    with its tree); ``before``: the previous tip of the team branch on the server,
    checked the same way.
    """
    stops = list(dict.fromkeys([*exclude, *([base] if base is not None else [])]))
    infos = reader.new_commits([head], stops)
    judge = ScopeJudge(reader, manifest, [base] if base is not None else [], compiled,
                       policy_path=policy_path)
    _, violations = judge.commits(team, infos, before=before)
    return Judgement(team=team, head=head, commits=tuple(c.id for c in infos),
                     violations=tuple(violations))


def judge_in_clone(reader: gitread.Git, manifest: Manifest, team: TeamName, head: ObjectId, *,
                   head_ref: str | None, base: str | None, remote: str | None,
                   policy_path: str = DEFAULT_MANIFEST, also_there: Sequence[str] = (),
                   compiled: CompiledOwnership | None = None) -> Judgement:
    """``judge_team`` with the server as this clone sees it (``server_view``)."""
    exclude = [*server_view(reader, manifest, team, head_ref=head_ref, remote=remote),
               *also_there]
    before = None
    if remote:
        mine = f"refs/remotes/{remote}/{manifest.branch(team)}"
        if mine != head_ref and mine in exclude:
            before = mine
    return judge_team(reader, manifest, team, head, exclude=exclude, base=base, before=before,
                      policy_path=policy_path, compiled=compiled)


def check_verdict(judged: Judgement, manifest: Manifest, ref: str, *, base_known: bool
                  ) -> Verdict:
    """``gitorch check``'s answer, worded as the hook words its own."""
    count = len(judged.commits)
    team = judged.team
    beyond = f"beyond {manifest.base}" if base_known else "(no base branch)"
    plural = "s" if count != 1 else ""
    if judged.accepted:
        return Verdict(ref, True, f"{count} commit{plural} {beyond}, all within team {team}'s "
                       "scope", commits=count)
    offending = judged.offending
    return Verdict(ref, False, f"{offending} commit{'s' if offending != 1 else ''} of {count} "
                   f"{beyond} change{'s' if offending == 1 else ''} paths outside team "
                   f"{team}'s scope", violations=judged.violations, commits=count,
                   advice=f"take these changes out of your commits (git rebase -i "
                   f"{manifest.base}) and leave them to their owners; the server refuses "
                   f"this push as it is; {no_editor(manifest.base, judged.violations)}")
