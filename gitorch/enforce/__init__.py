"""Enforcement: the hooks' git reader and receive decision, commit scope checks, the
pull-request gate (its verdict and its GitHub Actions output), hook files, worktrees.

Nothing here is imported eagerly: the pre-receive path must load only what it needs.
"""
