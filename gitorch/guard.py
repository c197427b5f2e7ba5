"""The entry the agents' hook settings and the worktrees' commit hooks run:
``python -I -m gitorch.guard --agent claude|codex|gemini|cursor`` and
``python -I -m gitorch.guard commit``.

Kept thin, like ``gitorch.hooks``: no click, no pygit2, no YAML on the way to an answer
(``gitorch.agents.guard`` decides). Fails closed: even a fault while loading the guard
refuses the edit (exit 2: every agent blocks on it) or the commit, in one line.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        if sys.argv[1:2] == ["commit"]:
            from gitorch.agents.commitcheck import main as run_guard
        else:
            from gitorch.agents.guard import main as run_guard
    except BaseException as exc:
        first = (str(exc).splitlines() or [""])[0]
        sys.stderr.write(f"gitorch: refused: internal error loading the guard: "
                         f"{type(exc).__name__}: {first}\n")
        raise SystemExit(2) from None
    run_guard()


if __name__ == "__main__":
    main()
