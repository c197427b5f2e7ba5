"""Benchmark: the edit-time guard as the agents run it, one whole process per decision.

    python scripts/bench_guard.py [--teams 10] [--runs 31]

Builds a repository with TEAMS teams (three patterns each, one shared path), runs
`gitorch init-worktrees --agent claude`, then times, interleaved over RUNS rounds, the
command the Claude Code settings hold (``python -I -m gitorch.guard --agent claude``) on:
an edit inside the team's paths, one outside them, a shell command (``git commit -m``),
the check after a shell command (``git status``), and the commit hooks' check
(``... -m gitorch.guard commit``); plus the same refusal through the click command line
(``gitorch guard``) and, as the baseline measured in the same rounds, ``python -I -c pass``.
The target: a median of at most 60 ms per decision. The machine is shared and noisy:
read the ratios to the baseline, not only the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bytecode import ensure_bytecode

TARGET = 0.060


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def build(root: Path, teams: int) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    names = [f"t{i:02d}" for i in range(teams)]
    (repo / "gitorch.yaml").write_text(
        "version: 1\nproject: bench\nshared: [README.md]\nteams:\n" + "".join(
            f"  {n}:\n    owns: [\"src/{n}/**\", \"tests/{n}/**\", \"docs/{n}/*.md\"]\n"
            for n in names))
    (repo / "README.md").write_text("bench\n")
    for n in names:
        (repo / "src" / n).mkdir(parents=True)
        (repo / "src" / n / "mod.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "seed")
    subprocess.run([sys.executable, "-m", "gitorch", "init-worktrees", "--agent", "claude"],
                   cwd=repo, check=True, capture_output=True)
    return root / "repo-worktrees" / names[0]


def event(tree: Path, tool: str, tool_input: dict[str, str], name: str = "PreToolUse") -> str:
    return json.dumps({"session_id": "bench", "cwd": str(tree), "hook_event_name": name,
                       "tool_name": tool, "tool_input": tool_input})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    ensure_bytecode()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tree = build(Path(tmp), args.teams)
        settings = json.loads((tree / ".claude" / "settings.json").read_text())
        hook = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
        entry = [py, "-I", "-m", "gitorch.guard", "--agent", "claude"]
        cases: dict[str, tuple[list[str], str, int]] = {
            "python -I -c pass (baseline)": ([py, "-I", "-c", "pass"], "", 0),
            "the settings' command, edit in scope": (
                ["sh", "-c", hook], event(tree, "Write", {"file_path": f"{tree}/src/t00/a.py"}), 0),
            "guard entry, edit in scope": (
                entry, event(tree, "Write", {"file_path": f"{tree}/src/t00/a.py"}), 0),
            "guard entry, edit out of scope (refused)": (
                entry, event(tree, "Edit", {"file_path": f"{tree}/src/t01/a.py"}), 2),
            "guard entry, shell command": (
                entry, event(tree, "Bash", {"command": "git commit -qm 'work' && git push"}), 0),
            "guard entry, after a shell command (git status)": (
                entry, event(tree, "Bash", {"command": "make"}, "PostToolUse"), 0),
            "commit hook check (guard commit)": ([py, "-I", "-m", "gitorch.guard", "commit"], "", 0),
            "gitorch guard (click command line), refused": (
                [py, "-m", "gitorch", "guard", "--agent", "claude"],
                event(tree, "Edit", {"file_path": f"{tree}/src/t01/a.py"}), 2),
        }
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        times: dict[str, list[float]] = {name: [] for name in cases}
        cpus: dict[str, list[float]] = {name: [] for name in cases}
        for round_ in range(args.runs + 2):        # two warm-up rounds fill the caches
            for name, (command, stdin, code) in cases.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                proc = subprocess.run(command, input=stdin, cwd=tree, capture_output=True,
                                      text=True, env=env)
                elapsed = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                if proc.returncode != code:
                    raise SystemExit(f"{name}: exit {proc.returncode}, expected {code}: "
                                     f"{proc.stderr.strip()}")
                if round_ >= 2:
                    times[name].append(elapsed)
                    cpus[name].append(cpu)
        base = statistics.median(times["python -I -c pass (baseline)"])
        base_cpu = statistics.median(cpus["python -I -c pass (baseline)"])
        print(f"{args.teams} teams, {args.runs} interleaved rounds; load average "
              f"{os.getloadavg()[0]:.2f}")
        print(f"{'case':<52} {'wall best':>9} {'median':>8} {'x base':>7}   "
              f"{'CPU median':>10} {'x base':>7}")
        worst = 0.0
        for name, found in times.items():
            median = statistics.median(found)
            cpu_median = statistics.median(cpus[name])
            print(f"{name:<52} {min(found) * 1000:7.1f}ms {median * 1000:6.1f}ms "
                  f"{median / base:6.2f}x   {cpu_median * 1000:8.1f}ms "
                  f"{cpu_median / base_cpu:6.2f}x")
            if name.startswith("guard entry"):
                worst = max(worst, median)
        print(f"target: median <= {TARGET * 1000:.0f} ms per decision; slowest guard case "
              f"{worst * 1000:.1f} ms ({'met' if worst <= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
