"""The preview's problems: which page each belongs to, and the overlay that shows them."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import html5lib

from channelhub.preview import Collector, Notice, Report, decorate, overlay

PAGE = "<!doctype html><html><head><title>t</title></head><body class='x'><h1>Hi</h1></body></html>"


def _page_of(path: str) -> str | None:
    if path.startswith("docs/") and path.endswith(".md"):
        return path[len("docs/") : -len(".md")] + "/index.html"
    return None


def _collect(tmp_path: Path, *records: tuple[int, str, str | None]) -> Report:
    """Log `records` (level, message, file being built) through a Collector, as a build does."""
    building: list[str | None] = [None]
    collector = Collector(tmp_path, _page_of, current=lambda: building[0])
    logger = logging.getLogger("mkdocs.test_preview")
    logger.setLevel(logging.INFO)  # as the preview sets the engine's loggers
    logger.addHandler(collector)
    try:
        for level, message, current in records:
            building[0] = current
            logger.log(level, message)
    finally:
        logger.removeHandler(collector)
    return collector.report()


def test_problems_go_to_their_page_or_to_every_page(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.md").write_text(
        '# B\n\nSee [there](gone.md).\n\n--8<-- "nope.md"\n', encoding="utf-8"
    )
    report = _collect(
        tmp_path,
        (logging.WARNING, "docs/a.md:3: unknown topic 'x'", None),
        (logging.INFO, "docs/a.md:1: warning: the summary is empty", None),
        (logging.WARNING, "feeds/topics.yml:2: invalid YAML", None),
        (
            logging.WARNING,
            "Doc file 'b.md' contains a link 'gone.md', but the target 'gone.md' is not found among documentation files.",
            "docs/b.md",
        ),
        (
            logging.ERROR,
            "Error reading page 'b.md': Snippet at path 'nope.md' could not be found",
            "docs/b.md",
        ),
        (logging.INFO, "Documentation built in 1.00 seconds", None),  # not a problem
        (logging.WARNING, "docs/a.md:3: unknown topic 'x'", None),  # said once
    )
    assert [(n.page, n.severity) for n in report.notices] == [
        ("a/index.html", "error"),
        ("a/index.html", "warning"),
        (None, "error"),
        ("b/index.html", "error"),
        ("b/index.html", "error"),
    ]
    assert report.notices[3].text.startswith("docs/b.md:3: Doc file 'b.md' contains a link")
    assert report.notices[4].text.startswith("docs/b.md:5: Error reading page 'b.md'")
    assert [n.text for n in report.for_page("a/index.html")] == [
        "docs/a.md:3: unknown topic 'x'",
        "docs/a.md:1: warning: the summary is empty",
        "feeds/topics.yml:2: invalid YAML",
    ]
    assert [n.page for n in report.for_page("c/index.html")] == [None]


def test_a_build_that_stopped_shows_everything_everywhere(tmp_path: Path) -> None:
    collector = Collector(tmp_path, _page_of)
    collector.notices[Notice("docs/a.md:3: bad", "error", "a/index.html")] = None
    failed = collector.report("Aborted with a BuildError!")
    assert failed.failed and len(failed.for_page("c/index.html")) == 1
    # nothing logged: the exception is the message
    assert Collector(tmp_path, _page_of).report("the build failed: KeyError: 'x'").notices == (
        Notice("the build failed: KeyError: 'x'", "error"),
    )


def test_records_of_other_threads_are_not_the_builds(tmp_path: Path) -> None:
    collector = Collector(tmp_path, _page_of)
    logger = logging.getLogger("mkdocs.test_preview.thread")
    logger.addHandler(collector)
    try:
        served = threading.Thread(target=lambda: logger.warning('"GET /x/ HTTP/1.1" code 404'))
        served.start()
        served.join()
    finally:
        logger.removeHandler(collector)
    assert collector.report().notices == ()


def test_the_overlay_escapes_every_message_and_names_its_region() -> None:
    hostile = Notice("docs/a.md:2: unknown topic '<img src=x onerror=alert(1)>'", "error")
    page = decorate(PAGE.encode(), [hostile], failed=False).decode()
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    assert tree.find(".//img") is None and "<img" not in page
    aside = tree.find(".//body/aside")
    assert aside is not None and aside.get("aria-labelledby") == "hub-preview-title"
    assert "".join(aside.find(".//code").itertext()) == hostile.text
    assert tree.find(".//head/style") is not None  # its look travels with it
    assert page.index("<aside") > page.index("<body class='x'>")


def test_warnings_alone_fold_the_overlay_and_no_problem_leaves_the_page_as_it_was() -> None:
    warning = Notice("docs/a.md:1: warning: the summary is empty", "warning")
    assert "<details open>" not in overlay([warning], failed=False)
    assert "<details open>" in overlay([warning], failed=True)
    assert decorate(PAGE.encode(), [], failed=False) == PAGE.encode()
