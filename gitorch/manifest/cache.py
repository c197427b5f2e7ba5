"""The one cache of validated manifests, shared by the CLI and the server hook.

Parsing and validating a manifest (YAML, pairwise scope overlaps) and compiling its
scopes is most of a short command's or a small push's work, and the manifest rarely
changes. An entry holds the validated manifest (its ``Ownership`` attached) and the
scopes compiled into one regular expression (``CompiledOwnership``, what the hook
matches with). It is keyed by the manifest's git blob id and by ``code_stamp()``: every
file that shapes the compiled policy (all of ``gitorch.manifest``), pathspec's files
and gitorch's version. Code that changed (an upgrade, a checkout of other sources)
never reads back what older code wrote.

Where it lives is the caller's choice (``.git/gitorch/cache`` for the CLI, the server
repository's ``gitorch-cache/`` for the hook): whoever can write inside a git directory
can rewrite its hooks too, so a pickle there is trusted; an unreadable or foreign one
is ignored and replaced. An invalid manifest is never cached: its problems are always
reported afresh. Any fault reading or writing falls back to parsing.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gitorch.manifest.records import Manifest
from gitorch.manifest.scope import CompiledOwnership

KEEP = 8        # entries kept in one cache directory, newest first
_PATHSPEC_FILES = ("__init__.py", "_meta.py", "pattern.py", "util.py", "gitignore.py")


@dataclass(frozen=True)
class Entry:
    manifest: Manifest
    compiled: CompiledOwnership


def blob_id(data: bytes) -> str:
    """git's object id for a blob with this content (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def code_stamp() -> str:
    """Changes whenever code that shapes the compiled policy changes."""
    from importlib.machinery import PathFinder  # already loaded: finds without importing

    from gitorch import __version__

    here = Path(__file__).parent
    files = sorted(here.glob("*.py"))
    spec = PathFinder.find_spec("pathspec")
    if spec is not None and spec.origin:
        where = Path(spec.origin).parent
        files.extend(where / name for name in _PATHSPEC_FILES)
    else:
        files.append(Path("pathspec?"))
    parts = [__version__]
    for path in files:
        try:
            st = path.stat()
            parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append(f"{path}:?")
    return hashlib.sha1("\0".join(parts).encode()).hexdigest()[:16]


def cached(cache_dir: Path | None, blob: str, parse: Callable[[], Manifest],
           path: Path | None = None) -> Entry:
    """The entry for the manifest whose blob id is ``blob``: read back, else ``parse()``d,
    compiled and stored. ``path`` (when given) is where it was read this time: only the
    name it gives in messages differs between copies of the same text."""
    if cache_dir is None:
        return _compile(parse())
    file = cache_dir / f"manifest-{code_stamp()}-{blob}.pickle"
    entry = _read(file)
    if entry is None:
        entry = _compile(parse())
        _write(file, entry)
    if path is not None and entry.manifest.path != path:
        object.__setattr__(entry.manifest, "path", path)
    return entry


def _compile(manifest: Manifest) -> Entry:
    from gitorch.manifest.ownership import Ownership

    # its own Ownership: compiling fills the pathspec objects the pickled one must not carry
    return Entry(manifest, CompiledOwnership(Ownership.from_manifest(manifest)))


def _read(file: Path) -> Entry | None:
    try:
        with file.open("rb") as fh:
            loaded = pickle.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError,
            ValueError, IndexError):
        return None
    if isinstance(loaded, Entry) and isinstance(loaded.manifest, Manifest) \
            and isinstance(loaded.compiled, CompiledOwnership):
        return loaded
    return None


def _write(file: Path, entry: Entry) -> None:
    tmp = file.with_name(f".{file.name}.{os.getpid()}")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as fh:
            pickle.dump(entry, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(file)    # atomic: a concurrent reader sees the old file or the new one
        stamp = file.name.split("-")[1]
        entries = sorted(file.parent.glob("manifest-*.pickle"), key=_age)
        for old in entries:
            if old.name.split("-")[1] != stamp:
                old.unlink(missing_ok=True)      # written by other code: never read again
        for old in [e for e in entries if e.exists()][:-KEEP]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PickleError, TypeError, AttributeError):
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)    # a read-only repository: no cache, still correct


def _age(file: Path) -> int:
    try:
        return file.stat().st_mtime_ns
    except OSError:
        return 0
