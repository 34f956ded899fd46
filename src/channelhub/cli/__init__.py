"""The `channelhub` command: every click command, one module per command group.

This package is the only place that knows about exit codes and terminals: the library returns
values and problems, and errors become clean messages here (`context.UsageError`, exit 2).
"""

from __future__ import annotations

import click

from channelhub import __version__
from channelhub.cli import check, new, pull, site, sources, tag, takedown


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="channelhub")
def main() -> None:
    """channelhub: an editorial channel hub on MkDocs.

    Every command works on the repository in the current directory.
    """


for command in (
    check.check,
    site.build,
    site.serve,
    new.new,
    tag.tag,
    pull.pull,
    sources.sources,
    takedown.takedown,
):
    main.add_command(command)

__all__ = ["main"]
