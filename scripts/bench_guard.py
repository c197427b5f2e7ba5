"""Benchmark: the edit-time guard as the agents run it, one whole process per decision.

    python scripts/bench_guard.py [--teams 10] [--runs 31] [--no-install]

Builds a repository with TEAMS teams (three patterns each, one shared path), runs
`gitorch init-worktrees --agent claude`, and times two installations of gitorch side by
side, interleaved over RUNS rounds:

- "installed": the way users install it (pipx, uv tool, pip): this working copy built and
  installed non-editable (``pip install --no-deps --target``: built as a wheel) into a
  fresh venv, its dependencies reached through one ``.pth`` line naming this venv's
  site-packages;
- "dev venv": the Python running this script, where gitorch is an editable install (its
  site-packages start-up imports setuptools' editable finder, ~20 ms).

For each: the baseline ``python -I -c pass`` of that very interpreter (and ``-I -S``), then
the command the Claude Code settings hold (``python -I -S .../gitorch/guard.py --agent
claude || exit 2``, run by ``sh -c`` as the agent does), and the entry itself on an edit
inside the team's paths (a new file, an existing one), one outside them (refused), a
write through an MCP filesystem server, a shell command (``git commit -m``), the check
after a shell command (``git status``), the commit hooks' check, and the module form
(``-I -m gitorch.guard``, with site-packages) for comparison; for the dev venv also the
click command line (``gitorch guard``). The target: a median of at most 60 ms per
decision before a tool runs, for the installed guard. The machine is shared and noisy: read the ratios to
the baseline measured in the same rounds, not only the absolute times.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bytecode import ensure_bytecode

TARGET = 0.060
ROOT = Path(__file__).resolve().parent.parent


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


def install(where: Path) -> str:
    """A fresh venv holding this working copy installed non-editable; its Python."""
    source = where / "source"
    for name in ("gitorch", "pyproject.toml", "README.md"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, source / name)
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], check=True, capture_output=True,
                             text=True).stdout.strip()
    # built as pip builds it for users (in an isolated environment with the build backend)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--target", purelib, str(source)], check=True, capture_output=True)
    # the dependencies (pathspec, PyYAML, ...) from this venv, as a pipx venv would hold them
    Path(purelib, "bench-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    found = subprocess.run([python, "-I", "-c", "import gitorch; print(gitorch.__file__)"],
                           check=True, capture_output=True, text=True).stdout.strip()
    if not found.startswith(purelib):
        raise SystemExit(f"the installed copy is not the one imported: {found}")
    return python


def event(tree: Path, tool: str, tool_input: dict[str, str], name: str = "PreToolUse") -> str:
    return json.dumps({"session_id": "bench", "cwd": str(tree), "hook_event_name": name,
                       "tool_name": tool, "tool_input": tool_input})


def cases(py: str, tree: Path, *, dev: bool) -> dict[str, tuple[list[str], str, int]]:
    guard_file = subprocess.run([py, "-I", "-c", "import gitorch.guard as g; print(g.__file__)"],
                                check=True, capture_output=True, text=True).stdout.strip()
    entry = [py, "-I", "-S", guard_file, "--agent", "claude"]
    settings = " ".join([*entry, "|| exit 2"])
    new = event(tree, "Write", {"file_path": f"{tree}/src/t00/new.py"})
    out: dict[str, tuple[list[str], str, int]] = {
        "python -I -c pass (baseline)": ([py, "-I", "-c", "pass"], "", 0),
        "python -I -S -c pass": ([py, "-I", "-S", "-c", "pass"], "", 0),
        "settings' command (sh -c), new file in scope": (["sh", "-c", settings], new, 0),
        "guard, new file in scope": (entry, new, 0),
        "guard, existing file in scope": (
            entry, event(tree, "Edit", {"file_path": f"{tree}/src/t00/mod.py"}), 0),
        "guard, out of scope (refused)": (
            entry, event(tree, "Edit", {"file_path": f"{tree}/src/t01/mod.py"}), 2),
        "guard, MCP write_file in scope": (
            entry, event(tree, "mcp__filesystem__write_file",
                         {"path": f"{tree}/src/t00/mcp.py", "content": "x"}), 0),
        "guard, shell command": (
            entry, event(tree, "Bash", {"command": "git commit -qm 'work' && git push"}), 0),
        "guard, after a shell command (git status)": (
            entry, event(tree, "Bash", {"command": "make"}, "PostToolUse"), 0),
        "guard commit (the commit hooks' check)": ([py, "-I", "-S", guard_file, "commit"], "", 0),
        "module form -I -m gitorch.guard, in scope": (
            [py, "-I", "-m", "gitorch.guard", "--agent", "claude"], new, 0),
    }
    if dev:
        out["gitorch guard (click command line), refused"] = (
            [py, "-m", "gitorch", "guard", "--agent", "claude"],
            event(tree, "Edit", {"file_path": f"{tree}/src/t01/mod.py"}), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--no-install", action="store_true",
                        help="time the dev venv only (no non-editable install)")
    args = parser.parse_args()
    ensure_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        tree = build(Path(tmp), args.teams)
        installs = {"dev venv (editable)": sys.executable}
        if not args.no_install:
            installs = {"installed (non-editable)": install(Path(tmp) / "install"), **installs}
        table = {(label, name): case for label, py in installs.items()
                 for name, case in cases(py, tree, dev=py == sys.executable).items()}
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        times: dict[tuple[str, str], list[float]] = {key: [] for key in table}
        cpus: dict[tuple[str, str], list[float]] = {key: [] for key in table}
        loads = []
        for round_ in range(args.runs + 2):        # two warm-up rounds fill the caches
            loads.append(os.getloadavg()[0])
            for key, (command, stdin, code) in table.items():
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                proc = subprocess.run(command, input=stdin, cwd=tree, capture_output=True,
                                      text=True, env=env)
                elapsed = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                if proc.returncode != code:
                    raise SystemExit(f"{key}: exit {proc.returncode}, expected {code}: "
                                     f"{proc.stderr.strip()}")
                if round_ >= 2:
                    times[key].append(elapsed)
                    cpus[key].append(cpu)
        print(f"{args.teams} teams, {args.runs} interleaved rounds; load average (1 min) "
              f"{min(loads):.2f}-{max(loads):.2f}, median {statistics.median(loads):.2f}; "
              f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}")
        worst = 0.0
        for label in installs:
            base = statistics.median(times[(label, "python -I -c pass (baseline)")])
            base_cpu = statistics.median(cpus[(label, "python -I -c pass (baseline)")])
            print(f"\n{label}")
            print(f"  {'case':<50} {'wall best':>9} {'median':>8} {'x base':>7}   "
                  f"{'CPU median':>10} {'x base':>7}")
            for (where, name), found in times.items():
                if where != label:
                    continue
                median = statistics.median(found)
                cpu_median = statistics.median(cpus[(where, name)])
                print(f"  {name:<50} {min(found) * 1000:7.1f}ms {median * 1000:6.1f}ms "
                      f"{median / base:6.2f}x   {cpu_median * 1000:8.1f}ms "
                      f"{cpu_median / base_cpu:6.2f}x")
                if label.startswith("installed") and name.startswith("guard,") \
                        and "after" not in name:
                    worst = max(worst, median)
        if worst:
            print(f"\ntarget: median <= {TARGET * 1000:.0f} ms per decision before a tool runs "
                  f"(installed); slowest such case {worst * 1000:.1f} ms "
                  f"({'met' if worst <= TARGET else 'NOT met'}). After a shell command and at "
                  "commit the guard runs git itself (git status, git diff-index).")


if __name__ == "__main__":
    main()
