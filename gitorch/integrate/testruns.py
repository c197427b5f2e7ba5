"""Test runs for ``integrate --keep-green``: one commit, its own worktree, failing tests by name.

``TestRunner.verdicts(commits)`` runs the test command on up to ``jobs`` commits at once,
without coverage, each in a temporary worktree of its own: one ``git worktree add
--detach`` per slot (at most ``jobs``), reused from run to run (``git clean -ffdx`` and
``git checkout -f --detach``: only the files that differ are written, and no run waits
for git's worktree lock), removed by ``close()`` in every case, also on Ctrl-C; a
worktree left by a killed process is removed by the next run.

Failing tests by name: every run asks pytest for a JUnit XML report through
``PYTEST_ADDOPTS`` (appended to the user's own), so a pytest-based command names its
failures by itself; ``junit_file`` reads the JUnit XML another test runner wrote
(relative to the worktree). Without names a failing run fails as a whole.

Flaky tests: a failing run is retried ``retries`` times before its verdict is final
(``confirm``; the search asks for it only where it draws a conclusion); where pytest
named the failures only those tests run again (``-k``). A test that fails and then passes
on the same tree is flaky; it never makes a tree fail. Verdicts are remembered by tree id:
the same tree is never tested twice in one run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from gitorch import repo as git
from gitorch.errors import UsageError
from gitorch.ids import ObjectId
from gitorch.manifest import TeamName
from gitorch.records import TestRun

UNNAMED = "(the test command)"      # a failure without test names
WORKTREE_PREFIX = "gitorch-run-"
_SHELL_WORDS = {"cd", "exec", "env", "true", "false", "test", "[", "set", "export", "eval",
                "command", "builtin", ".", "source", "exit", "if", "for", "while", "until",
                "case", "{", "(", "!", "time", "ulimit", "umask", "nice", "timeout", "sh",
                "bash", "echo", "printf", "type", "hash", "trap", "unset", "read", "shift"}


@dataclass(frozen=True)
class Verdict:
    """A tree's verdict after retries: the tests that failed every time, the flaky ones."""

    passed: bool
    failed: frozenset[str]          # confirmed failures (UNNAMED when no names are known)
    flaky: frozenset[str] = frozenset()
    timed_out: bool = False
    confirmed: bool = True          # False: a failure not retried yet


@dataclass(frozen=True)
class _Attempt:
    returncode: int | None          # None: killed at the timeout
    failed: frozenset[str] | None   # None: the run named no tests
    seconds: float
    tail: str


@dataclass(frozen=True)
class _Slot:
    """A temporary worktree, ``root``, inside its own scratch directory (the JUnit file's)."""

    scratch: Path
    root: Path


@dataclass
class TestRunner:
    """Runs ``command`` on commits; remembers verdicts by tree; records every run."""

    __test__ = False

    repo: git.Repository
    command: str
    jobs: int = 1
    retries: int = 1
    timeout: float | None = None
    junit_file: str | None = None
    on_run: Callable[[TestRun], None] | None = None
    runs: list[TestRun] = field(default_factory=list)
    flaky: set[str] = field(default_factory=set)
    _cache: dict[str, Verdict] = field(default_factory=dict)
    _live: set[subprocess.Popen[bytes]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _git_lock: threading.Lock = field(default_factory=threading.Lock)
    _stopped: bool = False
    _free: list[_Slot] = field(default_factory=list)
    _slots: list[_Slot] = field(default_factory=list)

    def verdicts(self, commits: Sequence[tuple[ObjectId, tuple[TeamName, ...], str]],
                 *, confirm: bool = True, confirming: Collection[ObjectId] = ()
                 ) -> list[Verdict]:
        """The verdict of each (commit, teams in it, purpose): up to ``jobs`` at once.

        A failing run is retried before its verdict is final; with ``confirm`` False the
        retries wait until the same tree is asked for again with ``confirm`` (the search
        confirms only the runs it draws a conclusion from). ``confirming``: commits
        confirmed in this batch whatever ``confirm`` says (a retry beside other runs).
        """
        trees = [str(git.tree_of(self.repo, c)) for c, _, _ in commits]
        todo: dict[str, tuple[tuple[ObjectId, tuple[TeamName, ...], str], bool]] = {}
        for tree, item in zip(trees, commits, strict=True):
            sure = confirm or item[0] in confirming
            known = self._cache.get(tree)
            if known is None or (sure and not known.confirmed):
                asked = todo.get(tree)
                todo[tree] = (asked[0] if asked else item, sure or bool(asked and asked[1]))
        if todo:
            items = list(todo.items())

            def one(kv: tuple[str, tuple[tuple[ObjectId, tuple[TeamName, ...], str], bool]]
                    ) -> Verdict:
                return self._verdict(*kv[1][0], self._cache.get(kv[0]), kv[1][1])
            if self.jobs <= 1 or len(items) == 1:
                try:
                    found = [one(item) for item in items]
                except BaseException:
                    self.stop()
                    raise
            else:
                pool = ThreadPoolExecutor(max_workers=self.jobs)
                try:
                    found = list(pool.map(one, items))
                except BaseException:       # Ctrl-C: kill the running tests, start no more
                    self.stop()
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise
                pool.shutdown()
            for (tree, _), verdict in zip(items, found, strict=True):
                self._cache[tree] = verdict
        return [self._cache[t] for t in trees]

    def known(self, commit: ObjectId) -> bool:
        """Whether the commit's tree has a verdict already (it will not run again)."""
        return str(git.tree_of(self.repo, commit)) in self._cache

    def stop(self) -> None:
        """Kill every test command still running (their worktrees go as their threads end)."""
        with self._lock:
            self._stopped = True
            live = list(self._live)
        for proc in live:
            _kill_group(proc)

    def close(self) -> None:
        """Remove every worktree this runner made (call it in every case)."""
        with self._lock:
            slots, self._slots, self._free = self._slots, [], []
        if slots:
            with self._git_lock:
                git.remove_temp_worktrees(self.repo, [slot.root for slot in slots])
            for slot in slots:
                shutil.rmtree(slot.scratch, ignore_errors=True)

    # ----------------------------------------------------------------- one tree

    def _verdict(self, commit: ObjectId, teams: tuple[TeamName, ...], purpose: str,
                 previous: Verdict | None, confirm: bool) -> Verdict:
        if previous is None:
            first = self._attempt(commit, teams, purpose, select=None)
            if first.returncode == 0:
                return Verdict(True, frozenset())
            previous = Verdict(False, first.failed or frozenset({UNNAMED}), confirmed=False,
                               timed_out=first.returncode is None)
        if not confirm:
            return previous
        failed, timed_out = previous.failed, previous.timed_out
        flaky: set[str] = set()
        for _ in range(self.retries):
            named = UNNAMED not in failed
            again = self._attempt(commit, teams, "retry", select=failed if named else None)
            timed_out = again.returncode is None
            if again.returncode == 0:
                flaky |= failed
                failed = frozenset()
            elif again.failed is not None and named:
                flaky |= failed - again.failed
                failed = failed & again.failed
            if not failed:
                break
        with self._lock:
            self.flaky |= flaky
        return Verdict(not failed, frozenset(failed), frozenset(flaky), timed_out and bool(failed))

    def _attempt(self, commit: ObjectId, teams: tuple[TeamName, ...], purpose: str,
                 select: frozenset[str] | None) -> _Attempt:
        slot = self._checkout(commit)
        try:
            junit = slot.scratch / "pytest-junit.xml"
            junit.unlink(missing_ok=True)
            addopts = [os.environ.get("PYTEST_ADDOPTS", ""), f"--junitxml={shlex.quote(str(junit))}"]
            keywords = _keywords(select) if select else None
            if keywords:
                addopts.append(f"-k {shlex.quote(keywords)}")
            env = _child_env({"PYTEST_ADDOPTS": " ".join(a for a in addopts if a)})
            start = time.monotonic()
            code, tail = self._run(slot.root, env)
            seconds = time.monotonic() - start
            failed = _failures(junit)
            if failed is None and self.junit_file:
                failed = _failures(slot.root / self.junit_file)
        finally:
            with self._lock:
                self._free.append(slot)
        if code == 127 and purpose == "tip" and "not found" in tail:
            raise UsageError(f"the test command cannot start: {tail.strip().splitlines()[-1]}",
                             hint="fix --test or gates.test_command")
        if select is not None and failed is not None:
            failed = failed & select       # -k may select more than asked
        passed = code == 0
        shown = sorted(failed) if failed else ([] if passed else [UNNAMED])
        if code is None:
            shown = [f"(timed out after {self.timeout:g}s)"]
        record = TestRun(commit=commit, teams=teams, passed=passed, failed_tests=tuple(shown),
                         seconds=seconds, purpose=purpose, timed_out=code is None)
        with self._lock:
            self.runs.append(record)
        if self.on_run is not None:
            self.on_run(record)
        return _Attempt(code, failed if failed else None, seconds, tail)

    def _checkout(self, commit: ObjectId) -> _Slot:
        """A worktree of its own at ``commit``, holding exactly its files: a free slot
        cleaned and checked out, else a new one (also when a reused one cannot be reset)."""
        with self._lock:
            slot = self._free.pop() if self._free else None
        if slot is not None:
            if git.reset_temp_worktree(slot.root, commit):
                return slot
            self._forget(slot)
            self._drop(slot)
        scratch = Path(tempfile.mkdtemp(prefix=f"{WORKTREE_PREFIX}{os.getpid()}-")).resolve()
        slot = _Slot(scratch, scratch / scratch.name)   # git names the worktree after it
        try:    # side by side: git locks a worktree's record while it is made (no prune)
            git.add_temp_worktree(self.repo, commit, slot.root)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        with self._lock:
            self._slots.append(slot)
        return slot

    def _forget(self, slot: _Slot) -> None:
        with self._lock:
            if slot in self._slots:
                self._slots.remove(slot)

    def _drop(self, slot: _Slot) -> None:
        with self._git_lock:
            git.remove_temp_worktree(self.repo, slot.root)
        shutil.rmtree(slot.scratch, ignore_errors=True)

    def _run(self, root: Path, env: dict[str, str]) -> tuple[int | None, str]:
        """The command through the shell in ``root``; killed (None) at the timeout."""
        with self._lock:
            if self._stopped:
                return None, "stopped"
            proc = subprocess.Popen(self.command, shell=True, cwd=root, env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            self._live.add(proc)
        tail: deque[bytes] = deque(maxlen=40)
        reader = threading.Thread(target=lambda: tail.extend(proc.stdout or ()), daemon=True)
        reader.start()
        try:
            proc.wait(timeout=self.timeout)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            code = None
        finally:
            with self._lock:
                self._live.discard(proc)
        reader.join(timeout=5)
        return code, b"".join(tail).decode("utf-8", errors="replace")[-4000:]


def check_command(command: str) -> None:
    """A usage error (exit 2) when the command's program cannot be found, before any run."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise UsageError(f"the test command cannot be parsed: {exc}",
                         hint="fix --test or gates.test_command") from None
    words = [w for w in words if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w)]
    if not words:
        return
    program = words[0]
    if "/" in program or program in _SHELL_WORDS or any(c in program for c in ";|&$`<>()"):
        return      # a path in the tree, or shell syntax: the first run tells
    if shutil.which(program) is None:
        raise UsageError(f"the test command cannot start: {program}: command not found",
                         hint="fix --test or gates.test_command, or install it")


def remove_stale_worktrees(repo: git.Repository) -> None:
    """Remove the temporary worktrees of test runs whose process is gone (killed runs)."""
    base = Path(tempfile.gettempdir()).resolve()
    for scratch in base.glob(f"{WORKTREE_PREFIX}*"):
        pid = scratch.name[len(WORKTREE_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        git.remove_temp_worktree(repo, scratch / scratch.name)
        shutil.rmtree(scratch, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("COVERAGE_", "COV_CORE_", "GIT_DIR", "GIT_WORK_TREE",
                                "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH"))}
    env.update(extra)
    return env


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):      # it ended between the check and the kill
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _failures(path: Path) -> frozenset[str] | None:
    """The failed or errored test cases of a JUnit XML file; None when there is none."""
    if not path.is_file():
        return None
    try:
        doc = ET.parse(path).getroot()
    except ET.ParseError:
        return None
    out = set()
    for case in doc.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            cls, name = case.get("classname") or "", case.get("name") or ""
            out.add(f"{cls}::{name}" if cls else name)
    return frozenset(out)


def _keywords(tests: Iterable[str]) -> str | None:
    """A pytest ``-k`` expression selecting (at least) these tests; None when it cannot."""
    names = []
    for test in tests:
        name = test.rsplit("::", 1)[-1].split("[", 1)[0]
        if not name.isidentifier() or name in ("and", "or", "not"):
            return None
        names.append(name)
    return " or ".join(sorted(set(names))) or None
