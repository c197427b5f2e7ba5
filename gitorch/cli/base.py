"""The command layer's shared parts: the group, the context, options, error mapping.

Each command parses its options, opens a context (repository, manifest), calls a
core function with keyword arguments and prints what comes back. Expected failures
(GitorchError) become one line on stderr and exit 1 or 2; anything else becomes one
line plus a pointer to --debug, never a traceback unless asked for.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from gitorch import __version__
from gitorch.errors import EXIT_USAGE, GitorchError, ManifestError
from gitorch.ids import ObjectId
from gitorch.manifest import MANIFEST_ENV, Manifest
from gitorch.manifest.loading import BasePolicy, find_manifest, load_manifest, load_policy

if TYPE_CHECKING:
    from gitorch import repo as git

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Context:
    """What every command needs, opened lazily: the repository and the manifest."""

    manifest_option: str | None = None
    repo_option: str | None = None
    debug: bool = False
    _repo: git.Repository | None = field(default=None, repr=False)
    _manifest: Manifest | None = field(default=None, repr=False)
    policy: BasePolicy | None = field(default=None, repr=False)    # where the manifest came from
    remote: str | None = None       # the remote a command talks to (--remote): its branches first

    @property
    def repo(self) -> git.Repository:
        if self._repo is None:
            from gitorch.repo import open_repo  # pygit2 is loaded only by commands that need it

            self._repo = open_repo(self.repo_option)
        return self._repo

    @property
    def root(self) -> Path:
        from gitorch.repo import repo_root

        return repo_root(self.repo)

    def manifest_path(self) -> Path:
        root: Path | None
        try:
            root = self.root
        except GitorchError:
            root = Path(self.repo_option) if self.repo_option else None
        return find_manifest(root, self.manifest_option)

    def cache_dir(self) -> Path | None:
        """``gitorch/cache`` in the common git directory (shared by every worktree)."""
        if self._repo is None:
            return None
        from gitorch.repo import git_common_dir

        return git_common_dir(self._repo) / "gitorch" / "cache"

    @property
    def manifest(self) -> Manifest:
        """The policy every judging command uses: ``--manifest``/``$GITORCH_MANIFEST`` when
        given, else ``gitorch.yaml`` at the tip of the base branch (local, else a remote's),
        as the server reads it; the working file only while the base has none."""
        if self._manifest is None:
            path = self.manifest_path()
            if self.manifest_option or os.environ.get(MANIFEST_ENV):
                self._manifest = load_manifest(path, self.cache_dir(), self._index_files())
            else:
                self.policy = self._base_policy(path)
                self._manifest = self.policy.manifest
        return self._manifest

    def _index_files(self) -> Callable[[], list[str]] | None:
        """The work tree's tracked files, listed only when an overlap is to be shown."""
        try:
            return index_files(self.root)
        except GitorchError:
            return None

    def _base_policy(self, working: Path) -> BasePolicy:
        try:
            repo = self.repo
        except GitorchError:        # no repository: the file is all there is
            manifest = load_manifest(working)
            return BasePolicy(manifest, str(working), None)
        from gitorch.repo import PolicyRefs

        return load_policy(working, PolicyRefs(repo), self.cache_dir(), remote=self.remote)

    def policy_key(self) -> tuple[tuple[str, ObjectId], ...] | None:
        """The base refs and their tips the policy was chosen from (None: not from a base)."""
        if self._repo is None or self.manifest_option or os.environ.get(MANIFEST_ENV):
            return None
        from gitorch.manifest.loading import base_refs
        from gitorch.repo import PolicyRefs

        return tuple(base_refs(PolicyRefs(self._repo), self.manifest.base, self.remote))

    def policy_changed(self, key: tuple[tuple[str, ObjectId], ...] | None) -> bool:
        """True when the base refs moved since ``key`` (a push, a fetch, a commit on the
        base): ref lookups only; ``refresh_manifest`` then reads the policy again."""
        return key is not None and self.policy_key() != key

    def policy_reader(self) -> Callable[[], Manifest]:
        """What a long-running command (``monitor``) asks each round for the manifest in
        force: the same object while the base refs stay put (ref lookups only), the policy
        read again once they moved (a push, a fetch, a commit on the base)."""
        self.manifest  # noqa: B018  (read it now: the key below describes this one)
        key = self.policy_key()

        def current() -> Manifest:
            nonlocal key
            if self._manifest is not None and not self.policy_changed(key):
                return self._manifest
            self._manifest = None
            manifest = self.manifest
            key = self.policy_key()
            return manifest

        return current


class GitorchGroup(click.Group):
    """Turns expected failures into one line and an exit code; hides tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GitorchError as exc:
            if isinstance(exc, ManifestError):
                for line in exc.problems:
                    click.echo(line, err=True)
                if exc.hint:
                    click.echo(f"gitorch: {exc.hint}", err=True)
            elif str(exc):      # an empty message: the command has said it already
                click.echo(f"gitorch: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("gitorch: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:  # the last line of defence: one line, never a traceback
            obj = ctx.obj
            if (isinstance(obj, Context) and obj.debug) or os.environ.get("GITORCH_DEBUG"):
                import traceback

                traceback.print_exc()
            first = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(f"gitorch: internal error: {type(exc).__name__}: {first}; "
                       "run again with --debug for details", err=True)
            ctx.exit(EXIT_USAGE)


@click.group(cls=GitorchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--manifest", "manifest_option", metavar="PATH", envvar="GITORCH_MANIFEST",
              help="Manifest file (default: gitorch.yaml at the repository root).")
@click.option("--repo", "repo_option", metavar="DIR", help="Repository (default: the current one).")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(__version__, prog_name="gitorch")
@click.pass_context
def main(ctx: click.Context, manifest_option: str | None, repo_option: str | None,
         debug: bool) -> None:
    """Run many parallel teams on one git repository: scopes, overlaps, integration."""
    ctx.obj = Context(manifest_option=manifest_option, repo_option=repo_option, debug=debug)


pass_context = click.make_pass_decorator(Context)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON document on stdout.")(func)


def manifest_option(func: F) -> F:
    """Accept --manifest after the command name too (the contract: every command takes it)."""
    def store(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value:
            obj = ctx.find_object(Context)
            if obj is not None:
                obj.manifest_option = value
                obj._manifest = None
    return click.option("--manifest", metavar="PATH", expose_value=False, callback=store,
                        is_eager=True, help="Manifest file.")(func)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def index_files(root: Path | None) -> Callable[[], list[str]] | None:
    """The work tree's tracked files, listed only when asked (an overlap to show on a
    real file); None outside a work tree."""
    if root is None:
        return None

    def files() -> list[str]:
        from gitorch.repo import tracked_files

        try:
            return tracked_files(root)
        except GitorchError:
            return []
    return files
