"""How a gitorch process starts and ends.

Every gitorch command, and the hooks, is a short process, so two things Python does
for long-running ones are skipped (measured: 25 ms of a 0.15 s ``integrate``, 9 ms of
a hook's 0.05 s start-up):

* ``short_lived``: the cyclic garbage collector is off. Start-up creates tens of
  thousands of objects and nothing of ours builds cycles worth collecting; a command
  that runs until Ctrl-C (``monitor``, ``integrate --watch``) calls ``long_running``.
* ``leave``: instead of the interpreter's teardown (freeing every module and object one
  by one, shutting libgit2 down), the ``atexit`` handlers run, stdout and stderr are
  flushed, and the process ends with ``os._exit``. Every file gitorch writes is closed
  by a ``with`` (or ``Path.write_*``) and every ref is renamed into place under its lock
  before that. With a (non-daemon) thread still running, the exit is Python's own.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from typing import NoReturn


def short_lived() -> None:
    gc.disable()


def long_running() -> None:
    """For a command that runs until it is stopped: collect cyclic garbage after all."""
    gc.enable()


def leave(code: object) -> NoReturn:
    """End the process with exit status ``code`` (as ``sys.exit`` takes it)."""
    if any(not t.daemon and t is not threading.main_thread() for t in threading.enumerate()):
        sys.exit(code)  # type: ignore[arg-type]  # someone may still write: Python's own exit
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
