"""AI agents in the team worktrees: what a worktree holds for its agent, the edit-time guard,
and the doctor that checks the whole set-up.

- ``files``: the brief (``GITORCH.md``) and the per-agent files that load it and call the guard;
- ``githooks``: the worktree's own commit hooks (per-worktree ``core.hooksPath``);
- ``locate``, ``policy``, ``guard``, ``shell``: the guard, on the hot path of every edit
  (no click, pygit2 or YAML there: ``python -I -S .../gitorch/guard.py`` is its entry),
  with ``compact`` (the policy compiled for it), ``jsonio``, ``twins``;
- ``replay``: runs a hook event through the commands a settings file configures, as the
  agent would (``doctor`` and ``demo`` use it);
- ``doctor``: checks a checkout, its worktrees, hooks and agent set-up.
"""
