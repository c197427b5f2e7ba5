"""The entry installed hook files run: ``python -I -m gitorch.hooks KIND [ARGS]``.

Kept thin and at this name so that hooks written by every gitorch version keep working;
the hooks live in ``gitorch.enforce.hookrun``. Fails closed: even a fault while loading
them refuses the push or commit, in one line.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from gitorch.enforce.hookrun import main as run_hook
    except BaseException as exc:
        first = (str(exc).splitlines() or [""])[0]
        sys.stderr.write(f"gitorch: rejected: internal error loading the hook: "
                         f"{type(exc).__name__}: {first}\n")
        raise SystemExit(1) from None
    run_hook()


if __name__ == "__main__":
    main()
