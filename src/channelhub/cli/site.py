"""`channelhub build` and `channelhub serve`: the site, through the engine's own command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from channelhub.cli.context import UsageError, repo_root
from channelhub.dates import NowError, now


def _mkdocs(*args: str) -> int:
    try:
        now()  # a bad CHANNELHUB_NOW is a usage error here, before MkDocs starts
    except NowError as error:
        raise UsageError(str(error)) from None
    env = dict(os.environ)
    return subprocess.call([sys.executable, "-m", "mkdocs", *args], env=env)


@click.command()
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


@click.command()
@click.option(
    "--dev-addr", "-a", default="127.0.0.1:8000", show_default=True, help="Address to serve on."
)
def serve(dev_addr: str) -> None:
    """Preview the site with live reload."""
    root = repo_root()
    sys.exit(_mkdocs("serve", "-f", str(root / "mkdocs.yml"), "--dev-addr", dev_addr))
