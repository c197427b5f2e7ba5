"""Where manifests come from: found, read, parsed and validated, scopes attached, cached.

Every Manifest is made here. Validation reports every problem (FILE:LINE, key, fix),
not just the first; a valid manifest gets its compiled ``Ownership`` attached.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitorch.errors import ManifestError
from gitorch.manifest import cache
from gitorch.manifest.records import DEFAULT_MANIFEST, MANIFEST_ENV, Manifest


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


def schema_text() -> str:
    return schema_path().read_text(encoding="utf-8")


def parse_manifest(text: str, path: Path | str = DEFAULT_MANIFEST) -> Manifest:
    """Parse and validate; raise ManifestError listing every problem found."""
    from gitorch.manifest.ownership import Ownership
    from gitorch.manifest.validation import parse  # YAML and every rule: only when not cached

    manifest = parse(text, Path(path))
    return manifest.with_ownership(Ownership.from_manifest(manifest))

