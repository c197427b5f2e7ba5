"""Commands on the manifest alone: validate, schema, owner, brief, codeowners.

None of them needs the repository's objects, so none of them imports pygit2: `owner`
is run as a whole process in scripts and hooks, and its start-up time counts.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import click

from gitorch.cli.base import Context, json_option, main, manifest_option, pass_context, print_json
from gitorch.errors import ManifestError
from gitorch.manifest import DEFAULT_MANIFEST, MANIFEST_ENV, Manifest
from gitorch.manifest.loading import load_manifest


def light_manifest(obj: Context) -> Manifest:
    """The manifest, found without opening the repository where that is possible.

    ``--manifest`` and ``$GITORCH_MANIFEST`` need no repository; otherwise the work
    tree's root is the nearest directory with a ``.git`` entry. Anything unusual
    (``$GIT_DIR``, no ``.git`` found) goes the full way through the repository.
    """
    if obj._manifest is None:
        explicit = obj.manifest_option or os.environ.get(MANIFEST_ENV)
        if explicit:
            obj._manifest = load_manifest(Path(explicit))
        else:
            root = work_tree_root(obj)
            if root is not None:
                obj._manifest = load_manifest(root / DEFAULT_MANIFEST)
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
        problems = []
        for line in exc.problems:
            match = re.match(r"^(.*):(\d+): (.*)$", line)
            problems.append({"file": match[1], "line": int(match[2]), "message": match[3]}
                            if match else {"file": None, "line": None, "message": line})
        print_json({"valid": False, "problems": problems})
        raise SystemExit(2) from None
    if as_json:
        print_json({"manifest": str(manifest.path), "valid": True, "project": manifest.project,
                    "teams": sorted(manifest.teams)})
        return
    click.echo(f"{manifest.path}: valid ({len(manifest.teams)} teams, project "
               f"{manifest.project})")


@main.command()
@click.argument("paths", nargs=-1)
@manifest_option
@json_option
@pass_context
def owner(obj: Context, paths: tuple[str, ...], as_json: bool) -> None:
    """Print PATH<TAB>OWNER for each path (stdin, one a line, when none is given)."""
    ownership = light_manifest(obj).ownership
    items = list(paths) if paths else [line for line in sys.stdin.read().splitlines() if line.strip()]
    owners = ownership.owners_of(items)
    if as_json:
        print_json({"owners": [{"path": p, "owner": o} for p, o in zip(items, owners, strict=True)]})
        return
    sys.stdout.write("".join(f"{p}\t{o}\n" for p, o in zip(items, owners, strict=True)))
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
    root = work_tree_root(obj)
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

    result = generate(light_manifest(obj))
    for warning in result.warnings:
        click.echo(f"gitorch: warning: {warning}", err=True)
    if as_json:
        print_json(result.as_json())
        return
    click.echo(result.text, nl=False)


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
