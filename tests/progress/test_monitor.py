"""gitorch monitor: --once, the live loop, and a clean exit on Ctrl-C."""

from __future__ import annotations

import io
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import Cli, GitRepo, drain_pty
from tests.progress.conftest import work


def test_once_prints_header_and_table(shop: GitRepo, cli: Cli) -> None:
    work(shop, "team/beta", {"src/api/a.py": "a\n"})
    result = cli("monitor", "--once", cwd=shop.path)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"gitorch monitor: shop (base main @ {shop.head('main')[:8]})"
    assert lines[1].startswith("TEAM      STATE")
    assert lines[4] == ("beta      working      [#####...............]  25%  1/4            1"
                        "           0  2023-11-14T22:13:20+00:00")


def test_once_with_a_failing_fetch_still_prints(shop: GitRepo, cli: Cli) -> None:
    result = cli("monitor", "--once", "--fetch", "--remote", "nowhere", cwd=shop.path)
    assert result.exit_code == 0
    assert "gitorch: git fetch nowhere: " in result.output
    assert "gitorch monitor: shop" in result.output


def test_live_loop_refreshes_and_returns_on_ctrl_c(shop: GitRepo) -> None:
    from gitorch import repo as git
    from gitorch.manifest.loading import load_manifest
    from gitorch.monitor import run_monitor

    repository = git.open_repo(shop.path)
    manifest = load_manifest(shop.path / "gitorch.yaml")
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200, color_system="truecolor")
    rounds: list[float] = []

    def sleep(seconds: float) -> None:
        rounds.append(seconds)
        if len(rounds) == 1:
            work(shop, "team/alpha", {"src/core/a.py": "a\n"})   # seen by the next refresh
        if len(rounds) == 3:
            raise KeyboardInterrupt

    run_monitor(repository, manifest, interval=0.5, fetch=True, remote="nowhere",
                console=console, sleep=sleep)
    text = out.getvalue()
    assert rounds == [0.5, 0.5, 0.5]
    assert "not-started" in text and "working" in text     # the second frame shows the commit
    assert "git fetch nowhere:" in text                      # fetch problems are shown, not fatal
    assert "\x1b[" in text                                   # colour on a terminal
    assert "Ctrl-C quits" in text


def test_first_round_failure_is_an_error(shop: GitRepo, cli: Cli) -> None:
    shop.checkout("team/alpha")
    shop.git("branch", "-D", "main")
    result = cli("monitor", "--interval", "0.1", cwd=shop.path)
    assert result.exit_code == 2
    assert result.output.startswith("gitorch: no base branch 'main'")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_ctrl_c_in_a_terminal_exits_0_without_traceback(shop: GitRepo) -> None:
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitorch", "monitor", "--interval", "0.2"],
        cwd=shop.path, stdin=child_fd, stdout=child_fd, stderr=child_fd,
        env={**os.environ, "COLUMNS": "160", "TERM": "xterm"}, close_fds=True,
    )
    os.close(child_fd)
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while b"Ctrl-C quits" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([main_fd], [], [], 0.5)
            if ready:
                seen += os.read(main_fd, 65536)
        assert b"Ctrl-C quits" in seen, seen.decode(errors="replace")
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        seen += drain_pty(main_fd, quiet=0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main_fd)
    text = seen.decode(errors="replace")
    assert code == 0, text
    assert "Traceback" not in text and "interrupted" not in text
    assert "alpha" in text and "waiting" in text


def test_status_in_a_terminal_uses_colour(shop: GitRepo, tmp_path: Path) -> None:
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "gitorch", "status"], cwd=shop.path,
                            stdin=child_fd, stdout=child_fd, stderr=child_fd, close_fds=True,
                            env={**os.environ, "COLUMNS": "160", "TERM": "xterm"})
    os.close(child_fd)
    seen = drain_pty(main_fd)
    os.close(main_fd)
    assert proc.wait(timeout=30) == 0
    text = seen.decode(errors="replace")
    assert "\x1b[" in text and "waiting" in text and "shop: teams against main" in text


def test_plain_frames_when_not_a_terminal(shop: GitRepo) -> None:
    from gitorch import repo as git
    from gitorch.manifest.loading import load_manifest
    from gitorch.monitor import run_monitor

    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    rounds: list[float] = []

    def sleep(seconds: float) -> None:
        rounds.append(seconds)
        if len(rounds) == 2:
            raise KeyboardInterrupt

    run_monitor(git.open_repo(shop.path), load_manifest(shop.path / "gitorch.yaml"),
                interval=1.0, fetch=False, remote="origin", console=console, sleep=sleep)
    frames = out.getvalue().split("\n\n")
    assert out.getvalue().count("gitorch monitor: shop (base main @ ") == 2
    assert frames[0].splitlines()[1].startswith("TEAM      STATE")
    assert "\x1b[" not in out.getvalue()


def test_the_live_loop_reads_the_policy_again_when_the_base_moves(shop: GitRepo) -> None:
    """The lead gives src/tools/ to beta on main while the monitor runs: the next round
    counts beta's tools/ commit as in scope (before: the policy read at start, for ever)."""
    from gitorch import repo as git
    from gitorch.cli.base import Context
    from gitorch.monitor import run_monitor

    work(shop, "team/beta", {"src/tools/t.py": "t\n"})
    obj = Context(repo_option=str(shop.path))
    reader = obj.policy_reader()
    first = reader()
    assert reader() is first                            # the base did not move: no re-read
    text = (shop.path / "gitorch.yaml").read_text()
    moved = text.replace('owns: ["src/api/**"]', 'owns: ["src/api/**", "src/tools/**"]')
    assert moved != text
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    rounds: list[float] = []

    def sleep(seconds: float) -> None:
        rounds.append(seconds)
        if len(rounds) == 1:
            shop.checkout("main")
            shop.commit("Give src/tools/ to beta", {"gitorch.yaml": moved})
        if len(rounds) == 2:
            raise KeyboardInterrupt

    run_monitor(git.open_repo(shop.path), first, interval=0.5, fetch=False, remote="origin",
                console=console, sleep=sleep, policy=reader)
    frames = out.getvalue().split("gitorch monitor: ")[1:]
    assert len(frames) == 2
    beta = [next(line for line in f.splitlines() if line.startswith("beta ")) for f in frames]
    violations = [line.split()[6] for line in beta]
    assert violations == ["1", "0"], beta
    assert "src/tools/**" in reader().teams["beta"].owns     # type: ignore[index]
