"""The server hook's decision: ref updates in, verdicts out.

``judge_push`` applies the server's rules (docs/enforcement.md) to the ref updates of one push and returns
one verdict per ref. It reads the repository through ``gitorch.enforce.gitread`` (git itself,
no pygit2: start-up is most of a hook's cost) and never prints, reads stdin or exits:
``gitorch.hooks`` does the I/O around it.

A pre-receive hook accepts or refuses a push as a whole (git offers no per-ref answer
there), so one refused ref refuses the push and nothing is applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gitorch.enforce import gitread as hookgit
from gitorch.enforce.commits import MANIFEST_OWNER, Violation
from gitorch.errors import ManifestError
from gitorch.ids import ObjectId
from gitorch.manifest import DEFAULT_MANIFEST, Manifest, TeamName
from gitorch.manifest.loading import parse_manifest
from gitorch.manifest.ownership import UNOWNED
from gitorch.manifest.pathnames import shown
from gitorch.manifest.scope import CompiledOwnership

IDENTITY_VARIABLES = (
    "GITORCH_USER",        # set by the administrator's own wrapper
    "GL_USER",             # gitolite
    "GL_USERNAME",         # GitLab
    "GITEA_PUSHER_NAME",   # Gitea, Forgejo
    "GITHUB_USER_LOGIN",   # GitHub Enterprise Server
    "REMOTE_USER",         # git http-backend behind a web server
)


@dataclass(frozen=True)
class RefUpdate:
    """One ``old new ref`` line of a pre-receive hook (or a pre-push hook, rearranged)."""

    old: ObjectId
    new: ObjectId
    ref: str

    @property
    def created(self) -> bool:
        return not self.old.strip("0")

    @property
    def deleted(self) -> bool:
        return not self.new.strip("0")


@dataclass(frozen=True)
class Policy:
    """The manifest in force, where it came from, and why there is none when there is none."""

    manifest: Manifest | None
    source: str                 # "gitorch.yaml on main" or the pinned file's path
    pinned: bool = False
    problem: str | None = None  # one line: why no policy could be read
    compiled: CompiledOwnership | None = None   # the manifest's scopes, compiled (cached)
    branch: str | None = None   # the branch whose gitorch.yaml it is (None: pinned, or none)
    consulted: frozenset[str] = frozenset()     # every branch whose tip decided it


@dataclass(frozen=True)
class Verdict:
    """The decision on one ref: accepted, or refused with one-line reason, violations and advice."""

    ref: str
    accepted: bool
    reason: str
    violations: tuple[Violation, ...] = ()
    advice: str = ""
    commits: int = 0


def identity(env: Mapping[str, str]) -> str | None:
    """The pusher: the first identity variable (in the documented order) set to a non-empty value."""
    for name in IDENTITY_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def parse_updates(text: str) -> list[RefUpdate]:
    """``old new ref`` lines as git feeds them to pre-receive; ValueError on anything else."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 3 or any(len(p) not in (40, 64) for p in parts[:2]):
            raise ValueError(f"unexpected input line {line[:80]!r}")
        out.append(RefUpdate(old=ObjectId(parts[0]), new=ObjectId(parts[1]), ref=parts[2]))
    return out


def manifest_at(repo: hookgit.Git, commit: str) -> Manifest:
    """The validated ``gitorch.yaml`` of a commit; ManifestError (lines FILE:LINE) otherwise."""
    found = repo.blob(commit, DEFAULT_MANIFEST)
    where = f"{DEFAULT_MANIFEST}@{commit[:8]}"
    if found is None:
        raise ManifestError([f"{where}: no {DEFAULT_MANIFEST} in this commit"])
    try:
        text = found[1].decode("utf-8")
    except UnicodeDecodeError:
        raise ManifestError([f"{where}: not UTF-8 text"]) from None

    def files() -> list[str]:
        """The commit's files, asked only to show an overlap of two teams on a real file."""
        listed = repo.run("ls-tree", "-r", "-z", "--name-only", commit)
        return [p for p in (listed or "").split("\0") if p]

    return parse_manifest(text, where, files)


# --------------------------------------------------------------------------- the engine


class ScopeJudge:
    """Judges commits against one manifest's scopes; caches each path's owner across refs."""

    def __init__(self, repo: hookgit.Git, manifest: Manifest, existing: Iterable[str] = (),
                 compiled: CompiledOwnership | None = None, policy_path: str = DEFAULT_MANIFEST):
        self.repo = repo
        self.manifest = manifest
        self._compiled = compiled if compiled is not None \
            else CompiledOwnership(manifest.ownership)
        # the policy itself belongs to the integrators, whatever the scopes say
        self._policy_path = policy_path
        self._owner: dict[str, str] = {policy_path: MANIFEST_OWNER}
        self._base = list(existing)
        self._twins = hookgit.FoldedTrees(repo)

    def owner(self, path: str) -> str:
        found = self._owner.get(path)
        if found is None:
            found = self._owner[path] = self._compiled.owner_of(path)
        return found

    def may_change(self, team: TeamName, path: str) -> bool:
        owner = self.owner(path)
        if path == self._policy_path:
            return False
        if owner in ("shared", team):
            return True
        return owner != UNOWNED and team in self._compiled.ancestors.get(TeamName(owner), ())

    def commits(self, team: TeamName, commits: Iterable[hookgit.CommitInfo],
                before: str | None = None) -> tuple[int, list[Violation]]:
        """(number of commits judged, every violation among them, oldest commit first).

        An added path is also checked for a case/normalisation collision with the paths
        that exist already: those of the base branch and of ``before`` (the branch's
        previous tip). A path added by the same push needs no such check: if another team
        owns it, adding it is a violation of its own.
        """
        out: list[Violation] = []
        count = 0
        position: dict[str, int] = {}
        pending_added: list[tuple[hookgit.CommitInfo, str]] = []
        for commit in commits:
            position[commit.id] = count
            count += 1
            added = commit.added
            for path in sorted(commit.changed):
                if not self.may_change(team, path):
                    out.append(Violation(commit=commit.id, subject=commit.subject,
                                         path=path, owner=self.owner(path)))
                elif path in added:
                    pending_added.append((commit, path))
        trees = list(dict.fromkeys([*self._base, *([before] if before is not None else [])]))
        out.extend(self._collisions(team, pending_added, trees))
        out.sort(key=lambda v: (position[v.commit], v.path))
        return count, out

    def _collisions(self, team: TeamName, added: Sequence[tuple[hookgit.CommitInfo, str]],
                    trees: Sequence[str]) -> list[Violation]:
        """Added paths that name, case-folded and NFC-normalised, another team's path in one
        of ``trees`` (commits: the base branch, the branch's previous tip)."""
        if not added:
            return []
        paths = [path for _, path in added]
        suspects: set[str] = set()
        for tree in trees:
            suspects |= self._twins.suspects(tree, paths)
        out = []
        for commit, path in added:
            if path not in suspects:
                continue
            twins: set[str] = set()
            for tree in trees:
                twins.update(self._twins.find(tree, path))
            for other in sorted(twins):
                if other != path and not self.may_change(team, other):
                    out.append(Violation(commit=commit.id, subject=commit.subject,
                                         path=path, owner=self.owner(other), collides_with=other))
        return out


def judge_push(repo: hookgit.Git, policy: Policy, updates: Sequence[RefUpdate],
               user: str | None, *, check_identity: bool = True,
               exclude: Sequence[str] | None = None,
               started: hookgit.Started | None = None) -> list[Verdict]:
    """One verdict per update, in order. The push is to be accepted only if all are.

    ``exclude``: the commits the receiving side has judged already (default: the tips of
    ``repo``'s branches and tags, the refs the hook governs, never refs a hosting server
    writes itself); what they reach is not judged again. ``check_identity`` False (a client-side
    pre-push, which cannot know the server's identity) skips the rules on who pushes.
    """
    manifest = policy.manifest
    bootstrap: RefUpdate | None = None
    if manifest is None:
        bootstrap, manifest = _bootstrap(repo, updates, user if check_identity else None)
        if manifest is None:
            reason = (f"no readable policy ({policy.problem or 'unknown reason'}); only a push "
                      "that brings the base branch a valid gitorch.yaml is accepted (creating "
                      f"it, or a fast-forward by a name in git config {BOOTSTRAP_CONFIG})")
            return [Verdict(u.ref, False, reason, advice=NO_POLICY_ADVICE) for u in updates]
    existing = [c for c in (repo.branch(manifest.base),) if c is not None]
    compiled = policy.compiled if manifest is policy.manifest else None
    judge = ScopeJudge(repo, manifest, existing, compiled)
    rules = _Rules(repo, manifest, policy, judge, exclude, user, check_identity)
    rules.load_commits(updates, started)
    verdicts = []
    for update in updates:
        if update is bootstrap:
            reason = (f"creates the base branch {manifest.base} with a valid gitorch.yaml"
                      if update.created else
                      f"adds a valid gitorch.yaml to the base branch {manifest.base} (pushed "
                      f"by {user}, named in git config {BOOTSTRAP_CONFIG}): the policy from now on")
            verdicts.append(Verdict(update.ref, True, reason))
        else:
            verdicts.append(rules.judge(update))
    return verdicts


NO_POLICY_ADVICE = ("an integrator named in the server's 'git config gitorch.integrators' (set "
                     "it with 'gitorch hooks install --server BARE --integrators NAME') pushes a "
                     "commit that adds a valid gitorch.yaml to the base branch (a fast-forward); "
                     "or an administrator pins a policy with 'gitorch hooks install --server "
                     "BARE --policy FILE'")
BOOTSTRAP_CONFIG = "gitorch.integrators"


def bootstrap_integrators(repo: hookgit.Git) -> tuple[str, ...]:
    """Who may push the first gitorch.yaml onto an existing base: ``git config
    gitorch.integrators`` in the server repository (names separated by commas or spaces)."""
    found = repo.config(BOOTSTRAP_CONFIG) or ""
    return tuple(n for n in found.replace(",", " ").split() if n)


def _bootstrap(repo: hookgit.Git, updates: Sequence[RefUpdate], user: str | None
               ) -> tuple[RefUpdate | None, Manifest | None]:
    """With no policy: the update that brings the base branch its first valid gitorch.yaml.

    Creating the base that way is open to anyone (a fresh repository has nothing to
    protect). Moving an existing base (adopting a repository with history) needs a
    pusher named in ``git config gitorch.integrators`` and a fast-forward: history the
    server has is never rewritten on the way in.
    """
    for update in updates:
        if update.deleted or not update.ref.startswith("refs/heads/"):
            continue
        commit = repo.commit(update.new)
        if commit is None:
            continue
        try:
            manifest = manifest_at(repo, commit)
        except ManifestError:
            continue
        if update.ref != f"refs/heads/{manifest.base}":
            continue
        if update.created:
            return update, manifest
        if (user is not None and user in bootstrap_integrators(repo)
                and repo.run("merge-base", "--is-ancestor", update.old, commit) is not None):
            return update, manifest
    return None, None


class _Rules:
    def __init__(self, repo: hookgit.Git, manifest: Manifest, policy: Policy,
                 judge: ScopeJudge, exclude: Sequence[str] | None, user: str | None,
                 check_identity: bool):
        self.repo = repo
        self.m = manifest
        self.policy = policy
        self.scopes = judge
        self.exclude = exclude
        self.new: dict[str, hookgit.CommitInfo] = {}
        self.order: dict[str, int] = {}
        self.commit_ids: dict[str, str | None] = {}
        self.user = user
        self.check_identity = check_identity

    def load_commits(self, updates: Sequence[RefUpdate], started: hookgit.Started | None) -> None:
        """Every commit that the team branches of this push bring, read in one go."""
        names = [u.new for u in updates if not u.deleted]
        names += [u.old for u in updates if not u.created]
        self.commit_ids = dict(zip(names, self.repo.commits(names), strict=True))
        heads = []
        for update in updates:
            if not update.deleted and self.m.team_of_branch(update.ref) is not None:
                commit = self.commit_ids.get(update.new)
                if commit is not None:
                    heads.append(commit)
        infos = self.repo.new_commits(heads, self.exclude, started=started)
        self.new = {c.id: c for c in infos}
        self.order = {c.id: i for i, c in enumerate(infos)}

    def brought_by(self, head: str) -> list[hookgit.CommitInfo]:
        """The new commits ``head`` reaches, oldest first."""
        seen: set[str] = set()
        todo = [head]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.new:
                continue
            seen.add(current)
            todo.extend(self.new[current].parents)
        return sorted((self.new[c] for c in seen), key=lambda c: self.order[c.id])

    def who(self) -> str:
        return self.user if self.user is not None else "an unknown pusher"

    def is_integrator(self) -> bool:
        return self.user is not None and self.user in self.m.integrators

    def integrators(self) -> str:
        return ", ".join(self.m.integrators) or "none listed in gitorch.yaml"

    def judge(self, update: RefUpdate) -> Verdict:
        ref = update.ref
        m = self.m
        team = m.team_of_branch(ref) if ref.startswith("refs/heads/") else None
        if team is not None:
            return self.team_branch(update, team)
        if ref == f"refs/heads/{m.base}":
            return self.protected(update, f"the base branch {m.base}", base=True)
        source = self.policy.branch
        if source is not None and ref == f"refs/heads/{source}":
            return self.protected(update, f"{source}, the branch the policy (gitorch.yaml) is "
                                  "read from", base=True)
        if ref == f"refs/heads/{m.integration}":
            return self.protected(update, f"the integration branch {m.integration}")
        if ref.startswith("refs/tags/"):
            return self.protected(update, "tags")
        if ref.startswith("refs/heads/") and m.is_protected(ref[len("refs/heads/"):]):
            return self.protected(update, f"the protected branch {ref[len('refs/heads/'):]}")
        teams = ", ".join(sorted(m.teams))
        more = f", {', '.join(m.protected)}" if m.protected else ""
        return Verdict(ref, False, f"not a team branch: gitorch accepts "
                       f"refs/heads/{m.branch_prefix}<team> (teams: {teams})",
                       advice=f"push your work to refs/heads/{m.branch_prefix}<team>; "
                       f"{m.base}, {m.integration}{more} and tags are for integrators "
                       f"({self.integrators()}); another branch for integrators goes under "
                       "'protected:' in gitorch.yaml")

    def protected(self, update: RefUpdate, what: str, *, base: bool = False) -> Verdict:
        if self.check_identity and not self.is_integrator():
            why = ("no pusher identity is known (the server sets none of "
                   f"{', '.join(IDENTITY_VARIABLES)})" if self.user is None
                   else f"{self.user} is not an integrator")
            return Verdict(update.ref, False, f"only integrators ({self.integrators()}) may "
                           f"update {what}; {why}",
                           advice=f"push to your team branch refs/heads/{self.m.branch_prefix}<team> "
                           "and let an integrator merge it")
        if not base:
            return Verdict(update.ref, True, f"{what} updated by integrator {self.who()}")
        if update.deleted:
            if self.policy.pinned:
                return Verdict(update.ref, True, f"{what} deleted by integrator {self.who()}")
            return Verdict(update.ref, False, f"deleting {what} would delete the policy "
                           "(gitorch.yaml) with it", advice="push a new tip instead of deleting it")
        commit = self.repo.commit(update.new)
        if commit is None:
            return Verdict(update.ref, False, f"{update.new[:8]} is not a commit")
        if self.policy.pinned and self.repo.blob(commit, DEFAULT_MANIFEST) is None:
            return Verdict(update.ref, True, f"{what} updated by integrator {self.who()}")
        try:
            manifest_at(self.repo, commit)
        except ManifestError as exc:
            first = exc.problems[0] if exc.problems else str(exc)
            more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            return Verdict(update.ref, False, f"gitorch.yaml at the new tip does not validate: "
                           f"{first}{more}",
                           advice="fix it ('gitorch validate' shows every problem) and push again")
        return Verdict(update.ref, True, f"{what} updated by integrator {self.who()}; "
                       "gitorch.yaml validates")

    def team_branch(self, update: RefUpdate, team: TeamName) -> Verdict:
        m = self.m
        members = m.teams[team].members
        if update.deleted:
            if self.check_identity and not self.is_integrator():
                why = "no pusher identity is known" if self.user is None \
                    else f"{self.user} is not an integrator"
                return Verdict(update.ref, False, f"only integrators ({self.integrators()}) may "
                               f"delete a team branch; {why}",
                               advice="ask an integrator: a deleted team branch is lost work")
            return Verdict(update.ref, True, f"team branch deleted by integrator {self.who()}")
        if (self.check_identity and members and self.user is not None
                and self.user not in members and not self.is_integrator()):
            return Verdict(update.ref, False, f"{self.user} is not a member of team {team} "
                           f"(members: {', '.join(members)})",
                           advice=f"push to your own team's branch, or ask team {team} or an "
                           "integrator to add you to 'members' in gitorch.yaml")
        commit = self.commit_ids.get(update.new) or self.repo.commit(update.new)
        if commit is None:
            return Verdict(update.ref, False, f"{update.new[:8]} is not a commit")
        before = None if update.created else self.commit_ids.get(update.old)
        count, violations = self.scopes.commits(team, self.brought_by(commit), before=before)
        if not violations:
            return Verdict(update.ref, True, f"{count} new commit{'s' if count != 1 else ''} "
                           f"within team {team}'s scope", commits=count)
        offending = len({v.commit for v in violations})
        return Verdict(
            update.ref, False,
            f"{offending} commit{'s' if offending != 1 else ''} of {count} change"
            f"{'s' if offending == 1 else ''} paths outside team {team}'s scope",
            violations=tuple(violations), commits=count,
            advice=f"take these changes out of your commits (git rebase -i "
                   f"{m.base}; a change to another team's path goes to that team's branch, "
                   "an unowned path needs an owner in gitorch.yaml first) and push again; "
                   f"'gitorch check' shows this list before you push; {no_editor(m.base, violations)}",
        )


# --------------------------------------------------------------------------- text


def no_editor(base: str, violations: Sequence[Violation]) -> str:
    """The same fix without an editor (an agent cannot drive ``git rebase -i``)."""
    paths = " ".join(_sh(p) for p in dict.fromkeys(v.path for v in violations))
    return ("without an editor, on a branch with no merges: git reset --soft "
            f"$(git merge-base HEAD origin/{base}) && git restore --staged -- {paths} && "
            "git commit -m 'MESSAGE' (one commit of your in-scope work; the other edits "
            "stay in your working tree)")


def _sh(path: str) -> str:
    """``path`` as one shell word on one line: ANSI-C quoting ($'...') where it holds a
    control character or bytes that are not UTF-8, else plain shell quoting."""
    import shlex

    raw = path.encode("utf-8", "surrogateescape")
    if all(32 <= b < 127 or b >= 128 for b in raw) and raw.decode("utf-8", "replace") == path:
        return shlex.quote(path)
    body = "".join(chr(b) if 32 <= b < 127 and b not in b"'\\" else f"\\x{b:02x}" for b in raw)
    return f"$'{body}'"


def describe(v: Violation) -> str:
    """``path  (owner: beta)`` and, for a collision, the path it collides with."""
    owner = "nobody (no team owns it)" if v.owner == UNOWNED else v.owner
    if v.collides_with:
        return (f"{shown(v.path)}  (same file as {shown(v.collides_with)} on case-insensitive "
                f"file systems; owner: {owner})")
    return f"{shown(v.path)}  (owner: {owner})"


def render(verdicts: Sequence[Verdict], *, verbose_accept: bool = True) -> list[str]:
    """The lines a pusher sees: refused refs with each commit, path and owner, then the outcome."""
    lines: list[str] = []
    refused = [v for v in verdicts if not v.accepted]
    for verdict in verdicts:
        if verdict.accepted:
            if verbose_accept:
                lines.append(f"gitorch: ok {verdict.ref}: {verdict.reason}")
            continue
        lines.append(f"gitorch: REFUSED {verdict.ref}: {verdict.reason}")
        by_commit: dict[str, list[Violation]] = {}
        for v in verdict.violations:
            by_commit.setdefault(v.commit, []).append(v)
        for commit, items in by_commit.items():
            lines.append(f"  {commit[:8]} {items[0].subject}")
            lines.extend(f"    {describe(v)}" for v in items)
        if verdict.advice:
            lines.append(f"  what to do: {verdict.advice}")
    if refused:
        lines.append(f"gitorch: push rejected ({len(refused)} of {len(verdicts)} "
                     f"ref{'s' if len(verdicts) != 1 else ''} refused); nothing was applied")
    return lines


def to_json(verdicts: Sequence[Verdict]) -> list[dict[str, object]]:
    return [{"ref": v.ref, "accepted": v.accepted, "reason": v.reason, "commits": v.commits,
             "advice": v.advice or None,
             "violations": [violation_json(x) for x in v.violations]} for v in verdicts]


def violation_json(v: Violation) -> dict[str, object]:
    return {"commit": v.commit, "subject": v.subject, "path": v.path, "owner": v.owner,
            "collides_with": v.collides_with}
