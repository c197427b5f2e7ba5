"""Commands on the manifest alone: validate, owner."""

from __future__ import annotations

import sys

import click

from gitorch.cli import Context, json_option, main, manifest_option, pass_context, print_json


@main.command()
@manifest_option
@json_option
@pass_context
def validate(obj: Context, as_json: bool) -> None:
    """Check the manifest; print every problem as FILE:LINE: message (exit 2)."""
    manifest = obj.manifest
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
    ownership = obj.manifest.ownership
    items = list(paths) if paths else [line.rstrip("\r\n") for line in sys.stdin if line.strip()]
    owners = ownership.owners_of(items)
    if as_json:
        print_json({"owners": [{"path": p, "owner": o} for p, o in zip(items, owners, strict=True)]})
        return
    click.echo("".join(f"{p}\t{o}\n" for p, o in zip(items, owners, strict=True)), nl=False)
