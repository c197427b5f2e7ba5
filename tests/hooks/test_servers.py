"""Real servers: git daemon on 127.0.0.1, and gitolite3 (GL_USER reaches the hook).

gitolite is driven as its own test suite drives it, with no sshd: a receive-pack wrapper
runs ``gitolite-shell USER`` with SSH_ORIGINAL_COMMAND and SSH_CONNECTION set, as sshd's
forced command would.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitorch.enforce.install import install_server
from tests.conftest import GitRepo, git
from tests.hooks.conftest import Push, make_server, on_branch, push, remote_lines

pytestmark = pytest.mark.server

# Read at import: the hermetic fixture removes CI from the environment of each test.
IN_CI = bool(os.environ.get("CI"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[str]:
    """A git daemon serving tmp_path with receive-pack enabled; yields its URL prefix."""
    port = free_port()
    proc = subprocess.Popen(
        ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack",
         "--informative-errors", f"--base-path={tmp_path}", "--listen=127.0.0.1",
         f"--port={port}", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:     # wait until it listens (no fixed sleep)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("git daemon did not start") from None
                time.sleep(0.02)
        yield f"git://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_git_daemon_pushes(tmp_path: Path, daemon: str) -> None:
    server = make_server(tmp_path)
    c = server.clone
    url = f"{daemon}/server.git"
    on_branch(c, "team/alpha")
    good = c.commit("Core over the daemon", {"src/core/d.py": "d\n"})
    ok = push(c, "team/alpha", url=url)
    assert ok.code == 0, ok.stderr
    assert ok.remote == ["gitorch: ok refs/heads/team/alpha: 1 new commit within team "
                         "alpha's scope"]
    bad = c.commit("API over the daemon", {"src/api/d.py": "d\n"})
    result = push(c, "team/alpha", url=url)
    assert result.code == 1
    assert result.remote[1:3] == [f"  {bad[:8]} API over the daemon",
                                  "    src/api/d.py  (owner: beta)"]
    # git daemon authenticates nobody: protected refs are refused for want of an identity.
    result = push(c, "HEAD:main", url=url)
    assert result.remote[0].startswith("gitorch: REFUSED refs/heads/main: only integrators (lead) "
                                       "may update the base branch main; no pusher identity")
    assert server.ref("team/alpha") == good


# --------------------------------------------------------------------------- gitolite


def need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        if IN_CI:
            pytest.fail(f"{program} is not installed (CI installs the Debian package gitolite3)")
        pytest.skip(f"{program} is not installed (apt-get install gitolite3)")
    return found


class Gitolite:
    """A gitolite installation for a HOME in tmp, its repository 'testing' with our hook."""

    def __init__(self, tmp_path: Path):
        gitolite = need("gitolite")
        self.home = tmp_path / "gitolite-home"
        self.home.mkdir()
        env = {**os.environ, "HOME": str(self.home)}
        subprocess.run([gitolite, "setup", "-a", "admin"], env=env, check=True,
                       capture_output=True)
        bindir = subprocess.run([gitolite, "query-rc", "GL_BINDIR"], env=env, check=True,
                                capture_output=True, text=True).stdout.strip()
        self.repo = self.home / "repositories" / "testing.git"
        install_server(self.repo)
        self.wrapper = tmp_path / "gitolite-receive-pack"
        self.wrapper.write_text(
            "#!/bin/sh\n# what sshd's forced command does: run gitolite-shell for the user\n"
            f"HOME='{self.home}' SSH_CONNECTION='127.0.0.1 50000 127.0.0.1 22' "
            "SSH_ORIGINAL_COMMAND=\"git-receive-pack 'testing'\" "
            f"exec '{bindir}/gitolite-shell' \"$GL_TEST_USER\"\n")
        self.wrapper.chmod(0o755)

    def push(self, clone: GitRepo, *refspecs: str, user: str) -> Push:
        proc = git(clone.path, "push", f"--receive-pack={self.wrapper}", str(self.repo),
                   *refspecs, check=False, env={"GL_TEST_USER": user})
        return Push(proc.returncode, remote_lines(proc.stderr), proc.stderr)

    def ref(self, name: str) -> str | None:
        proc = git(self.repo, "rev-parse", "--verify", "-q", name, check=False)
        return proc.stdout.strip() or None


TEN_TEAMS = "version: 1\nproject: ten\nintegrators: [lead]\nshared: [README.md]\nteams:\n" + "".join(
    f"  t{i}:\n    owns: [\"src/t{i}/**\"]\n    members: [u{i}]\n" for i in range(10))


def test_gitolite_user_reaches_the_hook(tmp_path: Path) -> None:
    gl = Gitolite(tmp_path)
    c = GitRepo(tmp_path / "work")
    c.commit("Seed", {"gitorch.yaml": TEN_TEAMS, "README.md": "ten\n"})
    assert gl.push(c, "main", user="lead").code == 0
    on_branch(c, "team/t1")
    c.commit("t1 work", {"src/t1/a.py": "a\n"})
    result = gl.push(c, "team/t1", user="u2")
    assert result.remote[0] == ("gitorch: REFUSED refs/heads/team/t1: u2 is not a member of team "
                                "t1 (members: u1)")
    assert gl.push(c, "team/t1", user="u1").code == 0
    c.checkout("main")
    c.commit("README", {"README.md": "ten teams\n"})
    result = gl.push(c, "main", user="u1")
    assert result.remote[0] == ("gitorch: REFUSED refs/heads/main: only integrators (lead) may "
                                "update the base branch main; u1 is not an integrator")
    assert gl.push(c, "main", user="lead").code == 0
    assert gl.ref("main") == c.head()


@pytest.mark.slow
def test_gitolite_ten_concurrent_team_pushes_and_an_integrator(tmp_path: Path) -> None:
    gl = Gitolite(tmp_path)
    c = GitRepo(tmp_path / "work")
    seed = c.commit("Seed", {"gitorch.yaml": TEN_TEAMS, "README.md": "ten\n"})
    assert gl.push(c, "main", user="lead").code == 0
    jobs: list[tuple[str, list[str], bool]] = []     # user, refspecs, accepted?
    expected: dict[str, str | None] = {}
    for i in range(10):
        on_branch(c, f"team/t{i}", seed)
        outside = i == 7                             # t7 writes into t8's scope
        c.commit(f"t{i} work", {f"src/t{8 if outside else i}/w.py": f"{i}\n"})
        user = "u0" if i == 8 else f"u{i}"            # u0 pushes for t8: not a member
        refspecs = [f"team/t{i}"]
        if i == 9:
            refspecs.append(f"team/t{i}:refs/heads/integration")  # a member may not: all refused
        good = i not in (7, 8, 9)
        jobs.append((user, refspecs, good))
        expected[f"refs/heads/team/t{i}"] = c.head() if good else None
    c.checkout("main")
    lead_tip = c.commit("Integrator release notes", {"README.md": "ten, released\n"})
    jobs.append(("lead", ["main"], True))
    expected["refs/heads/main"] = lead_tip
    expected["refs/heads/integration"] = None
    procs = [subprocess.Popen(
        ["git", "push", f"--receive-pack={gl.wrapper}", str(gl.repo), *refspecs], cwd=c.path,
        env={**os.environ, "GL_TEST_USER": user}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True) for user, refspecs, _ in jobs]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    for (user, refspecs, good), (code, stderr) in zip(jobs, results, strict=True):
        lines = remote_lines(stderr)
        assert (code == 0) == good, (user, refspecs, stderr)
        if good:
            assert all(line.startswith("gitorch: ok ") for line in lines), lines
        else:
            assert lines[-1].startswith("gitorch: push rejected"), lines
    assert remote_lines(results[7][1])[1:3] == [f"  {c.head('team/t7')[:8]} t7 work",
                                                "    src/t8/w.py  (owner: t8)"]
    assert remote_lines(results[8][1])[0] == ("gitorch: REFUSED refs/heads/team/t8: u0 is not a "
                                              "member of team t8 (members: u8)")
    for ref, sha in expected.items():
        assert gl.ref(ref) == sha, ref
