"""YAML -> a validated, frozen Manifest. Every problem carries FILE:LINE and a fix.

The manifest is parsed once, checked completely (every problem reported, not just
the first) and turned into records; nothing deeper looks at raw YAML again.
"""

from __future__ import annotations

import contextlib
import os
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NewType

from gitorch.errors import ManifestError

if TYPE_CHECKING:

    from gitorch.ownership import Ownership

TeamName = NewType("TeamName", str)

DEFAULT_MANIFEST = "gitorch.yaml"
MANIFEST_ENV = "GITORCH_MANIFEST"
DEFAULT_COVERAGE_OMIT = ("tests/**", "**/test_*.py", "**/*_test.py", "**/conftest.py")
SHARED = "shared"
KEEP_CACHED = 8   # validated manifests kept in a repository's cache
# kept identical to manifests/gitorch.schema.json (a test compares them)
TEAM_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
CODEOWNER_RE = re.compile(r"^(@[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")

TOP_KEYS = (
    "version", "project", "base", "integration", "branch_prefix", "worktrees",
    "integrators", "shared", "gates", "teams",
)
GATE_KEYS = ("test_command", "coverage", "diff_coverage", "coverage_omit")
TEAM_KEYS = (
    "description", "owns", "priority", "target_loc", "members", "depends_on", "parent",
    "codeowners",
)


@dataclass(frozen=True)
class Team:
    name: TeamName
    owns: tuple[str, ...]
    description: str = ""
    priority: int = 0
    depends_on: tuple[TeamName, ...] = ()
    target_loc: tuple[int, int] | None = None
    members: tuple[str, ...] = ()
    parent: TeamName | None = None
    codeowners: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gates:
    test_command: str | None = None
    coverage: float | None = None
    diff_coverage: float | None = None
    coverage_omit: tuple[str, ...] = DEFAULT_COVERAGE_OMIT


@dataclass(frozen=True)
class Manifest:
    path: Path
    project: str
    teams: Mapping[TeamName, Team]
    version: int = 1
    base: str = "main"
    integration: str = "integration"
    branch_prefix: str = "team/"
    worktrees: str | None = None
    integrators: tuple[str, ...] = ()
    shared: tuple[str, ...] = ()
    gates: Gates = field(default_factory=Gates)
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict, compare=False)

    def branch(self, team: TeamName) -> str:
        return f"{self.branch_prefix}{team}"

    def team_of_branch(self, branch: str) -> TeamName | None:
        """The team whose branch this is (``team/x`` or ``refs/heads/team/x``), else None."""
        branch = branch.removeprefix("refs/heads/")
        if not branch.startswith(self.branch_prefix):
            return None
        name = TeamName(branch[len(self.branch_prefix):])
        return name if name in self.teams else None

    def line_of(self, *key: str | int) -> int:
        """The manifest line of a key path (the nearest enclosing key that has one)."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return 1

    def worktrees_dir(self, repo_root: Path) -> Path:
        if self.worktrees:
            return (repo_root / self.worktrees).resolve()
        return repo_root.resolve().parent / f"{repo_root.resolve().name}-worktrees"

    def children(self, team: TeamName) -> tuple[TeamName, ...]:
        return tuple(t.name for t in self.teams.values() if t.parent == team)

    def dependents(self, team: TeamName) -> set[TeamName]:
        """Every team that depends on ``team``, directly or through others."""
        found: set[TeamName] = set()
        todo = [team]
        while todo:
            current = todo.pop()
            for other in self.teams.values():
                if current in other.depends_on and other.name not in found:
                    found.add(other.name)
                    todo.append(other.name)
        return found

    def merge_order(self) -> list[TeamName]:
        """Dependencies first; among teams whose dependencies are in, priority then name."""
        done: list[TeamName] = []
        left = dict(self.teams)
        while left:
            ready = [t for t in left.values() if all(d in done for d in t.depends_on)]
            ready.sort(key=lambda t: (-t.priority, t.name))
            done.append(ready[0].name)
            del left[ready[0].name]
        return done

    @cached_property
    def ownership(self) -> Ownership:
        from gitorch.ownership import Ownership

        return Ownership.from_manifest(self)


# --------------------------------------------------------------------------- loading


def find_manifest(repo_root: Path | None, explicit: str | os.PathLike[str] | None) -> Path:
    """``--manifest``, else ``$GITORCH_MANIFEST``, else ``gitorch.yaml`` at the repo root."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(MANIFEST_ENV)
    if env:
        return Path(env)
    root = repo_root if repo_root is not None else Path.cwd()
    return root / DEFAULT_MANIFEST


def load_manifest(path: Path, cache_dir: Path | None = None) -> Manifest:
    """Read, parse and validate the manifest at ``path``.

    With ``cache_dir`` (the CLI passes ``.git/gitorch/cache``), a manifest that validated
    before is read back from a pickle instead: same text, same gitorch code (and
    pathspec), or it is parsed again; its compiled ``ownership`` comes with it, and its
    ``path`` is set to where it was read this time.
    Importing YAML and pathspec and validating (pairwise scope overlaps) is a good part of
    every command's start-up; an invalid manifest is never cached, so its problems are
    always reported afresh.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(
            [f"{path}: no manifest here"],
            hint="create gitorch.yaml at the repository root or pass --manifest PATH",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([f"{path}: cannot read the manifest: {exc}"]) from None
    if cache_dir is None:
        return parse_manifest(text, path)
    key = (_code_stamp(), text)
    cache = cache_dir / f"manifest-{zlib.crc32(text.encode()):08x}.pickle"
    cached = _read_cache(cache, key)
    if cached is not None:
        if cached.path != path:
            # the same text read from elsewhere (another checkout, a copied repository):
            # only the path it names in messages differs
            object.__setattr__(cached, "path", path)
        return cached
    manifest = parse_manifest(text, path)
    _write_cache(cache, key, manifest)
    return manifest


def _code_stamp() -> tuple[str, ...]:
    """Changes whenever the code that parses and validates changes (upgrade, a checkout)."""
    from importlib.machinery import PathFinder  # already loaded: finds without importing

    from gitorch import __version__

    here = Path(__file__).parent
    files = [here / name for name in ("manifest.py", "validation.py", "ownership.py", "patterns.py")]
    # the compiled scopes hold pathspec's regular expressions: a pathspec upgrade counts too
    spec = PathFinder.find_spec("pathspec")
    files.append(Path(spec.origin) if spec is not None and spec.origin else Path("pathspec?"))
    parts = [__version__]
    for path in files:
        try:
            st = path.stat()
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:?")
    return tuple(parts)


def _read_cache(cache: Path, key: tuple[object, ...]) -> Manifest | None:
    import pickle

    try:
        with cache.open("rb") as fh:
            loaded = pickle.load(fh)
    except FileNotFoundError:
        return None
    # whoever can write inside .git can rewrite its hooks too: a pickle there is trusted;
    # an unreadable or foreign one is ignored and replaced
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError,
            ValueError, IndexError):
        return None
    if (isinstance(loaded, tuple) and len(loaded) == 2 and loaded[0] == key
            and isinstance(loaded[1], Manifest)):
        return loaded[1]
    return None


def _write_cache(cache: Path, key: tuple[object, ...], manifest: Manifest) -> None:
    import dataclasses
    import pickle

    tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as fh:
            # a fresh copy whose compiled scopes are pickled with it (no directory plans yet,
            # no pathspec objects): reading them back needs neither YAML nor pathspec
            copy = dataclasses.replace(manifest)
            copy.ownership  # noqa: B018  (fills the cached property)
            pickle.dump((key, copy), fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(cache)    # atomic: a concurrent reader sees the old file or the new one
        # one file per manifest text: keep the few most recent ones
        for old in sorted(cache.parent.glob("manifest-*.pickle"),
                          key=lambda f: f.stat().st_mtime_ns)[:-KEEP_CACHED]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PickleError, TypeError, AttributeError):
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)    # a read-only repository: no cache, still correct


def parse_manifest(text: str, path: Path | str = DEFAULT_MANIFEST) -> Manifest:
    """Parse and validate; raise ManifestError listing every problem found."""
    from gitorch.validation import parse  # YAML and every rule: only when not cached

    return parse(text, Path(path))
