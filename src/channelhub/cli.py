"""The `channelhub` command: one small function per command; errors become clean messages here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from channelhub import __version__
from channelhub.config import SOURCES_FILE

#: exit status for bad configuration or usage (click uses 2 for usage errors too)
EXIT_USAGE = 2


class UsageError(click.ClickException):
    """A mistake in how the command was called or configured: exit status 2."""

    exit_code = EXIT_USAGE


def repo_root() -> Path:
    """The hub repository: the current directory, which must hold mkdocs.yml."""
    root = Path.cwd()
    if not (root / "mkdocs.yml").is_file():
        raise UsageError(
            f"{root} is not a channelhub repository (no mkdocs.yml here); run commands from the repository's top folder"
        )
    return root


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="channelhub")
def main() -> None:
    """channelhub: an editorial channel hub on MkDocs.

    Every command works on the repository in the current directory.
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
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
def check(paths: tuple[str, ...], output: str, sources_file: str) -> None:
    """Validate content and data files (all of them, or PATHS); one line per problem."""
    from channelhub.check import missing_paths, run_check

    root = repo_root()
    missing = missing_paths(root, paths)
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")
    problems = run_check(root, paths, sources_file=sources_file)
    for problem in problems:
        click.echo(problem.github() if output == "github" else str(problem))
    errors = [p for p in problems if p.severity == "error"]
    warnings = len(problems) - len(errors)
    if errors:
        files = len({p.path for p in errors})
        click.echo(
            f"{len(errors)} problem{'s' * (len(errors) != 1)} in {files} file{'s' * (files != 1)}"
            + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""),
            err=True,
        )
        sys.exit(1)
    click.echo(
        "All content and data files are valid."
        + (f" ({warnings} warning{'s' * (warnings != 1)})" if warnings else ""),
        err=True,
    )


def _mkdocs(*args: str) -> int:
    env = dict(os.environ)
    return subprocess.call([sys.executable, "-m", "mkdocs", *args], env=env)


@main.command()
@click.option(
    "--site-dir",
    "-d",
    type=click.Path(),
    default=None,
    help="Build into this folder instead of site/.",
)
def build(site_dir: str | None) -> None:
    """Build the whole site into site/ (MkDocs, strict)."""
    root = repo_root()
    args = ["build", "--strict", "--clean", "-f", str(root / "mkdocs.yml")]
    if site_dir:
        args += ["-d", str(Path(site_dir).resolve())]
    status = _mkdocs(*args)
    if status:
        raise click.ClickException("the build failed: the messages above say which file and line")
    click.echo(f"Built the site into {site_dir or 'site/'}", err=True)


@main.command()
@click.option(
    "--dev-addr", "-a", default="127.0.0.1:8000", show_default=True, help="Address to serve on."
)
def serve(dev_addr: str) -> None:
    """Preview the site with live reload."""
    root = repo_root()
    sys.exit(_mkdocs("serve", "-f", str(root / "mkdocs.yml"), "--dev-addr", dev_addr))


from channelhub.scaffold import new as new_command  # noqa: E402 - `new article|note|editor`

main.add_command(new_command)

from channelhub.retag import tag_command  # noqa: E402 - `tag FILE... | --retag | --evaluate DIR`

main.add_command(tag_command)


if __name__ == "__main__":  # pragma: no cover
    main()
