"""The one family of expected failures. Only the command layer turns them into exits."""

from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2


class GitorchError(Exception):
    """An expected failure: a message a person can act on and the exit code it maps to."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}; {self.hint}"
        return self.message


class UsageError(GitorchError):
    """Wrong arguments or a request that cannot be carried out as asked (exit 2)."""


class RepoError(GitorchError):
    """A repository that cannot be opened or read, or a ref that does not exist (exit 2)."""


class ManifestError(GitorchError):
    """A manifest that cannot be read or does not validate (exit 2).

    ``problems`` holds every ``FILE:LINE: message`` line found, not just the first.
    """

    def __init__(self, problems: list[str], *, hint: str | None = None):
        super().__init__("\n".join(problems), hint=hint)
        self.problems = problems

    def __str__(self) -> str:
        return self.message


class CheckFailed(GitorchError):
    """The check ran and found a problem: a violation, a conflict, a failed gate (exit 1).
    With an empty message the command has reported the problem already."""

    exit_code = EXIT_PROBLEM
