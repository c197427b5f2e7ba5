"""``gitorch init``: a starter gitorch.yaml for the repository it runs in.

One team per top-level source package (``src/<pkg>``, else each top-level directory that
holds code), root files, configuration, tests and docs shared, the test command guessed
from the files the project has, and a comment on every key. Or one of the example
manifests (``--template``), shipped as package data so they work from a wheel.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources

from gitorch.errors import UsageError

TEMPLATES = ("ecommerce", "minimal")
# Directories that are everybody's: tests, docs, examples, CI and tool configuration.
SHARED_DIRS = ("tests", "test", "docs", "doc", "examples", "example", "scripts", "tools",
               "benchmarks", "bench", "ci", "requirements", "changelog", "changes")
CODE = re.compile(r"\.(py|pyx|pyi|js|jsx|ts|tsx|mjs|go|rs|java|kt|c|cc|cpp|h|hpp|rb|php|cs|swift|scala)$")


@dataclass(frozen=True)
class Starter:
    text: str
    teams: tuple[tuple[str, tuple[str, ...]], ...]     # (team, owns)
    shared: tuple[str, ...]
    test_command: str | None
    notes: tuple[str, ...] = ()
    org: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"teams": {t: list(o) for t, o in self.teams}, "shared": list(self.shared),
                "test_command": self.test_command, "org": self.org, "notes": list(self.notes)}


def template_text(name: str) -> str:
    """An example manifest shipped with gitorch (``manifests/<name>.yaml`` in the source)."""
    if name not in TEMPLATES:
        raise UsageError(f"no template {name!r}", hint=f"use one of: {', '.join(TEMPLATES)}")
    return resources.files("gitorch").joinpath("data", f"{name}.yaml").read_text(encoding="utf-8")


def detect_test_command(files: set[str]) -> str | None:
    """pytest, npm test, go test ./... or cargo test, from the files the project has."""
    top = {f for f in files if "/" not in f}
    if "Cargo.toml" in top:
        return "cargo test"
    if "go.mod" in top:
        return "go test ./..."
    if "package.json" in top:
        return "npm test"
    python = top & {"pyproject.toml", "setup.py", "setup.cfg", "pytest.ini", "tox.ini"}
    if python or any(f.endswith(".py") for f in files):
        if any(f.startswith("src/") and f.endswith("/__init__.py") for f in files):
            return "PYTHONPATH=src${PYTHONPATH:+:$PYTHONPATH} python -m pytest -q"
        return "python -m pytest -q"
    return None


_GITHUB = re.compile(r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?:www\.)?github\.com[:/]+([^/]+)/[^/]+?/?$",
                     re.IGNORECASE)


def github_org(urls: list[str]) -> str | None:
    """The organisation (or user) of the first GitHub remote URL, as CODEOWNERS names it."""
    from gitorch.manifest.records import ORG_RE

    for url in urls:
        found = _GITHUB.match(url.strip())
        if found and ORG_RE.fullmatch(found[1]):
            return found[1]
    return None


def _team_name(path: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.rsplit("/", 1)[-1]).strip("-._")
    return name if name and name != "shared" else f"team-{name or 'x'}"


def source_units(files: list[str]) -> list[tuple[str, int]]:
    """(directory, number of files) of every unit a team could own, largest first."""
    counts: Counter[str] = Counter()
    for f in files:
        parts = f.split("/")
        if len(parts) < 2 or parts[0].startswith(".") or parts[0].lower() in SHARED_DIRS:
            continue
        if parts[0] == "src":
            if len(parts) > 2 and not parts[1].startswith("."):
                counts[f"src/{parts[1]}"] += 1
            continue
        counts[parts[0]] += 1
    with_code = {d for d in counts if any(f.startswith(d + "/") and CODE.search(f) for f in files)}
    return sorted(((d, n) for d, n in counts.items() if d in with_code),
                  key=lambda x: (-x[1], x[0]))


def starter_manifest(files: list[str], *, project: str, teams: int | None = None,
                     base: str = "main", org: str | None = None) -> Starter:
    """The starter manifest's text for a repository holding ``files`` (``git ls-files``)."""
    if teams is not None and teams < 1:
        raise UsageError(f"--teams must be 1 or more, not {teams}", hint="pass --teams N, N >= 1")
    units = source_units(files)
    notes = []
    if not units:
        raise UsageError("found no source directory to give a team (only root files, tests "
                         "and docs)", hint="start from an example: gitorch init --template minimal")
    want = teams or len(units)
    if want > len(units):
        notes.append(f"asked for {want} teams; the tree has {len(units)} source "
                     "directories, one team each")
        want = len(units)
    groups: list[list[str]] = [[d] for d, _ in units[:want]]
    sizes = [n for _, n in units[:want]]
    for d, n in units[want:]:            # the rest joins the smallest team so far
        i = sizes.index(min(sizes))
        groups[i].append(d)
        sizes[i] += n
    names: list[str] = []
    for g in groups:
        name = _team_name(g[0])
        while name in names:
            name += "-2"
        names.append(name)
    owned = {d for g in groups for d in g}
    loose = {f"/{f}" for f in files if f.count("/") == 1 and f.startswith("src/")}
    shared = sorted({f"/{f}" for f in files if "/" not in f} | loose |
                    {f"/{f.split('/')[0]}/**" for f in files
                     if "/" in f and f.split("/")[0] != "src" and f.split("/")[0] not in owned})
    fileset = set(files)
    command = detect_test_command(fileset)
    team_rows = tuple((n, tuple(f"/{d}/**" for d in g)) for n, g in zip(names, groups, strict=True))
    if org is None:
        notes.append("no GitHub remote found: set 'org:' to your GitHub organisation before "
                     "'gitorch codeowners' (teams are @<org>/<team> there)")
    return Starter(_render(project, base, team_rows, shared, command, org), team_rows,
                   tuple(shared), command, tuple(notes), org)


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render(project: str, base: str, teams: tuple[tuple[str, tuple[str, ...]], ...], shared: list[str],
            command: str | None, org: str | None = None) -> str:
    out = [
        "# gitorch.yaml: who owns which paths, and the gates an integration must pass.",
        "# Written by 'gitorch init'; check it with 'gitorch validate'. Patterns are",
        "# gitignore patterns: a leading '/' anchors one at the root, '**' spans directories.",
        "version: 1",
        f"project: {_q(project)}",
        "# The branch teams start from and integrate into, and the branch integrate builds.",
        f"base: {_q(base)}",
        "integration: integration",
        "# Each team works on <branch_prefix><team>.",
        "branch_prefix: team/",
        "# The GitHub organisation: 'gitorch codeowners' names team X @<org>/X (GitHub's",
        "# team names); a team's own 'codeowners:' list overrides it.",
        (f"org: {_q(org)}" if org else "# org: your-org    # no GitHub remote found: name yours"),
        "# Paths every team may change (root files, configuration, tests, docs).",
        "shared:",
        *(f"  - {_q(p)}" for p in shared),
        "# What integrate runs on the merged tree, and the coverage it must reach.",
        "gates:",
        (f"  test_command: {_q(command)}" if command
         else "  # test_command: \"make test\"    # no test command found: name yours"),
        "  # coverage: 80          # % of statements over the whole tree",
        "  # diff_coverage: 80     # % of each team's added lines that the tests run",
        "# One entry per team: the paths it owns; 'priority' (higher wins conflicts),",
        "# 'depends_on' (merged after), 'description' (its brief starts with it).",
        "teams:",
    ]
    for i, (name, owns) in enumerate(teams):
        out += [f"  {name}:",
                f"    description: {_q('Owns ' + ', '.join(o.strip('/').removesuffix('/**') for o in owns))}",
                "    owns:", *(f"      - {_q(o)}" for o in owns),
                f"    priority: {max(0, 100 - 10 * i)}"]
    return "\n".join(out) + "\n"
