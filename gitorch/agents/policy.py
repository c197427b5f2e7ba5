"""The guard's policy: ``gitorch.yaml`` at the tip of the base branch, through the one cache.

The manifest in a team's worktree is the team's to edit; the one at the base branch is
not, so that is the one the guard (and the worktree's commit hooks) obey, as the server
does. The base is ``git config gitorch.base`` (``gitorch agents setup`` writes it), else
``main`` or ``master``; the local branch, else ``origin/<base>``. One ``git cat-file``
names the manifest's blob; the validated manifest and its compiled scopes come from the
manifest cache (``gitorch.manifest.cache``) under the repository's ``gitorch/cache``,
keyed by that blob id, so an unchanged manifest costs no YAML and no validation, and the
guard's own compiled form beside it (``gitorch.agents.compact``), which it reads with
``marshal`` alone: no YAML, no pathspec, no dataclasses on the way to a decision. The
blob id found for a base tip is remembered there too (``guard-refs``): while the base
does not move, the guard reads the tip from the ref files and starts no git at all.

A repository without ``gitorch.base`` and without a manifest on ``main`` or ``master`` is
not a gitorch repository: none of the guard's business. One that names a base whose
manifest cannot be read has a broken policy, and the guard refuses (fails closed).
"""

from __future__ import annotations

import os
import sys

from gitorch.agents import compact
from gitorch.agents.locate import Checkout, config_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gitorch.manifest import cache
    from gitorch.manifest.records import Manifest
    from gitorch.manifest.scope import CompiledOwnership

BASE_KEY = "gitorch.base"
MEMO = "guard-refs"
MANIFEST = compact.POLICY_FILE     # gitorch.manifest.records.DEFAULT_MANIFEST (a test says so)


class RepoPolicy:
    """A repository's policy: the compiled one the guard uses (``compact``) and, when loaded
    in full (``load_policy``), the validated manifest and its compiled scopes."""

    __slots__ = ("common_dir", "compact", "compiled", "manifest", "problem", "source", "tip")

    def __init__(self, common_dir: str, source: str, problem: str | None = None, *,
                 compact: compact.CompactPolicy | None = None,
                 manifest: Manifest | None = None, compiled: CompiledOwnership | None = None,
                 tip: str | None = None):
        self.common_dir = common_dir
        self.tip = tip                      # the base commit the policy was read from
        self.source = source                # "gitorch.yaml on main"
        self.problem = problem              # set when gitorch is used but no policy is readable
        self.compact = compact
        self.manifest = manifest
        self.compiled = compiled

    @property
    def governed(self) -> bool:
        """The repository uses gitorch (its policy may still be unreadable)."""
        return self.compact is not None or self.manifest is not None or self.problem is not None


class Place:
    """What a checkout is for the guard."""

    __slots__ = ("checkout", "misplaced", "policy", "team")

    def __init__(self, checkout: Checkout, policy: RepoPolicy, team: str | None,
                 misplaced: str | None):
        self.checkout = checkout
        self.policy = policy
        self.team = team            # the team whose worktree this is
        self.misplaced = misplaced  # a team's worktree directory not on the team's branch


def _find(common_dir: str) -> tuple[str, str | None, str, str | None, str | None]:
    """(source, blob id of the base's manifest or None, its object type, problem, the base
    commit, or the base ref where its commit cannot be read from the ref files)."""
    configured = config_value(common_dir, "gitorch", "base")
    candidates = [configured] if configured else ["main", "master"]
    refs = [f"{prefix}{c}" for c in candidates for prefix in ("refs/heads/", "refs/remotes/origin/")]
    memo = _read_memo(common_dir)
    for ref in refs:
        tip = read_ref(common_dir, ref)
        if tip is None:
            continue
        known = memo.get(ref)
        if known is not None and known[0] == tip:
            return _source(ref), known[1], "blob", None, tip
        break                   # the first base there is has moved: ask git
    names = [f"{ref}:{MANIFEST}" for ref in refs]
    found = _batch_check(common_dir, names)
    for ref, answer in zip(refs, found, strict=True):
        if answer is None:
            continue
        blob, kind = answer
        tip = read_ref(common_dir, ref)
        if tip is not None and kind == "blob":
            _write_memo(common_dir, {**memo, ref: (tip, blob)})
        return _source(ref), blob, kind, None, tip or ref
    source = f"{MANIFEST} on {candidates[0]}"
    if configured:
        return (source, None, "", f"no {MANIFEST} on {configured} (nor on origin/{configured})",
                None)
    return source, None, "", None, None


def _source(ref: str) -> str:
    return f"{MANIFEST} on {ref.removeprefix('refs/heads/').removeprefix('refs/remotes/')}"


def load_policy(common_dir: str) -> RepoPolicy:
    """The policy in full: the validated manifest at the base tip, its compiled scopes, and the
    guard's compiled form (written for the guard when it was not there yet)."""
    source, blob, kind, problem, tip = _find(common_dir)
    if blob is None:
        return RepoPolicy(common_dir, source, problem)
    full = _policy(common_dir, source, blob, kind)
    if full.manifest is not None:
        full.compact = _compact(common_dir, blob, full.manifest)
    full.tip = tip
    return full


def guard_policy(common_dir: str) -> RepoPolicy:
    """The policy as the guard needs it: the compiled form read back with ``marshal``; only
    when the manifest (or gitorch) changed does the full path run, once, and write it."""
    source, blob, kind, problem, tip = _find(common_dir)
    if blob is None:
        return RepoPolicy(common_dir, source, problem)
    if kind == "blob":
        found = compact.read(cache_dir(common_dir), blob)
        if found is not None:
            return RepoPolicy(common_dir, source, compact=found, tip=tip)
    full = _policy(common_dir, source, blob, kind)
    if full.manifest is None:
        return full
    return RepoPolicy(common_dir, source, compact=_compact(common_dir, blob, full.manifest),
                      tip=tip)


def _compact(common_dir: str, blob: str, manifest: Manifest) -> compact.CompactPolicy:
    where = cache_dir(common_dir)
    found = compact.read(where, blob)
    if found is None:
        data = compact.compile_policy(manifest, blob)
        compact.write(where, data)
        found = compact.CompactPolicy(data)
    return found


def cache_dir(common_dir: str) -> str:
    return os.path.join(common_dir, "gitorch", "cache")


def _policy(common_dir: str, source: str, blob: str, kind: str) -> RepoPolicy:
    if kind != "blob":
        return RepoPolicy(common_dir, source, f"{source} is no file")
    ensure_site()
    from gitorch.errors import ManifestError

    try:
        entry = _cached(common_dir, blob, source)
    except ManifestError as exc:
        first = exc.problems[0] if exc.problems else str(exc)
        return RepoPolicy(common_dir, source, f"invalid manifest: {first}")
    return RepoPolicy(common_dir, source, manifest=entry.manifest, compiled=entry.compiled)


def ensure_site() -> None:
    """Under ``python -S`` (how the agents' settings start the guard, to skip the start-up
    cost of site-packages' ``.pth`` files) bring site-packages in before the full path needs
    pathspec and PyYAML; ``-I`` still keeps the user's site directory and environment out."""
    if sys.flags.no_site and "site" not in sys.modules:
        import site

        site.main()


def read_ref(common_dir: str, ref: str) -> str | None:
    """The object id ``ref`` points at, read from the ref files (loose, then packed-refs);
    None when it is not there or the repository keeps its refs otherwise (reftable)."""
    for _ in range(5):                  # a symbolic ref names another; follow a few
        try:
            with open(os.path.join(common_dir, ref), encoding="utf-8") as fh:
                text = fh.read().strip()
        except (OSError, UnicodeDecodeError):
            break
        if text.startswith("ref: "):
            ref = text[len("ref: "):]
            continue
        return text if _is_oid(text) else None
    try:
        with open(os.path.join(common_dir, "packed-refs"), encoding="utf-8") as fh:
            for line in fh:
                oid, _, name = line.rstrip("\n").partition(" ")
                if name == ref and _is_oid(oid):
                    return oid
    except (OSError, UnicodeDecodeError):
        pass
    return None


def _is_oid(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _read_memo(common_dir: str) -> dict[str, tuple[str, str]]:
    """ref -> (tip, blob id of its gitorch.yaml), as found the last time git was asked."""
    out: dict[str, tuple[str, str]] = {}
    try:
        with open(os.path.join(common_dir, "gitorch", "cache", MEMO), encoding="utf-8") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 3 and _is_oid(parts[1]) and _is_oid(parts[2]):
                    out[parts[0]] = (parts[1], parts[2])
    except (OSError, UnicodeDecodeError):
        pass
    return out


def _write_memo(common_dir: str, memo: dict[str, tuple[str, str]]) -> None:
    where = os.path.join(common_dir, "gitorch", "cache")
    tmp = os.path.join(where, f".{MEMO}.{os.getpid()}")
    try:
        os.makedirs(where, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write("".join(f"{ref} {tip} {blob}\n" for ref, (tip, blob) in sorted(memo.items())))
        os.replace(tmp, os.path.join(where, MEMO))
    except OSError:             # a read-only repository: no memo, git is asked each time
        import contextlib  # only here: a failure is rare, the guard's start-up is not

        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _cached(common_dir: str, blob: str, source: str) -> cache.Entry:
    from pathlib import Path

    from gitorch.errors import ManifestError
    from gitorch.manifest import cache

    def parse() -> Manifest:
        from gitorch.manifest.loading import parse_manifest

        data = _git(common_dir, "cat-file", "blob", blob)
        if data is None:
            raise ManifestError([f"{source}: cannot read blob {blob[:12]}"])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ManifestError([f"{source}: not UTF-8 text"]) from None
        return parse_manifest(text, source)

    return cache.cached(Path(common_dir) / "gitorch" / "cache", blob, parse, Path(source))


def _batch_check(common_dir: str, names: list[str]) -> list[tuple[str, str] | None]:
    """(object id, type) of each ``rev:path`` name, None where git finds none."""
    out = _git(common_dir, "cat-file", "--batch-check", stdin="".join(f"{n}\n" for n in names))
    if out is None:
        raise OSError(f"git cat-file failed in {common_dir}")
    answers: list[tuple[str, str] | None] = []
    for line in out.decode("utf-8", errors="replace").splitlines():
        parts = line.split()
        answers.append((parts[0], parts[1]) if len(parts) == 3 else None)
    if len(answers) != len(names):
        raise OSError(f"git cat-file gave {len(answers)} answers to {len(names)} questions")
    return answers


def _git(git_dir: str, *args: str, stdin: str | None = None) -> bytes | None:
    import subprocess  # not at the top: while the base does not move, no git is started

    proc = subprocess.run(["git", "--git-dir", git_dir, *args], capture_output=True,
                          input=stdin.encode() if stdin is not None else None,
                          env=_env())
    return proc.stdout if proc.returncode == 0 else None


def _env() -> dict[str, str]:
    # a hook's GIT_DIR (and the like) must not redirect the --git-dir we name
    return {k: v for k, v in os.environ.items()
            if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR")}


class Policies:
    """Policies and places met while judging one event, each loaded once."""

    def __init__(self) -> None:
        self._policies: dict[str, RepoPolicy] = {}

    def policy(self, common_dir: str) -> RepoPolicy:
        found = self._policies.get(common_dir)
        if found is None:
            found = self._policies[common_dir] = guard_policy(common_dir)
        return found

    def place(self, checkout: Checkout) -> Place:
        policy = self.policy(checkout.common_dir)
        rules = policy.compact
        if rules is None:
            return Place(checkout, policy, None, None)
        team = rules.team_of_branch(checkout.branch) if checkout.branch else None
        misplaced = None
        if team is None:
            name = os.path.basename(checkout.root)
            if name in rules.teams and \
                    os.path.dirname(checkout.root) == rules.worktrees_dir(checkout.main_root):
                misplaced = name
        return Place(checkout, policy, team, misplaced)
