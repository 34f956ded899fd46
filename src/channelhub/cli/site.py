"""`channelhub build` and `channelhub serve`: the site, through the engine's own command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import click

from channelhub import engine
from channelhub.cli.context import UsageError, repo_root
from channelhub.dates import NowError, now

#: what `channelhub serve` serves, kept between sessions (it builds beside it, in `.build`)
SERVE_SITE = Path(".cache", "channelhub", "serve-site")

_ENGINE_OPTION = click.option(
    "--engine",
    type=click.Choice(engine.ENGINES),
    default=None,
    help="MkDocs or ProperDocs (default: CHANNELHUB_ENGINE, else ProperDocs when installed).",
)


def _choose(requested: str | None) -> engine.Engine:
    try:
        chosen = engine.choose(requested)
        now()  # a bad CHANNELHUB_NOW is a usage error here, before the engine starts
    except (engine.EngineError, NowError) as exc:
        raise UsageError(str(exc)) from None
    return chosen


def _run(requested: str | None, *args: str) -> int:
    chosen = _choose(requested)
    return subprocess.call(chosen.command(*args), env=chosen.environment())


@click.command()
@click.option(
    "--site-dir",
    "-d",
    type=click.Path(),
    default=None,
    help="Build into this folder instead of site/.",
)
@click.option("--clean", is_flag=True, help="Build from nothing instead of reusing the last build.")
@_ENGINE_OPTION
def build(site_dir: str | None, clean: bool, engine: str | None) -> None:
    """Build the site into site/ (strict), reusing the last build where nothing changed."""
    root = repo_root()
    # --dirty lets the hub leave unchanged pages as they are (channelhub.rebuild makes it exact)
    args = ["build", "--strict", "--clean" if clean else "--dirty", "-f", str(root / "mkdocs.yml")]
    if site_dir:
        args += ["-d", str(Path(site_dir).resolve())]
    if _run(engine, *args):
        raise click.ClickException("the build failed: the messages above say which file and line")
    click.echo(f"Built the site into {site_dir or 'site/'}", err=True)


@click.command()
@click.option(
    "--dev-addr", "-a", default="127.0.0.1:8000", show_default=True, help="Address to serve on."
)
@_ENGINE_OPTION
def serve(dev_addr: str, engine: str | None) -> None:
    """Preview the site with live reload; problems show on the pages.

    Each save rebuilds only what it changed, in .cache/channelhub/serve-site.build/; the
    pages are served from .cache/channelhub/serve-site/, which only a build that worked
    updates. Both are kept for the next session. Ctrl-C, SIGTERM or SIGHUP stop it and
    everything it started.
    """
    root = repo_root()
    chosen = _choose(engine)
    chosen.activate()
    from channelhub import preview_server  # imports the engine just activated

    try:
        preview_server.serve(chosen.name, root / "mkdocs.yml", dev_addr, root / SERVE_SITE)
    except preview_server.PreviewError as exc:
        raise click.ClickException(str(exc)) from None
