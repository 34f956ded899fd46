"""What every command shares: the repository it works on and the one usage error."""

from __future__ import annotations

from pathlib import Path

import click

#: exit status for bad configuration or usage (click uses 2 for its own usage errors too)
EXIT_USAGE = 2


class UsageError(click.ClickException):
    """A mistake in how a command was called or configured: a clean message and exit status 2."""

    exit_code = EXIT_USAGE


def repo_root() -> Path:
    """The hub repository: the current directory, which must hold mkdocs.yml."""
    root = Path.cwd()
    if not (root / "mkdocs.yml").is_file():
        raise UsageError(
            f"{root} is not a channelhub repository (no mkdocs.yml here); run commands from the repository's top folder"
        )
    return root
