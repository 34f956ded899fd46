"""`channelhub takedown`: delete pulled pieces and record them so that no pull writes them again."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from channelhub.cli.context import UsageError, repo_root
from channelhub.takedowns import TAKEDOWNS_FILE, TakedownError, take_down


@click.command("takedown")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--reason", default="", help="Why, in a few words (recorded with the date).")
def takedown(paths: tuple[str, ...], reason: str) -> None:
    """Delete pulled pieces and record them in feeds/takedowns.yml; no pull writes them again.

    Each PATH is a pulled piece under docs/sources/ (or one already deleted that a pull wrote).
    Deleting its record in feeds/takedowns.yml undoes the takedown.
    """
    root = repo_root()
    try:
        records = take_down(root, paths, reason=reason, today=datetime.now(UTC).date())
    except TakedownError as exc:
        raise UsageError("\n".join(exc.lines)) from None
    for record in records:
        click.echo(f"taken down: {record.path} (recorded in {TAKEDOWNS_FILE}:{record.line})")
