"""`channelhub sources import|export`: the sources list in and out of OPML."""

from __future__ import annotations

from pathlib import Path

import click

from channelhub.cli.context import UsageError, repo_root
from channelhub.config import SOURCES_FILE, Source, load_sources
from channelhub.files import write_atomic
from channelhub.opml import export_opml, import_opml
from channelhub.problems import errors


def _sources(root: Path, sources_file: str) -> tuple[Source, ...]:
    """The sources in the file; UsageError when it has errors (a missing file has none)."""
    if not (root / sources_file).exists():
        return ()
    sources, problems = load_sources(root, sources_file)
    if errors(problems):
        raise UsageError("fix the sources file first:\n" + "\n".join(map(str, problems)))
    return sources


@click.group("sources")
def sources() -> None:
    """Import and export the sources list as OPML."""


@sources.command("import")
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
    root = repo_root()
    existing = _sources(root, sources_file)
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


@sources.command("export")
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
    root = repo_root()
    found, problems = load_sources(root, sources_file)
    if errors(problems):
        raise UsageError("fix the sources file first:\n" + "\n".join(map(str, problems)))
    text = export_opml(found)
    left_out = sum(1 for s in found if s.is_local)
    if output:
        write_atomic(Path(output), text)
        click.echo(f"wrote {len(found) - left_out} sources to {output}", err=True)
    else:
        click.echo(text, nl=False)
    if left_out:
        click.echo(
            f"left out {left_out} bundled demo source(s): they have no URL to share", err=True
        )
