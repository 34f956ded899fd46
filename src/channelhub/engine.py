"""The site engine under the hub: MkDocs 1.6 or ProperDocs, its maintained fork.

Owns which engine a command runs and how: `--engine`, else `CHANNELHUB_ENGINE`, else
ProperDocs when it is installed (`pip install ".[properdocs]"`), else MkDocs. Both read
mkdocs.yml and run hooks/hub.py unchanged (ProperDocs resolves `mkdocs.*` imports to itself
when run as `python -m properdocs`). The engines' notices about MkDocs 2.0 and Material's end
of life are switched off for the hub's commands; the README says it once.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

ENV_SWITCH = "CHANNELHUB_ENGINE"

#: the engines the hub runs on, by the name `--engine` takes
ENGINES = ("mkdocs", "properdocs")

#: environment that silences the engines' banners on every build and preview: MkDocs' and
#: Material's "MkDocs 2.0"/end-of-life box (NO_MKDOCS_2_WARNING) and ProperDocs' own notice
QUIET = {"NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}


class EngineError(Exception):
    """The engine asked for is unknown or not installed; the message says how to fix it."""


@dataclass(frozen=True)
class Engine:
    """One engine: the module `python -m` runs."""

    name: str

    def command(self, *args: str) -> list[str]:
        """The engine's command line in this interpreter, e.g. `python -m mkdocs build ...`."""
        return [sys.executable, "-m", self.name, *args]

    def environment(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment to run it in: the caller's, with the banners off."""
        return {**(os.environ if environ is None else environ), **QUIET}

    def activate(self) -> None:
        """Run the engine in this process as `python -m <name>` would: with the banners off,
        its log lines on the terminal as its command prints them, and, for ProperDocs,
        `import mkdocs` answering with ProperDocs (its command line installs that alias on
        import). Call it before anything imports `mkdocs`."""
        os.environ.update(QUIET)
        main = importlib.import_module(f"{self.name}.__main__")
        if running() != self.name:
            raise EngineError(f"this process already runs {running()}, not {self.name}")
        terminal = logging.StreamHandler()
        terminal.setFormatter(main.ColorFormatter())
        for logger in loggers():
            logger.setLevel(logging.INFO)
            logger.propagate = False
            logger.addHandler(terminal)


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def choose(requested: str | None = None, environ: Mapping[str, str] | None = None) -> Engine:
    """The engine to run: `requested`, else CHANNELHUB_ENGINE, else ProperDocs when it is
    installed, else MkDocs. EngineError for an unknown or missing one."""
    env = os.environ if environ is None else environ
    name = (requested or env.get(ENV_SWITCH, "")).strip().lower()
    if not name:
        return Engine("properdocs" if installed("properdocs") else "mkdocs")
    if name not in ENGINES:
        raise EngineError(f"unknown engine '{name}' (known: {', '.join(ENGINES)})")
    if not installed(name):
        extra = ' (pip install ".[properdocs]")' if name == "properdocs" else ""
        raise EngineError(f"the {name} engine is not installed{extra}")
    return Engine(name)


def generator() -> str:
    """The page's generator meta for the engine this process runs under, e.g.
    "properdocs-1.6.7, mkdocs-material-9.8.2" (ProperDocs answers to `import mkdocs` too)."""
    name = running()
    return (
        f"{name}-{installed_version(name)}, mkdocs-material-{installed_version('mkdocs-material')}"
    )


def loggers() -> list[logging.Logger]:
    """The loggers the engine, Material and the hooks write to: `mkdocs` and ProperDocs' own."""
    return [logging.getLogger(name) for name in dict.fromkeys(("mkdocs", running()))]


def running() -> str:
    """The engine this process runs: the module that answers to `import mkdocs`."""
    module = sys.modules.get("mkdocs")
    return module.__name__ if module is not None else "mkdocs"


def installed_version(distribution: str) -> str:
    """A distribution's installed version, or "unknown" (not installed as one)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
