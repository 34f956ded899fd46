"""`channelhub tag`: the topics of files with their evidence, `--retag`, `--evaluate DIR`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from channelhub import frontmatter
from channelhub.cli.context import UsageError, repo_root
from channelhub.config import Hub, load_hub
from channelhub.frontmatter import Document, FrontMatterError
from channelhub.profiles import HubTagger, load_hub_tagger
from channelhub.retag import (
    Evaluation,
    RetagReport,
    cross_validated,
    evaluate,
    json_result,
    load_tagger,
    retag,
    table_rows,
    tag_document,
)


def _print_table(rows: list[tuple[str, str, str, str]]) -> None:
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=True)
        table.add_column("file", overflow="fold")
        table.add_column("topic", no_wrap=True)
        table.add_column("score", justify="right")
        table.add_column("evidence (phrase, where it matched; meaning: closest sentences, like)")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    last = None
    for path, slug, score, evidence in rows:
        if path != last:
            click.echo(path)
            last = path
        click.echo(f"  {slug:<28} {score:>8}  {evidence}")


def _print_evaluation(result: Evaluation) -> None:
    click.echo(
        f"{'topic':<28} {'precision':>9} {'recall':>7} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}"
    )
    for slug, c in sorted(result.per_topic.items()):
        click.echo(
            f"{slug:<28} {c.precision:>9.3f} {c.recall:>7.3f} {c.f1:>6.3f} {c.tp:>4} {c.fp:>4} {c.fn:>4}"
        )
    m = result.micro
    click.echo(
        f"{'micro':<28} {m.precision:>9.3f} {m.recall:>7.3f} {m.f1:>6.3f} {m.tp:>4} {m.fp:>4} {m.fn:>4}"
    )
    click.echo(
        f"{result.pieces} labelled pieces; {len(result.misses)} not tagged exactly as expected:"
    )
    for path, expected, got in result.misses:
        click.echo(f"  {path}: expected [{', '.join(expected)}], got [{', '.join(got)}]")


def _print_cross_validated(result: Evaluation | None) -> None:
    if result is None:
        click.echo(
            "\nno editor-labelled pieces under docs/ (topics an editor set): nothing to cross-validate"
        )
        return
    click.echo(
        f"\ncross-validated on the hub's {result.pieces} editor-labelled pieces (5 folds, each "
        "tagged by profiles built without it):"
    )
    _print_evaluation(result)


def _print_retag(report: RetagReport, *, write: bool) -> None:
    for change in report.changes:
        verb = "migrated" if change.reason == "rename" else "re-tagged"
        click.echo(f"{change.path}: {verb} [{', '.join(change.old)}] -> [{', '.join(change.new)}]")
    retagged = sum(c.reason == "retag" for c in report.changes)
    renamed = len(report.changes) - retagged
    would = "" if write else " (dry run: nothing written)"
    click.echo(
        f"{retagged} of {report.tagger_owned} tagger-owned pieces re-tagged, {renamed} editor-owned "
        f"pieces' renamed slugs migrated, {report.editor_owned - renamed} editor-owned pieces left as they are{would}.",
        err=True,
    )
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)


def _repo_tagger(root: Path) -> tuple[HubTagger, Hub]:
    hub = load_hub(root)
    tagger, problems = load_tagger(hub)
    if problems:
        raise UsageError(
            "feeds/topics.yml has problems; fix them first:\n" + "\n".join(map(str, problems))
        )
    return tagger, hub


def _read_for_tagging(path: str) -> Document:
    try:
        return frontmatter.read(Path(path), display=path, with_lines=False)
    except FrontMatterError as exc:
        raise UsageError(str(exc.problem())) from None


@click.command("tag")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: [{path, topics: [{slug, score}]}], best topic first.",
)
@click.option(
    "--retag",
    "retag_all",
    is_flag=True,
    help="Re-tag every tagger-owned piece under docs/ and migrate renamed topic slugs.",
)
@click.option(
    "--dry-run", is_flag=True, help="With --retag: report what would change, write nothing."
)
@click.option(
    "--evaluate",
    "evaluate_dir",
    type=click.Path(file_okay=False),
    help="Precision, recall and F1 over the pieces in DIR with expected_topics, then "
    "cross-validated on the hub's editor-labelled pieces.",
)
def tag(
    files: tuple[str, ...], as_json: bool, retag_all: bool, dry_run: bool, evaluate_dir: str | None
) -> None:
    """Tag FILES with topics (and show the evidence), re-tag the hub, or measure the tagger."""
    modes = sum([bool(files), retag_all, evaluate_dir is not None])
    if modes != 1:
        raise UsageError("give FILE... to tag, or --retag, or --evaluate DIR (exactly one of them)")
    if dry_run and not retag_all:
        raise UsageError("--dry-run only goes with --retag")
    root = repo_root()
    tagger, hub = _repo_tagger(root)
    if retag_all:
        defaults = {source.id: source.topics for source in hub.sources}
        report = retag(root, tagger, write=not dry_run, defaults=defaults)
        _print_retag(report, write=not dry_run)
        return
    if evaluate_dir is not None:
        if not Path(evaluate_dir).is_dir():
            raise UsageError(f"no such folder: {evaluate_dir}")
        # The folder being measured never teaches the profiles that are measured on it.
        measured, _notes = load_hub_tagger(root, tagger.rules, leave_out=Path(evaluate_dir))
        result, problems = evaluate(measured, Path(evaluate_dir))
        for problem in problems:
            click.echo(f"warning: {problem}", err=True)
        if not result.pieces:
            raise UsageError(
                f"no piece in {evaluate_dir} has 'expected_topics' in its front matter"
            )
        checked = cross_validated(root, tagger)
        if as_json:
            figures = result.as_json()
            figures["cross_validated"] = checked.as_json() if checked is not None else None
            click.echo(json.dumps(figures, indent=2))
        else:
            _print_evaluation(result)
            _print_cross_validated(checked)
        return
    docs = [(path, _read_for_tagging(path)) for path in files]
    if as_json:
        click.echo(
            json.dumps(
                [json_result(path, tag_document(tagger, doc)) for path, doc in docs],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    _print_table([row for path, doc in docs for row in table_rows(tagger, path, doc)])
