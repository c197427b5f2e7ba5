"""Hermetic fixtures: isolated HOME and git config, pinned dates, real repositories."""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gitorch.cli import main as cli_main

PINNED_DATE = "1700000000 +0000"


@pytest.fixture(autouse=True)
def hermetic_env(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("home")
    isolate(monkeypatch, home)
    yield home


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """No git, gitorch or CI setting of the machine's reaches a test; HOME is ``home``."""
    for name in list(os.environ):
        if name.startswith(("GIT_", "GITORCH_", "GL_", "GITHUB_")) or name in (
                "GITEA_PUSHER_NAME", "REMOTE_USER", "CI"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "author@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "committer@example.com")
    monkeypatch.setenv("GIT_AUTHOR_DATE", PINNED_DATE)
    monkeypatch.setenv("GIT_COMMITTER_DATE", PINNED_DATE)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        "[protocol \"file\"]\n\tallow = always\n"
    )


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


@pytest.fixture
def make_repo(tmp_path: Path) -> Iterator[object]:
    made: list[GitRepo] = []

    def factory(name: str = "repo", *, bare: bool = False) -> GitRepo:
        r = GitRepo(tmp_path / name, bare=bare)
        made.append(r)
        return r
    yield factory


@pytest.fixture
def repo(make_repo: object) -> GitRepo:
    factory = make_repo
    assert callable(factory)
    r = factory("repo")
    assert isinstance(r, GitRepo)
    return r


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
