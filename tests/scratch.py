"""What many tests start from: a copy of the repository, a scratch hub, the command as editors
run it, and hostile feeds.

Owns `copy_repository` (the one way a test gets a repository to change: every file but
history, environments, caches and earlier outputs), `scratch_hub` (the smallest hub the
commands accept), `channelhub` (the installed command in a subprocess, in a given folder) and
the entity-expansion feeds `billion_laughs` and `quadratic_blowup`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: what a copy of the repository leaves out: history, environments, caches and earlier outputs
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "site",
    "artifacts",
    "build",
    "__pycache__",
    ".cache",
    ".*_cache",
    "*.egg-info",
)


def copy_repository(target: Path) -> Path:
    """A copy of the repository at `target`, so that a test's pull or build never writes into
    the working tree."""
    shutil.copytree(ROOT, target, ignore=NOT_COPIED, symlinks=True, dirs_exist_ok=True)
    return target


def scratch_hub(
    root: Path,
    *,
    topics: str | None = None,
    sources: str = "sources: []\n",
    editors: Mapping[str, str] | None = None,
) -> Path:
    """The smallest hub the commands accept: mkdocs.yml, feeds/topics.yml (the repository's
    unless given), feeds/sources.yml, docs/ and the given editors (id -> file text)."""
    (root / "feeds").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "mkdocs.yml").write_text("site_name: Scratch hub\n", encoding="utf-8")
    if topics is None:
        shutil.copy(ROOT / "feeds" / "topics.yml", root / "feeds" / "topics.yml")
    else:
        (root / "feeds" / "topics.yml").write_text(topics, encoding="utf-8")
    (root / "feeds" / "sources.yml").write_text(sources, encoding="utf-8")
    for editor_id, text in (editors or {}).items():
        path = root / "docs" / "editors" / f"{editor_id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def channelhub(
    cwd: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """Run the installed command the way an editor does (`python -m channelhub ARGS`) in `cwd`;
    `env` adds to the environment (MkDocs' 2.0 notice is always off)."""
    return subprocess.run(
        [sys.executable, "-m", "channelhub", *args],
        cwd=cwd,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def billion_laughs() -> bytes:
    """An RSS feed whose title, item title and description expand to 3 GB of 'lol'."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(levels) + "\n]>\n"
        '<rss version="2.0"><channel><title>&lol9;</title><link>https://bomb.example/</link>'
        "<item><title>&lol9;</title><link>https://bomb.example/1</link>"
        "<description>&lol9;</description></item></channel></rss>\n"
    ).encode()


def quadratic_blowup() -> bytes:
    """120 KB: a 60 KB entity referenced 20,000 times (1.2 GB when expanded)."""
    refs = "&a;" * 20_000
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "{"a" * 60_000}">]>\n'
        '<rss version="2.0"><channel><title>Blowup</title><link>https://bomb.example/</link>'
        f"<item><title>x</title><link>https://bomb.example/2</link><description>{refs}</description></item>"
        "</channel></rss>\n"
    ).encode()
