from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from gitorch.integrate.watch import moved_teams, watch
from tests.conftest import MINIMAL_MANIFEST, GitRepo


def _project(repo: GitRepo) -> None:
    repo.commit("base", {"gitorch.yaml": MINIMAL_MANIFEST, "README.md": "shop\n"})
    for team, path in (("alpha", "src/core/a.py"), ("beta", "src/api/b.py")):
        repo.checkout(f"team/{team}", create=True)
        repo.commit(f"{team} work", {path: f"{team} = 1\n"})
        repo.checkout("main")


def test_moved_teams() -> None:
    assert moved_teams(None, {"b": "1", "a": None}) == ("a", "b")
    assert moved_teams({"a": "1", "b": "2"}, {"a": "1", "b": "3"}) == ("b",)
    assert moved_teams({"a": "1"}, {"a": "1"}) == ()


def test_watch_integrates_once_per_move(repo: GitRepo) -> None:
    _project(repo)
    calls: list[tuple[int, tuple[str, ...]]] = []
    polls = iter(range(100))

    def poll() -> dict[str, str | None]:
        n = next(polls)
        if n == 2:  # a team pushes between the second and third look
            repo.checkout("team/beta")
            repo.commit("more", {"src/api/c.py": "c = 1\n"})
            repo.checkout("main")
        return {t: repo.head(f"team/{t}") for t in ("alpha", "beta")}

    def integrate(n: int, moved: tuple[str, ...]) -> int:
        calls.append((n, moved))
        return 0

    runs = watch(poll=poll, integrate=integrate, interval=0, max_polls=5, sleep=lambda _s: None)
    assert calls == [(1, ("alpha", "beta")), (2, ("beta",))]
    assert [r.number for r in runs] == [1, 2]


def test_integrate_watch_writes_a_report_per_run_and_stops_on_ctrl_c(repo: GitRepo) -> None:
    _project(repo)
    report = repo.path.parent / "reports" / "r.md"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gitorch", "integrate", "--watch", "--interval", "0.2",
         "--report", str(report), "--format", "json"],
        cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = report.with_name("r-run1.json")
        deadline = time.monotonic() + 60
        while not first.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert first.exists(), proc.stderr
        assert json.loads(first.read_text())["merged"] == ["alpha", "beta"]
        repo.checkout("team/alpha")
        repo.commit("alpha again", {"src/core/z.py": "z = 1\n"})
        repo.checkout("main")
        second = report.with_name("r-run2.json")
        while not second.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert second.exists()
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "run 2: alpha moved" in err
    assert err.rstrip().endswith("stopped")
    assert not report.with_name("r-run3.json").exists()
    assert json.loads(second.read_text())["integration"] == repo.head("integration")
