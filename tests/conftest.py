"""Hermetic fixtures: isolated HOME and git config, pinned dates, real repositories."""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from gitorch.cli import main as cli_main

PINNED_DATE = "1700000000 +0000"


# Hypothesis profiles: `dev` (the default) keeps a local run quick, `ci` searches four times
# as far, `deep` is for a long hunt. Pick one with HYPOTHESIS_PROFILE=NAME or pytest's
# --hypothesis-profile=NAME; where CI is set (CI services set it), `ci` is the default.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=400, deadline=None, print_blob=True)
settings.register_profile("deep", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def examples(share: float) -> int:
    """A share of the profile's example count, for a test whose examples cost more."""
    return max(10, int(settings().max_examples * share))


_DROPPED = ("GIT_", "GITORCH_", "GL_", "GITHUB_")
_DROPPED_NAMES = ("GITEA_PUSHER_NAME", "REMOTE_USER", "CI", "PYTEST_ADDOPTS")


def hermetic_environ(home: Path) -> dict[str, str]:
    """The variables a hermetic environment sets, with HOME at ``home`` (its .gitconfig
    written); ``hermetic`` also removes the outer ones named in ``_DROPPED*``."""
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        "[protocol \"file\"]\n\tallow = always\n"
    )
    return {
        "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "committer@example.com",
        "GIT_AUTHOR_DATE": PINNED_DATE, "GIT_COMMITTER_DATE": PINNED_DATE,
        # a pytest that a test starts (a sample project's tests) loads none of the plugins
        # installed for gitorch's own tests: importing hypothesis alone takes a second or more
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }


@contextmanager
def hermetic(home: Path) -> Iterator[Path]:
    """The hermetic environment (HOME at ``home``) while the block runs; restored after."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(_DROPPED) or name in _DROPPED_NAMES:
                mp.delenv(name, raising=False)
        for name, value in hermetic_environ(home).items():
            mp.setenv(name, value)
        yield home


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with hermetic(tmp_path_factory.mktemp("home")) as home:
        yield home


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """The hermetic environment, set through ``monkeypatch`` (for fixtures of wider scope)."""
    for name in list(os.environ):
        if name.startswith(_DROPPED) or name in _DROPPED_NAMES:
            monkeypatch.delenv(name, raising=False)
    for name, value in hermetic_environ(home).items():
        monkeypatch.setenv(name, value)


def git(cwd: Path, *args: str, check: bool = True,
        env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


class GitRepo:
    """A real repository in a temporary directory, with small builder helpers."""

    def __init__(self, path: Path, *, bare: bool = False):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        git(path, "init", "-q", "-b", "main", *(["--bare"] if bare else []))

    @classmethod
    def open(cls, path: Path) -> GitRepo:
        """An existing repository (a copy of a session's template, a clone)."""
        repo = cls.__new__(cls)
        repo.path = path
        return repo

    def git(self, *args: str, check: bool = True,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return git(self.path, *args, check=check, env=env)

    def write(self, files: Mapping[str, str | bytes | None]) -> None:
        """Write (or, with None, delete) files in the working tree."""
        for name, content in files.items():
            target = self.path / name
            if content is None:
                if target.exists() or target.is_symlink():
                    target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content)

    def commit(self, message: str, files: Mapping[str, str | bytes | None] | None = None,
               *, allow_empty: bool = False) -> str:
        if files:
            self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, *(["--allow-empty"] if allow_empty else []))
        return self.head()

    def head(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", rev).stdout.strip()

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("branch", "-f", name, start)

    def checkout(self, name: str, *, create: bool = False) -> None:
        self.git("checkout", "-q", *(["-b"] if create else []), name)


MakeRepo = Callable[..., GitRepo]


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    def factory(name: str = "repo", *, bare: bool = False) -> GitRepo:
        return GitRepo(tmp_path / name, bare=bare)
    return factory


@pytest.fixture
def repo(make_repo: MakeRepo) -> GitRepo:
    return make_repo("repo")


MINIMAL_MANIFEST = """\
version: 1
project: shop
integrators: [lead]
shared: [README.md]
teams:
  alpha:
    description: Foundation layer
    owns: ["src/core/**"]
    priority: 100
    target_loc: [100, 200]
    members: [alice]
  beta:
    description: API layer
    owns: ["src/api/**"]
    priority: 90
    depends_on: [alpha]
    members: [bob]
"""


class Cli:
    """Runs the CLI in-process, in a given directory, as a user would."""

    def __init__(self, cwd: Path):
        self.cwd = cwd

    def __call__(self, *args: str, input: str | None = None, cwd: Path | None = None) -> Result:
        runner = CliRunner()
        old = os.getcwd()
        os.chdir(cwd or self.cwd)
        try:
            return runner.invoke(cli_main, list(args), input=input, catch_exceptions=False)
        finally:
            os.chdir(old)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def drain_pty(fd: int, *, quiet: float = 10.0) -> bytes:
    """Everything readable from a pty's main side until it closes or stays quiet ``quiet`` s."""
    seen = b""
    while True:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            return seen
        try:
            chunk = os.read(fd, 65536)
        except OSError:   # the child side closed: Linux reports EIO
            return seen
        if not chunk:
            return seen
        seen += chunk


# --------------------------------------------------------------------------- across xdist workers
# Correctness never depends on xdist's scheduling: pytest 9.2 made --dist loadgroup a no-op
# (pytest-xdist issue 1386), so the xdist_group marks only save waiting where they work.


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory that every xdist worker of this test session shares."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def locked(path: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold a lock on ``path`` across processes: exclusive, or shared with other readers."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


CACHE_KEY_LOCK = "manifest-cache-key.lock"


@pytest.fixture
def steady_cache_key(session_dir: Path) -> Iterator[None]:
    """For a test that looks at the manifest cache's files: no test changes the cache key's
    inputs (tests/manifest/test_cache.py does, for a moment) while it runs."""
    with locked(session_dir / CACHE_KEY_LOCK, shared=True):
        yield


@dataclass(frozen=True)
class DemoRun:
    directory: Path
    returncode: int
    stdout: str         # with --json: the one document
    stderr: str         # the walkthrough a user reads


@pytest.fixture(scope="session")
def demo_run(session_dir: Path) -> DemoRun:
    """``gitorch demo DIR --json`` run once per test session, in a subprocess as a user runs
    it; it takes most of a minute. The first worker to need it runs it, the others read
    what it recorded."""
    record = session_dir / "demo-run.json"
    with locked(session_dir / "demo-run.lock"):
        if not record.exists():
            target, home = session_dir / "demo", session_dir / "demo-home"
            home.mkdir()
            with hermetic(home):
                proc = subprocess.run(
                    [sys.executable, "-m", "gitorch", "demo", str(target), "--json"],
                    capture_output=True, text=True, timeout=600, cwd=home)
            record.write_text(json.dumps({"directory": str(target), "returncode": proc.returncode,
                                          "stdout": proc.stdout, "stderr": proc.stderr}))
        done = json.loads(record.read_text())
    return DemoRun(Path(done["directory"]), done["returncode"], done["stdout"], done["stderr"])
