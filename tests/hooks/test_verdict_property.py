"""Property: the server's verdict on a real push equals check's, gate's and status's.

Hypothesis generates histories on a real shared repository with the pre-receive hook
installed: teams commit (in and out of scope, the manifest included, awkward names),
merge a dependency's or another team's pushed branch, merge the base; the lead moves a
directory between teams and shares files on the base. Before every team push, ``check``,
``gate --base main`` and ``status`` judge the branch; then a real ``git push`` does. They
must agree on accept/refuse and on the commits refused. A refused branch is reset to
what the server has, as its team would.

Examples are few (each is real pushes): 8 under the ``ci`` Hypothesis profile, 2 under
``dev``, more under ``deep`` (tests/conftest.py).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitorch.enforce.install import install_server
from tests.conftest import Cli, GitRepo, examples
from tests.hooks.conftest import push

TEAMS = ("alpha", "beta", "gamma")
PATHS = ("src/a/core.py", "src/a/Other File.py", "src/b/api.py", "src/b/with space/x.py",
         "src/c/café.py", "src/m/moved.py",
         "README.md", "other/notes.txt", "gitorch.yaml")


def manifest(moved_to: str, share_notes: bool) -> str:
    owns = {"alpha": ['"src/a/**"'], "beta": ['"src/b/**"'], "gamma": ['"src/c/**"']}
    owns[moved_to].append('"src/m/**"')
    shared = "[README.md, other/**]" if share_notes else "[README.md]"
    teams = "".join(
        f"  {t}:\n    owns: [{', '.join(owns[t])}]\n"
        + ("    depends_on: [alpha]\n" if t == "beta" else "") for t in TEAMS)
    return f"version: 1\nproject: prop\nintegrators: [lead]\nshared: {shared}\nteams:\n{teams}"


@dataclass
class World:
    clone: GitRepo
    cli: Cli
    moved_to: str = "alpha"
    share_notes: bool = False
    counter: int = 0
    pushed: set[str] = field(default_factory=set)

    def edit(self, path: str) -> str:
        self.counter += 1
        return f"edit {self.counter}\n"


step = st.one_of(
    st.tuples(st.just("work"), st.sampled_from(TEAMS),
              st.lists(st.lists(st.sampled_from(PATHS), min_size=1, max_size=2, unique=True),
                       min_size=1, max_size=2)),
    st.tuples(st.just("merge"), st.sampled_from(TEAMS), st.sampled_from(TEAMS)),
    st.tuples(st.just("base"), st.sampled_from(TEAMS)),
    st.tuples(st.just("lead"), st.sampled_from(["move", "share", "readme"])),
)


def run_step(w: World, action: tuple[object, ...]) -> None:
    c = w.clone
    kind = action[0]
    if kind == "lead":
        c.checkout("main")
        what = action[1]
        if what == "move":
            w.moved_to = {"alpha": "gamma", "gamma": "beta", "beta": "alpha"}[w.moved_to]
        elif what == "share":
            w.share_notes = not w.share_notes
        files = {"gitorch.yaml": manifest(w.moved_to, w.share_notes)} if what != "readme" \
            else {"README.md": w.edit("README.md")}
        c.commit(f"lead: {what}", files)
        assert push(c, "main", user="lead").code == 0
        return
    team = str(action[1])
    branch = f"team/{team}"
    if f"refs/heads/{branch}" in c.git("for-each-ref", "--format=%(refname)").stdout.split():
        c.checkout(branch)
    else:
        c.git("checkout", "-q", "-b", branch, "origin/main")
    if kind == "work":
        commits = action[2]
        assert isinstance(commits, list)
        for paths in commits:
            c.commit(f"{team}: {', '.join(paths)}", {p: w.edit(p) for p in paths})
    else:
        other = "origin/main" if kind == "base" else f"origin/team/{action[2]}"
        if other != "origin/main" and str(action[2]) not in w.pushed:
            return
        merged = c.git("merge", "-q", "--no-edit", other, check=False)
        if merged.returncode != 0:
            c.git("merge", "--abort", check=False)
            return
    judge_and_push(w, team, branch)


def judge_and_push(w: World, team: str, branch: str) -> None:
    c, cli = w.clone, w.cli
    check = cli("check", "--json", cwd=c.path)
    gate = cli("gate", "--json", "--base", "main", cwd=c.path)
    status = cli("status", "--json", cwd=c.path)
    assert check.exit_code == (0 if json.loads(check.output)["ok"] else 1), check.output
    assert gate.exit_code == (0 if json.loads(gate.output)["passed"] else 1), gate.output
    check_bad = {v["commit"][:8] for v in json.loads(check.output)["violations"]}
    gate_bad = {v["commit"][:8] for v in json.loads(gate.output)["violations"]}
    row = next(t for t in json.loads(status.output)["teams"] if t["team"] == team)
    result = push(c, branch, user="dev")
    hook_bad = {m.group(1) for line in result.remote
                if (m := re.match(r"^  ([0-9a-f]{8}) ", line))}
    accepted = result.code == 0
    assert accepted == (not hook_bad), result.stderr
    assert check_bad == hook_bad, (check.output, result.remote)
    assert gate_bad == hook_bad, (gate.output, result.remote)
    assert row["violations"] == len(hook_bad), (row, result.remote)
    if accepted:
        w.pushed.add(team)
    else:       # the team drops what was refused: back to what the server has
        c.checkout("main")
        if team in w.pushed:
            c.git("branch", "-f", branch, f"origin/{branch}")
        else:
            c.git("branch", "-D", branch)


@settings(max_examples=examples(0.02), deadline=None,       # 8 in CI: real pushes
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=2, max_size=6))
def test_push_check_gate_and_status_agree(steps: list[tuple[object, ...]]) -> None:
    root = Path(tempfile.mkdtemp(prefix="verdict-"))
    try:
        bare = GitRepo(root / "server.git", bare=True)
        clone = GitRepo(root / "work")
        clone.git("remote", "add", "origin", str(bare.path))
        clone.commit("Seed", {"gitorch.yaml": manifest("alpha", False), "README.md": "prop\n",
                              **{p: "seed\n" for p in PATHS if p not in ("gitorch.yaml", "README.md")}})
        clone.git("push", "-q", "origin", "main")
        install_server(bare.path)
        world = World(clone, Cli(root))
        for action in steps:
            run_step(world, action)
    finally:
        shutil.rmtree(root, ignore_errors=True)
