"""``python -m gitorch`` and the ``gitorch`` command: run the CLI, then leave at once.

A gitorch command is a short process, so two things Python does for long ones are
skipped (measured on ``integrate`` at ten teams, 0.18 s of CPU: 25 ms less):

* the cyclic garbage collector is off: start-up creates tens of thousands of objects
  and nothing of ours builds cycles worth collecting; the commands that run until
  Ctrl-C (``monitor``, ``integrate --watch``) switch it back on;
* the interpreter's teardown (freeing every module and object one by one, shutting
  libgit2 down) is replaced by ``os._exit`` once the output is flushed and the
  ``atexit`` handlers have run. Every file gitorch writes is closed by a ``with`` (or
  ``Path.write_*``) and every ref is renamed into place under its lock before that.
  When a (non-daemon) thread is still running, the exit is Python's usual one.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading


def run() -> None:
    gc.disable()
    from gitorch.cli import main  # after: its imports are most of start-up's objects

    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if any(not t.daemon and t is not threading.main_thread() for t in threading.enumerate()):
        # someone may still write: Python's own exit (it waits for them)
        sys.exit(code)  # type: ignore[arg-type]  # SystemExit takes any object
    if code is None:
        code = 0
    elif not isinstance(code, int):    # sys.exit("message"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (gitorch ... | head) or stream
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    run()
