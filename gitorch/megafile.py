"""Mega-files: YAML that expands into many files inside one team's scope (docs/progress.md, "Mega-files").

```yaml
megafile: core_entities
team: alpha                            # optional: else the checked-out team branch
vars: {entities: [user, product]}
rules:
  - for: entity in entities            # optional; a Jinja expression after 'in'
    path: "src/core/entities/{{ entity }}.py"
    template: "class {{ entity | capitalize }}: ..."
  - for: [resource in resources, action in actions]   # every combination
    path: "src/api/tests/test_{{ resource }}_{{ action }}.py"
    template: "..."
```

Several lists are written as a YAML list of ``NAME in EXPR`` or as one string
``"a in xs, b in ys"``; the first varies slowest, and a later list may use an earlier
name (``[m in models, f in m.fields]``). Templates and list expressions are rendered
by Jinja2's sandbox (``ImmutableSandboxedEnvironment``) with ``StrictUndefined``: a template reaches its
variables, the loop names, the standard filters and ``range``, nothing else; an
undefined name is an error. Expansion is all or nothing: every problem is collected
first and nothing is written unless there is none.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from gitorch.errors import UsageError
from gitorch.manifest import Manifest, TeamName

TOP_KEYS = ("megafile", "team", "vars", "rules")
RULE_KEYS = ("for", "path", "template")
_LOOP = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.+?)\s*$", re.DOTALL)
_SPLIT = re.compile(r",\s*(?=[A-Za-z_][A-Za-z0-9_]*\s+in\s)")


@dataclass(frozen=True)
class Loop:
    name: str
    expression: str


@dataclass(frozen=True)
class Rule:
    index: int                 # 1-based, for messages
    loops: tuple[Loop, ...]
    path: str
    template: str


@dataclass(frozen=True)
class MegaFile:
    source: Path
    name: str
    team: TeamName | None
    variables: Mapping[str, Any]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Rendered:
    path: str
    text: str
    lines: int
    status: str                # new, unchanged, changed (changed is written only with --force)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "lines": self.lines, "status": self.status}


@dataclass(frozen=True)
class Expansion:
    megafile: str
    team: TeamName
    files: tuple[Rendered, ...]
    problems: tuple[str, ...]
    written: bool

    def to_json(self, *, dry_run: bool) -> dict[str, Any]:
        return {"megafile": self.megafile, "team": self.team, "dry_run": dry_run,
                "written": self.written, "files": [f.to_json() for f in self.files],
                "problems": list(self.problems)}


# --------------------------------------------------------------------------- loading


def load_megafile(path: Path) -> MegaFile:
    """Parse and check the mega-file's shape; a malformed file is a usage error (exit 2)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the mega-file: {exc.strerror}",
                         hint="check the path") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise UsageError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}",
                         hint="fix the YAML syntax") from None
    return parse_megafile(data, path)


def parse_megafile(data: Any, path: Path) -> MegaFile:
    def bad(message: str) -> UsageError:
        return UsageError(f"{path}: {message}", hint="see docs/progress.md, 'Mega-files'")

    if not isinstance(data, dict):
        raise bad("a mega-file is a mapping with 'megafile' and 'rules'")
    unknown = sorted(set(data) - set(TOP_KEYS), key=str)
    if unknown:
        raise bad(f"unknown key '{unknown[0]}' (known: {', '.join(TOP_KEYS)})")
    name = data.get("megafile")
    if not isinstance(name, str) or not name:
        raise bad("'megafile' must name the mega-file")
    team = data.get("team")
    if team is not None and not isinstance(team, str):
        raise bad("'team' must be a team name")
    variables = data.get("vars") or {}
    if not isinstance(variables, dict) or not all(isinstance(k, str) for k in variables):
        raise bad("'vars' must be a mapping of names to values")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise bad("'rules' must be a non-empty list")
    rules = []
    for index, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, dict):
            raise bad(f"rule {index} must be a mapping with 'path' and 'template'")
        extra = sorted(set(raw) - set(RULE_KEYS), key=str)
        if extra:
            raise bad(f"rule {index}: unknown key '{extra[0]}' (known: {', '.join(RULE_KEYS)})")
        if not isinstance(raw.get("path"), str) or not raw["path"].strip():
            raise bad(f"rule {index}: 'path' must be a string")
        if not isinstance(raw.get("template"), str):
            raise bad(f"rule {index}: 'template' must be a string")
        loops = _loops(raw.get("for"), index, bad)
        rules.append(Rule(index=index, loops=loops, path=raw["path"], template=raw["template"]))
    return MegaFile(source=path, name=name, team=TeamName(team) if team else None,
                    variables=variables, rules=tuple(rules))


def _loops(value: Any, index: int, bad: Any) -> tuple[Loop, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        parts = _SPLIT.split(value)
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        parts = value
    else:
        raise bad(f"rule {index}: 'for' must be 'NAME in LIST' or a list of them")
    loops = []
    for part in parts:
        match = _LOOP.match(part)
        if match is None:
            raise bad(f"rule {index}: 'for: {part}' is not 'NAME in LIST'")
        loops.append(Loop(match.group(1), match.group(2)))
    return tuple(loops)


# --------------------------------------------------------------------------- rendering


def sandbox() -> SandboxedEnvironment:
    """The only environment templates see: sandboxed, strict, with no globals but ``range``.

    Immutable too: a template cannot change the variables that later renders see.
    """
    env = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                               autoescape=False)
    env.globals = {"range": env.globals["range"]}
    return env


def _contexts(env: SandboxedEnvironment, rule: Rule,
              variables: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """One context per combination of the rule's loops (first loop slowest)."""
    def expand(level: int, context: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if level == len(rule.loops):
            yield context
            return
        loop = rule.loops[level]
        items: Any = env.compile_expression(loop.expression, undefined_to_none=False)(**context)
        if isinstance(items, jinja2.Undefined):
            items._fail_with_undefined_error()
        if isinstance(items, (str, bytes, Mapping)) or not hasattr(items, "__iter__"):
            raise TypeError(f"for: {loop.name} in {loop.expression}: not a list")
        for item in items:
            yield from expand(level + 1, {**context, loop.name: item})
    yield from expand(0, dict(variables))


def count_lines(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def render(megafile: MegaFile) -> tuple[list[tuple[str, str, int]], list[str]]:
    """Every (path, text, rule index) the rules produce, and one line per render problem."""
    env = sandbox()
    out: list[tuple[str, str, int]] = []
    problems: list[str] = []
    for rule in megafile.rules:
        try:
            path_template = env.from_string(rule.path)
            body_template = env.from_string(rule.template)
            for context in _contexts(env, rule, megafile.variables):
                path = path_template.render(context).strip()
                out.append((path, body_template.render(context), rule.index))
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError,
                IndexError, ZeroDivisionError, OverflowError) as exc:   # the template's own faults
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            problems.append(f"rule {rule.index}: render error: {type(exc).__name__}: {message}")
    return out, problems


# --------------------------------------------------------------------------- checking, writing


def path_problem(path: str, team: TeamName, manifest: Manifest) -> str | None:
    """Why ``path`` may not be written by ``team``, or None."""
    if not path:
        return "renders to an empty path"
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        return "contains a control character"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "is an absolute path"
    if "\\" in path:
        return "contains a backslash (use '/')"
    parts = PurePosixPath(path).parts
    if ".." in parts:
        return "contains '..'"
    if ".git" in parts or any(p in ("", ".") for p in path.split("/")):
        return "is not a plain repository path"
    if not manifest.ownership.may_change(team, path):
        return f"is outside team {team}'s scope (owner: {manifest.ownership.owner_of(path)})"
    return None


def expand(megafile: MegaFile, manifest: Manifest, root: Path, *, team: TeamName, force: bool,
           dry_run: bool) -> Expansion:
    """Render, check everything, then write every file or none.

    Problems (exit 1): a render error, a path outside the team's scope, absolute or with
    '..', a path rendered twice with different bodies, a path whose directory leads out
    of the repository (a symlink), an existing file with other content (unless ``force``).
    """
    if team not in manifest.teams:
        raise UsageError(f"no team '{team}' in {manifest.path}",
                         hint=f"use one of: {', '.join(sorted(manifest.teams))}")
    produced, problems = render(megafile)
    seen: dict[str, str] = {}
    files: list[Rendered] = []
    root = root.resolve()
    for path, text, index in produced:
        problem = path_problem(path, team, manifest)
        if problem:
            problems.append(f"rule {index}: {path or repr(path)}: {problem}")
            continue
        if path in seen:
            if seen[path] != text:
                problems.append(f"rule {index}: {path}: rendered twice with different content")
            continue
        seen[path] = text
        target = root / path
        if not _inside(target, root):
            problems.append(f"rule {index}: {path}: leads outside the repository")
            continue
        status = "new"
        if target.is_dir():
            problems.append(f"rule {index}: {path}: is a directory")
            continue
        if target.exists():
            status = "unchanged" if _same(target, text) else "changed"
            if status == "changed" and not force:
                problems.append(f"rule {index}: {path}: exists with other content "
                                "(--force overwrites)")
        files.append(Rendered(path=path, text=text, lines=count_lines(text), status=status))
    if problems or dry_run:
        return Expansion(megafile.name, team, tuple(files), tuple(problems), written=False)
    _write_all(root, [f for f in files if f.status != "unchanged"])
    return Expansion(megafile.name, team, tuple(files), (), written=True)


def _inside(target: Path, root: Path) -> bool:
    try:
        target.parent.resolve().relative_to(root)
    except ValueError:
        return False
    return not target.is_symlink()


def _same(target: Path, text: str) -> bool:
    try:
        return target.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def _write_all(root: Path, files: list[Rendered]) -> None:
    """Write every body to a temporary file beside its target, then rename them all.

    A failure while writing removes the temporary files, so the tree keeps no half.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for f in files:
            target = root / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(fd, "wb") as out:
                out.write(f.text.encode("utf-8"))
            os.chmod(temp, 0o644)
            staged.append((temp, target))
    except OSError as exc:
        for temp, _ in staged:
            Path(temp).unlink(missing_ok=True)
        raise UsageError(f"cannot write the files: {exc}", hint="nothing was written") from None
    for temp, target in staged:
        os.replace(temp, target)
