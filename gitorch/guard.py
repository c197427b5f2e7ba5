"""The entry the agents' hook settings and the worktrees' commit hooks run:
``python -I -S /path/to/gitorch/guard.py --agent claude|codex|gemini|cursor`` (and
``... commit``), or, the same code, ``python -I -m gitorch.guard --agent ...``.

Kept thin, like ``gitorch.hooks``: no click, no pygit2, no YAML on the way to an answer
(``gitorch.agents.guard`` decides). Run as a file under ``-S``, it puts the directory that
holds the ``gitorch`` package on ``sys.path``, after the standard library (``-I`` leaves the
script's own directory out) and starts without site-packages, whose ``.pth`` files cost
more than a decision; the guard brings site-packages in only when it must compile a
policy (``gitorch.agents.policy.ensure_site``). Fails closed: even a fault while loading the guard
refuses the edit (exit 2: every agent blocks on it) or the commit, in one line.
"""

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
    if not __package__:     # run as a file: the package is beside this file, not on sys.path
        from os.path import dirname, realpath

        # after the standard library: nothing in site-packages may shadow a module of it
        sys.path.append(dirname(dirname(realpath(__file__))))
    main()
