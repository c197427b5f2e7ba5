"""`gitorch demo`: the whole flow on a generated sample project."""

from __future__ import annotations

from pathlib import Path

import click

from gitorch.cli.base import json_option, main, print_json


@main.command()
@click.argument("directory", required=False, default="gitorch-demo",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--verbose", is_flag=True, help="Show every line each step prints.")
@json_option
def demo(directory: Path, verbose: bool, as_json: bool) -> None:
    """Run the whole flow (worktrees, hook, conflicts, integrate) on a generated project in DIRECTORY."""
    from gitorch.demo import run_demo

    # with --json, stdout holds the one document; the walkthrough still shows, on stderr
    def echo(line: str) -> None:
        click.echo(line, err=as_json)

    result = run_demo(directory, echo=echo, verbose=verbose)
    if as_json:
        print_json({"directory": str(result.directory), "report": str(result.report),
                    "html": str(result.html), "json": str(result.json),
                    "integrate_exit": result.integrate_exit,
                    "seconds": round(result.seconds, 1), "phases": result.steps})
    if result.integrate_exit != 0:
        raise SystemExit(result.integrate_exit)
