"""The pull-request gate for CI: ``gitorch gate``."""

from __future__ import annotations

import os
import sys

import click

from gitorch.cli.base import Context, json_option, main, manifest_option, pass_context, print_json
from gitorch.errors import CheckFailed


@main.command()
@click.option("--base", metavar="REF", help="The pull request's target (in Actions: $GITHUB_BASE_REF).")
@click.option("--head", metavar="REF",
              help="The team branch (in Actions: $GITHUB_HEAD_REF; elsewhere: the current branch).")
@click.option("--team", metavar="TEAM", help="Judge as this team (default: the head branch's team).")
@click.option("--test", "test", metavar="CMD", is_flag=False, flag_value="", default=None,
              help="Also run the tests under coverage and gate the team's diff coverage "
                   "(CMD, else the base manifest's gates.test_command).")
@click.option("--remote", default="origin", show_default=True, metavar="NAME",
              help="Remote whose branches stand in for missing local ones.")
@manifest_option
@json_option
@pass_context
def gate(obj: Context, base: str | None, head: str | None, team: str | None, test: str | None,
         remote: str, as_json: bool) -> None:
    """Judge a pull request by the base branch's gitorch.yaml (exit 1 when it fails).

    In GitHub Actions it prints annotations and writes $GITHUB_STEP_SUMMARY and
    $GITHUB_OUTPUT.
    """
    from gitorch import repo as git
    from gitorch.enforce import actions
    from gitorch.enforce import gate as core
    from gitorch.errors import UsageError

    env = dict(os.environ)
    repo = obj.repo
    refs = core.gate_refs(env, base=base, head=head, current_branch=git.head_branch(repo),
                          remote=remote or None)
    result = core.evaluate(repo=repo, refs=refs, team=team, remote=remote or None,
                           manifest_path=core.manifest_relpath(obj.root, obj.manifest_option),
                           who=core.identity(env), env=env)
    github = refs.actions and not as_json

    if test is not None:
        assert result.manifest is not None
        command = test or result.manifest.gates.test_command
        if not command:
            raise UsageError(f"--test: no command given and no gates.test_command in "
                             f"{refs.base}:{result.manifest_path}", hint="pass --test CMD")
        from gitorch.quality import run_quality

        added = {result.team: core.team_added_lines(repo, result)} if result.team else None
        if github:
            with actions.commands_stopped(click.echo):
                sys.stdout.flush()      # the test command may write to our stdout directly
                quality = run_quality(repo=repo, manifest=result.manifest, commit=result.head,
                                      test_command=command, added_lines=added)
                if quality.output_tail:
                    click.echo(quality.output_tail.rstrip("\n"))
        else:
            quality = run_quality(repo=repo, manifest=result.manifest, commit=result.head,
                                  test_command=command, added_lines=added)
            if quality.output_tail and not as_json:
                click.echo(quality.output_tail.rstrip("\n"))
        result = core.judge_quality(result, quality)

    shown, omitted = actions.annotation_commands(result)
    if env.get("GITHUB_STEP_SUMMARY"):
        actions.append(env["GITHUB_STEP_SUMMARY"], actions.summary_markdown(result, omitted))
    if env.get("GITHUB_OUTPUT"):
        actions.append(env["GITHUB_OUTPUT"], actions.format_outputs(actions.outputs(result)))
    if as_json:
        print_json(result.to_dict())
    else:
        for line in shown if github else ():
            click.echo(line)
        if github and omitted:
            click.echo(f"{omitted} more findings are not annotated: see the step summary")
        click.echo(actions.text_report(result), nl=False)
    if not result.passed:
        raise CheckFailed("")       # the report above says why
