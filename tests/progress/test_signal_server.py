"""A signal commit passes the server hook: it changes no path (runs once the hooks stage is in)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitorch.cli import main
from tests.conftest import Cli, GitRepo
from tests.progress.conftest import team, work


def test_signal_is_accepted_by_the_guarded_server(shop: GitRepo, cli: Cli, tmp_path: Path) -> None:
    if "hooks" not in main.commands:
        pytest.skip("the hooks stage (gitorch hooks install) is not part of this build")
    work(shop, "team/alpha", {"src/core/a.py": "a\n"})
    server = tmp_path / "server.git"
    shop.git("clone", "-q", "--bare", str(shop.path), str(server))
    subprocess.run([sys.executable, "-m", "gitorch", "hooks", "install", "--server", str(server)],
                   check=True, capture_output=True, cwd=tmp_path)
    clone = tmp_path / "clone"
    shop.git("clone", "-q", str(server), str(clone))
    mine = GitRepo.__new__(GitRepo)
    mine.path = clone
    mine.checkout("team/alpha")
    assert cli("signal", "blocked", "--reason", "schema review", cwd=clone).exit_code == 0
    pushed = mine.git("push", "origin", "team/alpha", check=False,
                      env={**os.environ, "GITORCH_USER": "alice"})
    assert pushed.returncode == 0, pushed.stderr
    fresh = tmp_path / "fresh"
    shop.git("clone", "-q", str(server), str(fresh))
    other = GitRepo.__new__(GitRepo)
    other.path = fresh
    alpha = team(cli, other, "alpha")
    assert (alpha["state"], alpha["reason"], alpha["ref"]) == (
        "blocked", "schema review", "origin/team/alpha")
