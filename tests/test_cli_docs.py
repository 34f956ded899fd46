"""Every command and option a user can type is documented in the README's Commands table."""

from __future__ import annotations

import re
from pathlib import Path

import click

from channelhub.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Commands", 1)[1].split("\n## ", 1)[0]


def _commands(group: click.Group, prefix: str = "channelhub") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += _commands(command, path)
    return found


COMMANDS = _commands(main)


def _words(path: str) -> list[str]:
    return path.split()[1:]


def test_every_command_is_in_the_commands_table() -> None:
    for path, _command in COMMANDS:
        words = _words(path)
        # `new article|note|editor` and `sources import FILE.opml` / `sources export` name subcommands inline
        pattern = r"`channelhub " + r"[^`]*".join(re.escape(w) for w in words[:1]) + r"[^`]*`"
        rows = [line for line in SECTION.splitlines() if re.search(pattern, line)]
        assert rows, f"{path} is not in the README's Commands table"
        assert any(all(w in row for w in words) for row in rows), (
            f"{path}: no row names {' '.join(words)}"
        )


def test_every_option_is_in_the_readme() -> None:
    for path, command in COMMANDS:
        for param in command.params:
            if (
                isinstance(param, click.Option)
                and "--help" not in param.opts
                and "--version" not in param.opts
            ):
                longest = max(param.opts, key=len)
                assert longest in README, f"{path} {longest} is not documented in README.md"
