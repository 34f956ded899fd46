"""`channelhub pull`: fetch the enabled sources, write new and changed pieces, report."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from channelhub import pull as puller
from channelhub.cli.context import UsageError, repo_root
from channelhub.config import SOURCES_FILE

#: column headings of the entry counts (the rest are the action capitalized)
HEADINGS = {"kept_down": "Kept down", "kept_edits": "Kept edits", "duplicate": "Dupes"}


def report_table(report: puller.PullReport) -> Table:
    """The summary as a rich table, for a terminal: one row per source."""
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("Source")
    table.add_column("Outcome")
    for action in puller.COUNTED:
        table.add_column(HEADINGS.get(action, action.capitalize()), justify="right")
    table.add_column("Notes", overflow="fold")
    for source in report.sources:
        counts = source.counts
        notes = source.error or ""
        if source.moved_to:
            notes = f"moved to {source.moved_to}: update sources.yml. {notes}".strip()
        style = (
            "red"
            if source.failed
            else (
                "yellow" if source.outcome in (puller.Outcome.GONE, puller.Outcome.DEFERRED) else ""
            )
        )
        table.add_row(
            source.id,
            f"[{style}]{source.counted_as}[/]" if style else source.counted_as,
            *(str(counts[a]) if counts[a] else "·" for a in puller.COUNTED),
            escape(notes),
        )
    return table


@click.command("pull")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Let sources and redirects reach loopback and private addresses (refused by default).",
)
@click.option(
    "--sources",
    "sources_file",
    default=SOURCES_FILE,
    show_default=True,
    help="Sources file to use.",
)
@click.option(
    "--report",
    "report_path",
    default=puller.REPORT_FILE,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the run's report as JSON.",
)
@click.option("--source", "only", metavar="ID", default=None, help="Pull only this source.")
@click.option("--quiet", "-q", is_flag=True, help="Print only what needs attention.")
def pull(
    allow_private: bool, sources_file: str, report_path: str, only: str | None, quiet: bool
) -> None:
    """Fetch the enabled sources and write new and changed items under docs/sources/."""
    root = repo_root()
    err = Console(stderr=True)
    out = Console()
    table = out.is_terminal and not quiet
    progress = Progress(console=err, transient=True) if err.is_terminal and not quiet else None
    task = progress.add_task("Pulling", total=None) if progress else None

    def started(total: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, total=total)

    def done(report: puller.SourceReport, position: int, total: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=position, description=report.id)
        if not table:  # each source's line as soon as it is done: the log shows progress
            for line in puller.source_lines(report, quiet=quiet):
                click.echo(line)

    try:
        if progress is not None:
            progress.start()
        try:
            report = puller.pull(
                root,
                sources_file=sources_file,
                only=only,
                allow_private=allow_private,
                on_start=started,
                on_source=done,
            )
        finally:
            if progress is not None:
                progress.stop()
    except puller.PullConfigError as exc:
        raise UsageError("\n".join(exc.lines)) from None
    try:
        report.write_json(root / report_path)
    except OSError as exc:
        click.echo(f"warning: cannot write the report to {report_path}: {exc.strerror}", err=True)
    if table:
        out.print(report_table(report))
        for source in report.sources:  # the rows say the rest: the entries worth a look
            for line in puller.source_lines(source, header=False):
                click.echo(line)
    for line in puller.closing_lines(report):
        click.echo(line)
    sys.exit(report.exit_code)
