"""Where manifests come from: found, read, parsed and validated, scopes attached, cached.

Every Manifest is made here. Validation reports every problem (FILE:LINE, key, fix),
not just the first; a valid manifest gets its compiled ``Ownership`` attached.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gitorch.errors import ManifestError
from gitorch.ids import ObjectId
from gitorch.manifest import cache
from gitorch.manifest.records import DEFAULT_MANIFEST, MANIFEST_ENV, Manifest
from gitorch.manifest.scope import CompiledOwnership

TreeFiles = Callable[[], Sequence[str]]     # the files of the tree a manifest governs

DEFAULT_BASE = "main"


def find_manifest(repo_root: Path | None, explicit: str | os.PathLike[str] | None) -> Path:
    """``--manifest``, else ``$GITORCH_MANIFEST``, else ``gitorch.yaml`` at the repo root."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(MANIFEST_ENV)
    if env:
        return Path(env)
    root = repo_root if repo_root is not None else Path.cwd()
    return root / DEFAULT_MANIFEST


def load_manifest(path: Path, cache_dir: Path | None = None,
                  files: TreeFiles | None = None) -> Manifest:
    """Read, parse and validate the manifest at ``path``.

    With ``cache_dir`` (the CLI passes ``.git/gitorch/cache``) a manifest that validated
    before is read back from the cache (``gitorch.manifest.cache``) instead.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(
            [f"{path}: no manifest here"],
            hint="create gitorch.yaml at the repository root or pass --manifest PATH",
        ) from None
    except OSError as exc:
        raise ManifestError([f"{path}: cannot read the manifest: {exc}"]) from None
    return load_text(data, path, cache_dir, files=files).manifest


def load_text(data: bytes, path: Path | str, cache_dir: Path | None = None,
              blob: str | None = None, files: TreeFiles | None = None) -> cache.Entry:
    """The validated manifest of ``data`` (read from ``path``) and its compiled scopes.

    ``files``: the files of the tree it governs, asked only to show an overlap between
    two teams on a real file (an invalid manifest is never cached: always asked afresh).
    """
    def parse() -> Manifest:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ManifestError([f"{path}: cannot read the manifest: {exc}"]) from None
        return parse_manifest(text, path, files)

    return cache.cached(cache_dir, blob or cache.blob_id(data), parse, Path(path))


def schema_path() -> Path:
    """The manifest's JSON Schema, as shipped inside the package (package data)."""
    return Path(__file__).with_name("gitorch.schema.json")



def parse_manifest(text: str, path: Path | str = DEFAULT_MANIFEST,
                   files: TreeFiles | None = None) -> Manifest:
    """Parse and validate; raise ManifestError listing every problem found."""
    from gitorch.manifest.ownership import Ownership
    from gitorch.manifest.validation import parse  # YAML and every rule: only when not cached

    manifest = parse(text, Path(path), files)
    return manifest.with_ownership(Ownership.from_manifest(manifest))


@dataclass(frozen=True)
class BasePolicy:
    """The manifest commands judge by, where it was read, and the working copy's, if it differs."""

    manifest: Manifest
    source: str                 # "main:gitorch.yaml", "origin/main:gitorch.yaml" or a file path
    note: str | None = None     # one line a judging command should show, when it matters
    tip: ObjectId | None = None     # the base commit it was read at (None: the working file)
    blob: str | None = None     # the manifest's blob id at that commit
    compiled: CompiledOwnership | None = None   # its scopes compiled (what the hooks match with)


class PolicyRefs(Protocol):
    """What choosing the policy needs from a repository (``gitorch.repo.PolicyRefs``)."""

    def tip(self, ref: str) -> ObjectId | None:
        """The commit ``ref`` (``refs/heads/main``...) points at, or None."""

    def is_ancestor(self, older: ObjectId, newer: ObjectId) -> bool:
        """True when commit ``older`` is reachable from commit ``newer``."""

    def manifest_blob(self, commit: ObjectId) -> tuple[str, bytes] | None:
        """(blob id, content) of gitorch.yaml in ``commit``, or None."""

    def remotes(self) -> list[str]:
        """The names of the repository's remotes."""

    def files(self, commit: ObjectId) -> list[str]:
        """Every file path of ``commit``'s tree."""


def base_name(working: Path | None) -> str:
    """The base branch the working copy's manifest names (``base:``), ``main`` by default.

    Only the one key is read (no validation): the working file may be broken or old; it
    is only where the search starts, the base's own manifest has the last word.
    """
    if working is None:
        return DEFAULT_BASE
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml's when it is built in
    try:
        data = yaml.load(working.read_bytes(), Loader=loader)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return DEFAULT_BASE
    found = data.get("base") if isinstance(data, dict) else None
    return found if isinstance(found, str) and found.strip() else DEFAULT_BASE


def base_refs(refs: PolicyRefs, base: str, remote: str | None = None
              ) -> list[tuple[str, ObjectId]]:
    """(ref, commit) of the base branch, the one to read the policy at first.

    The local branch, unless it is only behind its remote-tracking branch (fetched, not
    pulled: the server already has the newer tip), then the remote-tracking branch
    comes first. Remotes are tried ``remote`` first, then ``origin``, then by name.
    """
    names = refs.remotes()
    order = sorted(names, key=lambda r: (r != remote, r != "origin", r))
    local = refs.tip(f"refs/heads/{base}")
    found = [(f"refs/heads/{base}", local)] if local is not None else []
    for name in order:
        ref = f"refs/remotes/{name}/{base}"
        tip = refs.tip(ref)
        if tip is None:
            continue
        if local is not None and len(found) == 1 and tip != local \
                and refs.is_ancestor(local, tip):
            found.insert(0, (ref, tip))
        else:
            found.append((ref, tip))
    return found


def _shown(ref: str) -> str:
    return ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")


def locate_policy(refs: PolicyRefs, base: str, remote: str | None = None
                  ) -> tuple[str, ObjectId, str, bytes] | None:
    """(ref, commit, blob id, content) of the policy: gitorch.yaml at the base tip
    (``base_refs``' order, the first that has one), None when no base tip has one."""
    for ref, tip in base_refs(refs, base, remote):
        found = refs.manifest_blob(tip)
        if found is not None:
            return ref, tip, found[0], found[1]
    return None


def load_policy(working: Path | None, refs: PolicyRefs, cache_dir: Path | None = None,
                remote: str | None = None) -> BasePolicy:
    """``gitorch.yaml`` at the tip of the base branch, as the server reads it.

    The search starts at the base the working copy's manifest names (``base:``, default
    ``main``); the manifest found there names the base, as on the server: when it names
    another branch that exists and whose manifest names itself, that one is the policy.
    The local branch is read, or its remote-tracking branch when the local one is only
    behind it (``base_refs``). Loaded through the one cache (by blob id). With no
    manifest on the base (a fresh repository before its first commit of gitorch.yaml)
    the working file is the policy, and ``note`` says so.
    """
    base = base_name(working)
    found = locate_policy(refs, base, remote)
    if found is not None:
        entry = _entry(found, cache_dir, refs)
        named = entry.manifest.base
        if named != base:       # the base's manifest names another base: follow it once
            other = locate_policy(refs, named, remote)
            if other is not None:
                followed = _entry(other, cache_dir, refs)
                if followed.manifest.base == named:
                    found, entry = other, followed
        ref, tip, blob, _ = found
        source = f"{_shown(ref)}:{DEFAULT_MANIFEST}"
        note = None
        try:
            if working is not None and cache.blob_id(working.read_bytes()) != blob:
                note = (f"{working.name} in this work tree differs from {source}; "
                        f"judging by {source}, as the server does")
        except OSError:
            pass
        return BasePolicy(entry.manifest, source, note, tip, blob, entry.compiled)
    if working is None:
        raise ManifestError([f"{DEFAULT_MANIFEST}: none on the base branch {base}"],
                            hint=f"commit one to {base}, or pass --manifest PATH")
    manifest = load_manifest(working, cache_dir)
    return BasePolicy(manifest, str(working),
                      f"the base branch {base} has no {DEFAULT_MANIFEST} yet: judging by "
                      f"{working} (commit it to {base} to make it the policy)")


def _entry(found: tuple[str, ObjectId, str, bytes], cache_dir: Path | None,
           refs: PolicyRefs | None = None) -> cache.Entry:
    ref, tip, blob, data = found
    files = (lambda: refs.files(tip)) if refs is not None else None
    return load_text(data, f"{_shown(ref)}:{DEFAULT_MANIFEST}", cache_dir, blob=blob,
                     files=files)
