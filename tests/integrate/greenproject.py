"""A tiny project whose tests are a Python script reading the teams' files, for --keep-green.

Each team owns ``src/<team>/``. A file line ``break NAME`` makes test NAME fail; ``uses X``
in one team and ``removes X`` in another make test ``use_X`` fail only when both are
merged; ``hang`` makes the tests hang; ``flaky NAME`` makes test NAME fail on every other
run (a counter file outside the tree). The script writes ``junit.xml`` and exits 1 on a
failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

CHECK = '''\
import os, re, sys, time
from pathlib import Path
text = "\\n".join(p.read_text() for p in sorted(Path("src").rglob("*.txt")))
tests = {"smoke": True}
for name in re.findall(r"^break (\\w+)$", text, re.M):
    tests[name] = False
uses = set(re.findall(r"^uses (\\w+)$", text, re.M))
for name in re.findall(r"^removes (\\w+)$", text, re.M):
    tests["use_" + name] = name not in uses
for name in re.findall(r"^flaky (\\w+)$", text, re.M):
    counter = Path(os.environ["FLAKY_COUNTER"])
    runs = int(counter.read_text() or "0") if counter.exists() else 0
    counter.write_text(str(runs + 1))
    tests[name] = runs % 2 == 1
if re.search(r"^hang$", text, re.M):
    time.sleep(float(os.environ.get("HANG_SECONDS", "600")))
cases = "".join(
    f'<testcase classname="checks" name="{n}">' + ("" if ok else "<failure/>") + "</testcase>"
    for n, ok in sorted(tests.items()))
Path("junit.xml").write_text(f"<testsuite>{cases}</testsuite>")
sys.exit(0 if all(tests.values()) else 1)
'''


def manifest(teams: list[tuple[str, int, list[str]]], test_command: str | None = None) -> str:
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


def base_files(teams: list[tuple[str, int, list[str]]], *, extra: str = "",
               test_command: str | None = None) -> dict[str, str]:
    files = {"gitorch.yaml": manifest(teams, test_command), "check.py": CHECK}
    for team, _, _ in teams:
        files[f"src/{team}/work.txt"] = "start\n" + extra
    return files


def command() -> str:
    return f"{sys.executable} check.py"


def counter_env(tmp: Path) -> dict[str, str]:
    return {"FLAKY_COUNTER": str(tmp / "flaky-counter")}
