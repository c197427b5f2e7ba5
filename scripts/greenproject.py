"""A generated project for ``integrate --keep-green``: its tests are a Python script reading
the teams' files. One module for the tests (tests/integrate, loaded by path) and the
benchmark (scripts/bench_keep_green.py); standard library only.

Each team owns ``src/<team>/``. A file line ``break NAME`` makes test NAME fail; ``uses X``
in one team and ``removes X`` in another make test ``use_X`` fail only when both are
merged; ``hang`` makes the tests hang (``HANG_SECONDS``, default 600); ``flaky NAME``
makes test NAME fail on every other run of the same tree (a counter per tree outside
it, ``FLAKY_COUNTER``-<tree>: runs of other trees side by side do not shift it).
``GREEN_TEST_SLEEP`` seconds of waiting and ``GREEN_TEST_CPU`` seconds of computing stand
in for a real suite's duration; with ``GREEN_TRACE`` each run appends its start and end
times to that file. The script writes ``junit.xml`` and exits 1 on a
failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CHECK = '''\
import hashlib, os, re, sys, time
from pathlib import Path
started = time.time()
time.sleep(float(os.environ.get("GREEN_TEST_SLEEP", "0")))
end = time.process_time() + float(os.environ.get("GREEN_TEST_CPU", "0"))
while time.process_time() < end:
    sum(range(1000))
text = "\\n".join(p.read_text() for p in sorted(Path("src").rglob("*.txt")))
tests = {"smoke": True}
for name in re.findall(r"^break (\\w+)$", text, re.M):
    tests[name] = False
uses = set(re.findall(r"^uses (\\w+)$", text, re.M))
for name in re.findall(r"^removes (\\w+)$", text, re.M):
    tests["use_" + name] = name not in uses
for name in re.findall(r"^flaky (\\w+)$", text, re.M):
    tree = hashlib.sha1(text.encode()).hexdigest()[:12]    # runs of this tree, not others
    counter = Path(os.environ["FLAKY_COUNTER"] + "-" + tree)
    runs = int(counter.read_text() or "0") if counter.exists() else 0
    counter.write_text(str(runs + 1))
    tests[name] = runs % 2 == 1
if re.search(r"^hang$", text, re.M):
    time.sleep(float(os.environ.get("HANG_SECONDS", "600")))
cases = "".join(
    f'<testcase classname="checks" name="{n}">' + ("" if ok else "<failure/>") + "</testcase>"
    for n, ok in sorted(tests.items()))
Path("junit.xml").write_text(f"<testsuite>{cases}</testsuite>")
if os.environ.get("GREEN_TRACE"):
    with open(os.environ["GREEN_TRACE"], "a") as trace:
        trace.write(f"{started} {time.time()}\\n")
sys.exit(0 if all(tests.values()) else 1)
'''

Teams = list[tuple[str, int, list[str]]]            # (team, priority, depends_on)


def manifest(teams: Teams, test_command: str | None = None) -> str:
    """gitorch.yaml for (team, priority, depends_on) triples."""
    lines = ["version: 1", "project: green", 'shared: ["check.py"]']
    if test_command:
        lines += ["gates:", f"  test_command: {json.dumps(test_command)}"]
    lines.append("teams:")
    for team, priority, deps in teams:
        lines += [f"  {team}:", f'    owns: ["src/{team}/**"]', f"    priority: {priority}"]
        if deps:
            lines.append(f"    depends_on: [{', '.join(deps)}]")
    return "\n".join(lines) + "\n"


def base_files(teams: Teams, *, extra: str = "", test_command: str | None = None
               ) -> dict[str, str]:
    """The base commit's files: manifest, check.py, one ``src/<team>/work.txt`` each."""
    files = {"gitorch.yaml": manifest(teams, test_command), "check.py": CHECK}
    for team, _, _ in teams:
        files[f"src/{team}/work.txt"] = "start\n" + extra
    return files


def team_files(team: str, lines: str, *, extra: str = "") -> dict[str, str]:
    """A team's change: the lines it adds to its file."""
    return {f"src/{team}/work.txt": "start\n" + extra + lines}


def command() -> str:
    """The test command (run in the checkout)."""
    return f"{sys.executable} check.py"


def counter_env(tmp: Path) -> dict[str, str]:
    return {"FLAKY_COUNTER": str(tmp / "flaky-counter")}


def numbered(n: int) -> Teams:
    """Teams t01 .. tNN, merged in that order (priorities falling), no dependencies."""
    return [(f"t{i:02d}", 1000 - i, []) for i in range(1, n + 1)]


def make_project(root: Path, teams: Teams, work: dict[str, str]) -> Path:
    """A repository under ``root``: the base on main, branch team/<team> per team with
    ``work[team]`` added to its file (else a harmless line). Returns its path."""
    repo = root / "repo"
    repo.mkdir(parents=True)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    def write(files: dict[str, str]) -> None:
        for name, text in files.items():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            (repo / name).write_text(text)

    git("init", "-q", "-b", "main")
    git("config", "user.name", "green")
    git("config", "user.email", "green@example.com")
    write(base_files(teams))
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    for team, _, _ in teams:
        git("checkout", "-q", "-b", f"team/{team}", "main")
        write(team_files(team, work.get(team, "fine\n")))
        git("commit", "-q", "-am", f"{team} work")
        git("checkout", "-q", "main")
    return repo
