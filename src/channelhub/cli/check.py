"""`channelhub check`: validate content and data files, one `path:line: message` per problem;
exit 1 on errors, and with `--strict` on warnings too."""

from __future__ import annotations

import sys

import click

from channelhub.check import missing_paths, run_check, upcoming
from channelhub.cli.context import UsageError, repo_root
from channelhub.config import SOURCES_FILE
from channelhub.dates import NowError, now
from channelhub.problems import errors


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--strict",
    is_flag=True,
    help="Warnings fail too (exit 1), as CI checks the files a pull request changes.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "github"]),
    default="text",
    help="github: workflow commands that annotate a pull request.",
)
@click.option(
    "--sources",
    "sources_file",
    default=SOURCES_FILE,
    show_default=True,
    help="Sources file to check.",
)
def check(paths: tuple[str, ...], strict: bool, output: str, sources_file: str) -> None:
    """Validate content and data files (all of them, or PATHS); one line per problem.

    Errors exit 1; warnings (`path:line: warning: message`) exit 0, or 1 with --strict.
    """
    root = repo_root()
    missing = missing_paths(root, paths)
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    try:
        moment = now()  # CHANNELHUB_NOW, or the clock
    except NowError as error:
        raise UsageError(str(error)) from None
    problems = run_check(root, paths, sources_file=sources_file)
    for problem in problems:
        click.echo(problem.github() if output == "github" else str(problem))
    for event in upcoming(root, paths, now=moment, sources_file=sources_file):
        click.echo(
            event.github() if output == "github" else f"upcoming: {event}", err=output != "github"
        )
    found = errors(problems)
    warnings = len(problems) - len(found)
    if found:
        files = len({p.path for p in found})
        click.echo(
            f"{_plural(len(found), 'problem')} in {_plural(files, 'file')}"
            + (f", {_plural(warnings, 'warning')}" if warnings else ""),
            err=True,
        )
        sys.exit(1)
    if warnings and strict:
        files = len({p.path for p in problems})
        click.echo(
            f"{_plural(warnings, 'warning')} in {_plural(files, 'file')} (--strict: warnings fail)",
            err=True,
        )
        sys.exit(1)
    click.echo(
        "All content and data files are valid."
        + (f" ({_plural(warnings, 'warning')})" if warnings else ""),
        err=True,
    )
