"""Commands on the manifest alone: validate, schema, owner, brief, codeowners.

None of them needs the repository's objects, so none but `validate` (which reads the
tracked files for its warnings) and `init` imports pygit2: `owner` is run as a whole
process in scripts and hooks, and its start-up time counts.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

from gitorch.cli.base import (
    Context,
    index_files,
    json_option,
    main,
    manifest_option,
    pass_context,
    print_json,
)
from gitorch.errors import ManifestError
from gitorch.manifest import DEFAULT_MANIFEST, MANIFEST_ENV, Manifest
from gitorch.manifest.cache import blob_id
from gitorch.manifest.loading import load_manifest


def light_manifest(obj: Context) -> Manifest:
    """The manifest, found without opening the repository where that is possible.

    ``--manifest`` and ``$GITORCH_MANIFEST`` need no repository; otherwise the work
    tree's root is the nearest directory with a ``.git`` entry. Anything unusual
    (``$GIT_DIR``, no ``.git`` found) goes the full way through the repository.
    """
    if obj._manifest is None:
        explicit = obj.manifest_option or os.environ.get(MANIFEST_ENV)
        root = work_tree_root(obj)
        if explicit:
            obj._manifest = load_manifest(Path(explicit), files=index_files(root))
        elif root is not None:
            obj._manifest = load_manifest(root / DEFAULT_MANIFEST, files=index_files(root))
    return obj.manifest


def work_tree_root(obj: Context) -> Path | None:
    """The nearest directory above ``--repo`` (or here) with a ``.git`` entry, if any."""
    if os.environ.get("GIT_DIR"):
        return None
    start = Path(obj.repo_option or ".").resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def main_work_tree(root: Path | None) -> Path | None:
    """The main work tree of the repository whose (linked) work tree ``root`` is.

    Team worktrees live beside the main one, so a path computed from a linked worktree
    must start from the main one (a ``.git`` file names ``.git/worktrees/<name>``).
    """
    if root is None or not (root / ".git").is_file():
        return root
    text = (root / ".git").read_text(encoding="utf-8", errors="replace").strip()
    if not text.startswith("gitdir:"):
        return root
    gitdir = (root / text[len("gitdir:"):].strip()).resolve()
    common = gitdir / "commondir"
    if not common.is_file():
        return root
    common_dir = (gitdir / common.read_text(encoding="utf-8").strip()).resolve()
    return common_dir.parent if common_dir.name == ".git" else root


@main.command()
@manifest_option
@json_option
@pass_context
def validate(obj: Context, as_json: bool) -> None:
    """Check the manifest; print every problem as FILE:LINE: message (exit 2)."""
    try:
        manifest = light_manifest(obj)
    except ManifestError as exc:
        if not as_json:
            raise
        print_json({"valid": False, "problems": _problem_docs(exc.problems)})
        raise SystemExit(2) from None
    policy = base_manifest_blob(obj, manifest.base)
    differs = None
    if policy is not None and isinstance(manifest.path, Path):
        try:
            differs = blob_id(manifest.path.read_bytes()) != policy[1]
        except OSError:
            differs = None
    warnings = _tree_warnings(obj, manifest)
    if as_json:
        doc: dict[str, object] = {"manifest": str(manifest.path), "valid": True,
                                  "project": manifest.project, "teams": sorted(manifest.teams),
                                  "warnings": warnings}
        if not (obj.manifest_option or os.environ.get(MANIFEST_ENV)):
            doc.update(policy=policy[0] if policy is not None else None,
                       differs_from_policy=differs)
        print_json(doc)
        return
    for warning in warnings:
        click.echo(warning, err=True)
    click.echo(f"{manifest.path}: valid ({len(manifest.teams)} teams, project "
               f"{manifest.project})")
    if policy is None and work_tree_root(obj) is not None:
        click.echo(f"note: the base branch {manifest.base} has no {DEFAULT_MANIFEST} yet: "
                   "commit this one there to make it the policy")
    elif differs:
        click.echo(f"note: this file differs from {policy[0] if policy else ''}, the policy in "
                   "force: check, gate, status, conflicts and integrate (and the server) judge "
                   "by that one until this change is merged into the base")


def _problem_docs(lines: list[str]) -> list[dict[str, object]]:
    """``FILE:LINE: message`` lines as JSON objects (file and line None when not so)."""
    out: list[dict[str, object]] = []
    for line in lines:
        match = re.match(r"^(.*):(\d+): (.*)$", line)
        out.append({"file": match[1], "line": int(match[2]), "message": match[3]}
                   if match else {"file": None, "line": None, "message": line})
    return out


def base_manifest_blob(obj: Context, base: str) -> tuple[str, str] | None:
    """(``main:gitorch.yaml``, its blob id) at the tip of the base branch, chosen as every
    judging command chooses it (``gitorch.manifest.loading.locate_policy``: the local
    branch, or its remote-tracking one when the local one is only behind); None when
    there is none."""
    from gitorch import repo as git
    from gitorch.errors import GitorchError
    from gitorch.manifest.loading import locate_policy

    if obj.manifest_option or os.environ.get(MANIFEST_ENV):
        return None
    root = work_tree_root(obj)
    if root is None:
        return None
    try:
        found = locate_policy(git.PolicyRefs(git.open_repo(root)), base)
    except GitorchError:
        return None
    if found is None:
        return None
    ref = found[0].removeprefix("refs/heads/").removeprefix("refs/remotes/")
    return f"{ref}:{DEFAULT_MANIFEST}", found[2]


def _tree_warnings(obj: Context, manifest: Manifest) -> list[str]:
    """Warnings that need the work tree's files (none outside a work tree)."""
    from gitorch.errors import GitorchError
    from gitorch.manifest.validation import unanchored_warnings

    root = work_tree_root(obj)
    if root is None:
        return []
    from gitorch import repo as git  # here: the other manifest commands need no pygit2

    try:
        files = git.tracked_files(root)
    except GitorchError:
        return []
    return unanchored_warnings(manifest, files)


@main.command()
@click.argument("paths", nargs=-1)
@click.option("-z", "nul", is_flag=True,
              help="NUL-separated paths on stdin; prints PATH NUL OWNER NUL, nothing quoted.")
@manifest_option
@json_option
@pass_context
def owner(obj: Context, paths: tuple[str, ...], nul: bool, as_json: bool) -> None:
    """Print PATH<TAB>OWNER for each path (stdin, one a line, when none is given).

    A path that a line cannot carry (a tab, a newline, a quote, a byte that is not UTF-8)
    is printed in double quotes, C-escaped as git quotes it; a line read in double quotes
    is unquoted the same way, so 'git ls-files | gitorch owner' works. With -z, names go
    in and out NUL-separated and exactly as they are ('git ls-files -z | gitorch owner -z').
    """
    from gitorch.manifest.pathnames import shown, unquoted

    ownership = light_manifest(obj).ownership
    if paths:
        items = list(paths)
    else:
        raw = sys.stdin.buffer.read().decode("utf-8", errors="surrogateescape")
        if nul:
            items = [p for p in raw.split("\0") if p]
        else:     # "\n" only: str.splitlines() would also cut at \x1c, \x85, \u2028...
            items = [unquoted(line.removesuffix("\r")) for line in raw.split("\n")
                     if line.strip()]
    owners = ownership.owners_of(items)
    if as_json:
        print_json({"owners": [{"path": p, "owner": o} for p, o in zip(items, owners, strict=True)]})
        return
    if nul:
        sys.stdout.flush()
        sys.stdout.buffer.write(b"".join(f"{p}\0{o}\0".encode("utf-8", errors="surrogateescape")
                                         for p, o in zip(items, owners, strict=True)))
        sys.stdout.buffer.flush()
        return
    sys.stdout.write("".join(f"{shown(p)}\t{o}\n" for p, o in zip(items, owners, strict=True)))
    sys.stdout.flush()


@main.command()
@click.argument("team")
@manifest_option
@json_option
@pass_context
def brief(obj: Context, team: str, as_json: bool) -> None:
    """Print TEAM's brief: mission, paths, dependencies, target, how to report status."""
    from gitorch.manifest.brief import brief_data, render, team_or_error

    manifest = light_manifest(obj)
    name = team_or_error(manifest, team)
    root = main_work_tree(work_tree_root(obj))
    worktree = manifest.worktrees_dir(root) / name if root is not None else None
    if as_json:
        print_json(brief_data(manifest, name, worktree=worktree))
        return
    click.echo(render(manifest, name, worktree=worktree), nl=False)


@main.command()
@manifest_option
@json_option
@pass_context
def codeowners(obj: Context, as_json: bool) -> None:
    """Print a GitHub CODEOWNERS file that gives each path the owner `gitorch owner` gives it."""
    from gitorch.manifest.codeowners import generate

    manifest = light_manifest(obj)
    try:
        result = generate(manifest)
    except ManifestError as exc:
        if not as_json:
            raise
        print_json({"codeowners": None, "rules": [], "warnings": [],
                    "problems": _problem_docs(exc.problems), "hint": exc.hint})
        raise SystemExit(exc.exit_code) from None
    for warning in result.warnings:
        click.echo(f"gitorch: warning: {warning}", err=True)
    if as_json:
        print_json(result.as_json())
        return
    click.echo(result.text, nl=False)


@main.command("init")
@click.option("--teams", "team_count", type=int, metavar="N",
              help="Number of teams (default: one per top-level source directory).")
@click.option("--template", type=click.Choice(["ecommerce", "minimal"]),
              help="Write one of the example manifests instead.")
@json_option
@pass_context
def init(obj: Context, team_count: int | None, template: str | None, as_json: bool) -> None:
    """Write a starter gitorch.yaml for this repository (never overwrites one)."""
    from gitorch import repo as git
    from gitorch.errors import UsageError
    from gitorch.manifest.starter import Starter, github_org, starter_manifest, template_text

    root = work_tree_root(obj)
    if root is None:
        raise UsageError("not inside a git work tree", hint="run 'git init' first, or cd into one")
    target = root / DEFAULT_MANIFEST
    if target.exists():
        raise UsageError(f"{target} exists; gitorch init never overwrites it",
                         hint="edit it, or move it aside and run 'gitorch init' again")
    if template is not None:
        result = Starter(template_text(template), (), (), None)
    else:
        handle = git.open_repo(root)
        branch = git.head_branch(handle) or "main"
        names = sorted(handle.remotes.names(), key=lambda r: (r != "origin", r or ""))
        urls = [url for name in names if name
                for url in (handle.remotes[name].url,) if url]
        result = starter_manifest(git.tracked_files(root), project=root.name,
                                  teams=team_count, base=branch, org=github_org(urls))
    target.write_text(result.text, encoding="utf-8")
    if as_json:
        print_json({"path": str(target), "template": template, **result.as_json()})
        return
    for note in result.notes:
        click.echo(f"gitorch: note: {note}", err=True)
    what = f"the {template} example" if template else (
        f"{len(result.teams)} team{'s' if len(result.teams) != 1 else ''}: "
        f"{', '.join(t for t, _ in result.teams)}")
    click.echo(f"wrote {target} ({what}); check it with 'gitorch validate', then commit it")


@main.command("schema")
@json_option
def schema(as_json: bool) -> None:
    """Print the manifest's JSON Schema (for editors and CI: save it and point them at it).

    With --json: {"path": where the installed package keeps it, "schema": the schema}.
    """
    import json

    from gitorch.manifest.loading import schema_path

    text = schema_path().read_text(encoding="utf-8")
    if as_json:
        print_json({"path": str(schema_path()), "schema": json.loads(text)})
    else:
        click.echo(text, nl=False)
