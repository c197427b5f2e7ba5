"""Where manifests come from: found, read, parsed and validated, scopes attached, cached.

Every Manifest is made here. Validation reports every problem (FILE:LINE, key, fix),
not just the first; a valid manifest gets its compiled ``Ownership`` attached.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gitorch.errors import ManifestError
from gitorch.manifest import cache
from gitorch.manifest.records import DEFAULT_MANIFEST, MANIFEST_ENV, Manifest

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


def load_manifest(path: Path, cache_dir: Path | None = None) -> Manifest:
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
    return load_text(data, path, cache_dir).manifest


def load_text(data: bytes, path: Path | str, cache_dir: Path | None = None,
              blob: str | None = None) -> cache.Entry:
    """The validated manifest of ``data`` (read from ``path``) and its compiled scopes."""
    def parse() -> Manifest:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ManifestError([f"{path}: cannot read the manifest: {exc}"]) from None
        return parse_manifest(text, path)

    return cache.cached(cache_dir, blob or cache.blob_id(data), parse, Path(path))


def schema_path() -> Path:
    """The manifest's JSON Schema, as shipped inside the package (package data)."""
    return Path(__file__).with_name("gitorch.schema.json")



def parse_manifest(text: str, path: Path | str = DEFAULT_MANIFEST) -> Manifest:
    """Parse and validate; raise ManifestError listing every problem found."""
    from gitorch.manifest.ownership import Ownership
    from gitorch.manifest.validation import parse  # YAML and every rule: only when not cached

    manifest = parse(text, Path(path))
    return manifest.with_ownership(Ownership.from_manifest(manifest))


@dataclass(frozen=True)
class BasePolicy:
    """The manifest commands judge by, where it was read, and the working copy's, if it differs."""

    manifest: Manifest
    source: str                 # "main:gitorch.yaml", "origin/main:gitorch.yaml" or a file path
    note: str | None = None     # one line a judging command should show, when it matters


BlobReader = Callable[[str, str], "tuple[str, bytes] | None"]   # (rev, path) -> (blob id, data)


def base_name(working: Path) -> str:
    """The base branch the working copy's manifest names (``base:``), ``main`` by default.

    Only the one key is read (no validation): the working file may be broken or old,
    and the base's own manifest is what is judged by.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml's when it is built in
    try:
        data = yaml.load(working.read_bytes(), Loader=loader)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return DEFAULT_BASE
    found = data.get("base") if isinstance(data, dict) else None
    return found if isinstance(found, str) and found.strip() else DEFAULT_BASE


def load_policy(working: Path, candidates: Callable[[str], list[str]], read: BlobReader,
                cache_dir: Path | None = None) -> BasePolicy:
    """``gitorch.yaml`` at the tip of the base branch, as the server reads it.

    ``working`` is the work tree's manifest: it names the base (``base:``, default
    ``main``). ``candidates(base)`` lists the revisions to try, the local branch first,
    then remote-tracking ones; the first with a manifest wins and is loaded through the
    one cache (by blob id). With none (a fresh repository before its first commit of
    gitorch.yaml) the working file is the policy, and ``note`` says so.
    """
    base = base_name(working)
    for rev in candidates(base):
        found = read(rev, DEFAULT_MANIFEST)
        if found is None:
            continue
        blob, data = found
        source = f"{rev.removeprefix('refs/heads/').removeprefix('refs/remotes/')}:{DEFAULT_MANIFEST}"
        entry = load_text(data, source, cache_dir, blob=blob)
        note = None
        try:
            if cache.blob_id(working.read_bytes()) != blob:
                note = (f"{working.name} in this work tree differs from {source}; "
                        f"judging by {source}, as the server does")
        except OSError:
            pass
        return BasePolicy(entry.manifest, source, note)
    manifest = load_manifest(working, cache_dir)
    return BasePolicy(manifest, str(working),
                      f"the base branch {base} has no {DEFAULT_MANIFEST} yet: judging by "
                      f"{working} (commit it to {base} to make it the policy)")
