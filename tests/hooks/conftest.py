"""A shared bare repository with the gitorch pre-receive hook, and a clone to push from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitorch.enforce.install import install_server
from tests.conftest import GitRepo, git

MANIFEST = """\
version: 1
project: shop
integrators: [lead]
shared: [README.md]
teams:
  alpha:
    description: Foundation layer
    owns: ["src/core/**", "Docs/**"]
    members: [alice]
  beta:
    description: API layer
    owns: ["src/api/**"]
    depends_on: [alpha]
    members: [bob]
  docs:
    owns: ["docs/**"]
"""

ZERO = "0" * 40


@dataclass
class Push:
    code: int
    remote: list[str]       # the lines the hook printed, "remote: " and padding removed
    stderr: str


def remote_lines(stderr: str) -> list[str]:
    return [re.sub(r"\s+$", "", line[len("remote: "):]) for line in stderr.splitlines()
            if line.startswith("remote: ")]


def push(clone: GitRepo, *refspecs: str, user: str | None = None, url: str = "origin",
         env: Mapping[str, str] | None = None, extra: tuple[str, ...] = ()) -> Push:
    full = dict(env or {})
    if user is not None:
        full["GITORCH_USER"] = user
    proc = git(clone.path, "push", *extra, url, *refspecs, check=False, env=full)
    return Push(proc.returncode, remote_lines(proc.stderr), proc.stderr)


class Server:
    """The bare shared repository, seeded with the manifest on main, hook installed."""

    def __init__(self, bare: GitRepo, clone: GitRepo):
        self.bare = bare
        self.clone = clone

    def ref(self, name: str) -> str | None:
        proc = self.bare.git("rev-parse", "--verify", "-q", name, check=False)
        return proc.stdout.strip() or None

    def refs(self) -> dict[str, str]:
        out = self.bare.git("for-each-ref", "--format=%(refname) %(objectname)").stdout
        pairs = (line.split(" ", 1) for line in out.splitlines())
        return {name: sha for name, sha in pairs}


def make_server(tmp_path: Path, manifest: str = MANIFEST, *, hook: bool = True,
                seed: Mapping[str, str] | None = None) -> Server:
    bare = GitRepo(tmp_path / "server.git", bare=True)
    clone = GitRepo(tmp_path / "work")
    clone.git("remote", "add", "origin", str(bare.path))
    clone.commit("Seed the project", {"gitorch.yaml": manifest, "README.md": "shop\n",
                                      "src/core/base.py": "x = 1\n", "src/api/app.py": "app = 1\n",
                                      "docs/café.md": "menu\n", **(seed or {})})
    clone.git("push", "-q", "origin", "main")
    if hook:
        install_server(bare.path)
    return Server(bare, clone)


@pytest.fixture
def server(tmp_path: Path) -> Server:
    return make_server(tmp_path)


def on_branch(clone: GitRepo, branch: str, start: str = "main") -> None:
    clone.git("checkout", "-q", "-B", branch, start)
