"""``python -m gitorch`` and the ``gitorch`` command: run the CLI as a short process
(no cyclic collector, no interpreter teardown: see ``gitorch.process``)."""

from __future__ import annotations

from gitorch.process import leave, short_lived


def run() -> None:
    short_lived()
    from gitorch.cli import main  # after: its imports are most of start-up's objects

    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    leave(code)


if __name__ == "__main__":
    run()
