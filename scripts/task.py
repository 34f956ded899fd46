#!/usr/bin/env python3
"""The one task entry point people and CI both run: `python3 scripts/task.py demo|test|serve|lint`.

Standard library only, so that it works on a fresh machine with nothing but Python 3.11+ and git:
it creates .venv, installs the project into it, then does the task.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def run(*args: str | Path, check: bool = True, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    status = subprocess.call([str(a) for a in args], cwd=ROOT, env=env)
    if check and status:
        sys.exit(status)
    return status


def ensure_venv(extra: str = "") -> None:
    """Create .venv and install the project (with an extra such as 'dev') unless it is current."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by an older python3 first
        sys.exit(f"channelhub needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"Creating {VENV.relative_to(ROOT)} ...", flush=True)
        try:
            venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        except (OSError, subprocess.CalledProcessError) as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(
                f"could not create a virtual environment ({exc}).\n"
                "On Debian or Ubuntu install the venv module first: apt-get install python3-venv"
            )
    stamp = VENV / f".installed{'-' + extra if extra else ''}"
    pyproject = ROOT / "pyproject.toml"
    if stamp.exists() and stamp.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip")
    target = f".[{extra}]" if extra else "."
    run(PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target)
    stamp.touch()


def ensure_node_packages() -> None:
    """axe-core, the stemmer, lunr, Pagefind and a word list from the npm registry (package.json pins them)."""
    if not (ROOT / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the accessibility checks will skip (CI installs Node.js)", flush=True)
        return
    import json

    wanted = json.loads((ROOT / "package.json").read_text(encoding="utf-8")).get("devDependencies", {})
    if any(not (ROOT / "node_modules" / name).is_dir() for name in wanted):
        lock = (ROOT / "package-lock.json").exists()
        run(npm, "ci" if lock else "install", "--no-audit", "--no-fund", "--loglevel=error")


def task_demo(_: argparse.Namespace) -> None:
    ensure_venv()
    hub = BIN / "channelhub"
    run(hub, "pull")
    run(hub, "build")
    print("\nThe demo site is in site/. Preview it with live reload: python3 scripts/task.py serve")


def task_serve(args: argparse.Namespace) -> None:
    ensure_venv()
    os.execv(BIN / "channelhub", [str(BIN / "channelhub"), "serve", "--dev-addr", args.addr])


def task_test(args: argparse.Namespace) -> None:
    ensure_venv("dev")
    ensure_node_packages()
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONDONTWRITEBYTECODE="1")
    workers = os.environ.get("PYTEST_WORKERS", "auto")
    status = run(PY, "-m", "pytest", "-n", workers, "--dist", "loadgroup", *args.extra, check=False, env=env)
    if status == 5:
        print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
        sys.exit(1)
    sys.exit(status)


def task_lint(_: argparse.Namespace) -> None:
    ensure_venv("dev")
    status = run(BIN / "ruff", "check", "src", "hooks", "tests", "scripts", check=False)
    status |= run(BIN / "ruff", "format", "--check", "src", "hooks", check=False)
    status |= run(BIN / "mypy", check=False)
    sys.exit(1 if status else 0)


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/task.py", description=__doc__)
    sub = parser.add_subparsers(dest="task", required=True)
    sub.add_parser("demo", help="set up, pull the bundled demo feeds and build the demo site into site/").set_defaults(func=task_demo)
    serve = sub.add_parser("serve", help="preview the site with live reload")
    serve.add_argument("--addr", default="127.0.0.1:8000")
    serve.set_defaults(func=task_serve)
    test = sub.add_parser("test", help="set up with the dev tools and run the whole test suite")
    test.set_defaults(func=task_test)
    sub.add_parser("lint", help="ruff and mypy").set_defaults(func=task_lint)
    # Options after `test` that the task does not know go to pytest (e.g. `test -k pull -x`).
    args, extra = parser.parse_known_args()
    if extra and args.task != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    args.func(args)


if __name__ == "__main__":
    main()
