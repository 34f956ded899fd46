"""`channelhub new article|note|editor`: a valid file from a template, its path printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from channelhub.cli.context import UsageError, repo_root
from channelhub.config import load_hub
from channelhub.dates import NowError
from channelhub.scaffold import (
    NoteFields,
    PieceKind,
    Scaffold,
    ScaffoldError,
    create,
    parse_day,
    plan_editor,
    plan_piece,
    split_topics,
    today_utc,
)


def _finish(root: Path, scaffold: Scaffold) -> None:
    """Create the file, print its path on stdout and any notes on stderr."""
    try:
        create(root, scaffold)
    except ScaffoldError as error:
        raise UsageError(str(error)) from None
    for note in scaffold.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(scaffold.path)


def _piece_command(kind: PieceKind, options: dict[str, Any]) -> None:
    root = repo_root()
    hub = load_hub(root)
    try:
        today = today_utc()
    except NowError as error:
        raise UsageError(str(error)) from None
    try:
        scaffold = plan_piece(
            hub,
            kind,
            title=options["title"],
            editors=options["editors"],
            topics=split_topics(options["topics"]),
            day=parse_day(options["day"], today=today),
            today=today,
            note=NoteFields(
                analyst=options.get("analyst") or "",
                firm=options.get("firm") or "",
                figure=options.get("figure") or "",
                canonical=options.get("canonical"),
            ),
        )
    except ScaffoldError as error:
        raise UsageError(str(error)) from None
    _finish(root, scaffold)


def _piece_options(function: Any) -> Any:
    """The options `new article` and `new note` share."""
    decorators = [
        click.option("--title", required=True, help="The headline; the file name is made from it."),
        click.option(
            "--editor",
            "editors",
            required=True,
            multiple=True,
            help="Your editor id (docs/editors/<id>.md); give it once per author for co-authors.",
        ),
        click.option(
            "--topics",
            default=None,
            help="Comma-separated topic slugs; without it the tagger suggests them.",
        ),
        click.option("--date", "day", default=None, help="YYYY-MM-DD; default: today (UTC)."),
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


@click.group("new")
def new() -> None:
    """Create a new article, analyst note or editor from a template and print its path."""


@new.command("article")
@_piece_options
def new_article(**options: Any) -> None:
    """An editorial article: docs/articles/<year>/<slug>.md."""
    _piece_command("article", options)


@new.command("note")
@_piece_options
@click.option("--analyst", default="", help="The analyst's name.")
@click.option("--firm", default="", help="The analyst firm.")
@click.option("--figure", default="", help="The figure the note cites, in one sentence.")
@click.option("--canonical", default=None, help="URL of the analyst's report.")
def new_note(**options: Any) -> None:
    """An analyst note: docs/notes/<year>/<slug>.md."""
    _piece_command("note", options)


@new.command("editor")
@click.option("--id", "editor_id", required=True, help="Lowercase words joined by '-'.")
@click.option("--name", required=True, help="Your name as readers will see it.")
@click.option("--role", required=True, help="Your role, e.g. 'Senior editor'.")
def new_editor(editor_id: str, name: str, role: str) -> None:
    """An editor: docs/editors/<id>.md (front matter name and role; the body is the bio)."""
    root = repo_root()
    try:
        scaffold = plan_editor(root, editor_id=editor_id, name=name, role=role)
    except ScaffoldError as error:
        raise UsageError(str(error)) from None
    _finish(root, scaffold)
