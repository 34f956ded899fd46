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


@main.command("pull")
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
    default=".cache/channelhub/pull-report.json",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the run's report as JSON.",
)
@click.option("--source", "only", metavar="ID", default=None, help="Pull only this source.")
@click.option("--quiet", "-q", is_flag=True, help="Print only what needs attention.")
def pull_command(
    allow_private: bool, sources_file: str, report_path: str, only: str | None, quiet: bool
) -> None:
    """Fetch the enabled sources and write new and changed items under docs/sources/."""
    from rich.console import Console
    from rich.progress import Progress

    from channelhub import pull as puller

    root = repo_root()
    err = Console(stderr=True)
    progress = Progress(console=err, transient=True) if err.is_terminal and not quiet else None
    task = progress.add_task("Pulling", total=None) if progress else None

    def started(total: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, total=total)

    def done(report: puller.SourceReport, position: int, total: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=position, description=report.id)
        elif not quiet:
            click.echo(f"{report.id}: {report.outcome}", err=True)

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
    out = Console()
    if out.is_terminal and not quiet:
        out.print(puller.report_table(report))
        lines = puller.summary_lines(report, quiet=True)
    else:
        lines = puller.summary_lines(report, quiet=quiet)
    for line in lines:
        click.echo(line)
    sys.exit(report.exit_code)


@main.group("sources")
def sources_group() -> None:
    """Import and export the sources list as OPML."""


@sources_group.command("import")
@click.argument("opml_file", type=click.Path(dir_okay=False))
@click.option(
    "--sources",
    "sources_file",
    default=SOURCES_FILE,
    show_default=True,
    help="Sources file to extend.",
)
def sources_import(opml_file: str, sources_file: str) -> None:
    """Add the feeds of an OPML file to the sources file (feeds already listed are skipped)."""
    from channelhub.config import load_sources
    from channelhub.opml import import_opml

    root = repo_root()
    existing, problems = (
        load_sources(root, sources_file) if (root / sources_file).exists() else ((), [])
    )
    if any(p.severity == "error" for p in problems):
        raise UsageError("fix the sources file first:\n" + "\n".join(map(str, problems)))
    result = import_opml(root, Path(opml_file), sources_file=sources_file, existing=existing)
    if result.problems:
        raise UsageError("\n".join(map(str, result.problems)))
    for source in result.added:
        click.echo(f"added {source.id}: {source.url}")
    for feed in result.skipped:
        click.echo(f"skipped {feed.title or feed.url}: {feed.reason}")
    click.echo(
        f"{len(result.added)} added to {sources_file}, {len(result.skipped)} skipped"
        + ("; review kind, policy and topics of the new entries" if result.added else ""),
        err=True,
    )


@sources_group.command("export")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write to FILE."
)
@click.option(
    "--sources",
    "sources_file",
    default=SOURCES_FILE,
    show_default=True,
    help="Sources file to read.",
)
def sources_export(output: str | None, sources_file: str) -> None:
    """Write the sources as OPML 2.0 (to stdout, or to FILE)."""
    from channelhub.config import load_sources
    from channelhub.frontmatter import atomic_write_text
    from channelhub.opml import export_opml

    root = repo_root()
    sources, problems = load_sources(root, sources_file)
    if any(p.severity == "error" for p in problems):
        raise UsageError("fix the sources file first:\n" + "\n".join(map(str, problems)))
    text = export_opml(sources)
    left_out = sum(1 for s in sources if s.is_local)
    if output:
        atomic_write_text(Path(output), text)
        click.echo(f"wrote {len(sources) - left_out} sources to {output}", err=True)
    else:
        click.echo(text, nl=False)
    if left_out:
        click.echo(
            f"left out {left_out} bundled demo source(s): they have no URL to share", err=True
        )


if __name__ == "__main__":  # pragma: no cover
    main()
