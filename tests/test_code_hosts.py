"""The GitHub action (`action.yml`) and the GitLab template run as written: their exact
`run:` / `script:` lines, install step included, in a fresh virtual environment against a
copy of the regional example; the reports they hand to the code host parse.

The pull-request comment and the merge-request note cannot be posted to GitHub or GitLab
from here: their `imgpolicy diff` lines run as written on a real git repository and the
body they would post is checked (rendered with a CommonMark renderer); the posting lines
run as written against stand-ins (a `gh` that keeps comments in a file and filters with
the real jq; a GitLab notes API on 127.0.0.1), which shows there is one comment per pull
request, updated on the next push."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from junitparser import JUnitXml

from .conftest import EXAMPLES, ROOT
from .test_diff import retarget_route

MARKER = "<!-- imgpolicy-diff -->"

EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def clean_copy(target: Path) -> Path:
    """The repository as git would ship it (tracked and new files, no build leftovers): what
    a user's `uses: OWNER/imgpolicy@COMMIT` or vendored copy holds."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


def fresh_env(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    """A virtual environment first on PATH (it sees the installed dependencies, not
    imgpolicy's editable install once the step installs imgpolicy into it)."""
    home = tmp_path / "venv"
    venv.create(home, system_site_packages=True, with_pip=False)
    return {
        **os.environ,
        "PATH": f"{home / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(home),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        **extra,
    }


def bash(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-e", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def expand(text: str, context: dict[str, str]) -> str:
    """GitHub's `${{ ... }}` expressions, as the runner substitutes them before the shell
    sees the line; an expression the test does not know fails the test."""
    return EXPRESSION.sub(lambda m: context[m.group(1)], text)


def action_context(
    source: Path, inputs: dict | None = None, event: dict | None = None
) -> dict[str, str]:
    """What the runner substitutes: the action's path, the event (a push unless `event`
    says otherwise) and each input (`with:`, else its default, itself an expression);
    an input the action does not declare fails the test."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert set(inputs or {}) <= set(action["inputs"])
    context = {
        "github.action_path": str(source),
        "github.event_name": "push",
        "github.token": "ghs_test",
        **(event or {}),
    }
    for name, spec in action["inputs"].items():
        value = str((inputs or {}).get(name, spec.get("default", "")))
        context[f"inputs.{name}"] = expand(value, context)
    return context


def condition(text: str | None, context: dict[str, str], outcomes: dict[str, str]) -> bool:
    """A step's `if:` as the runner evaluates it, for the forms the action uses (terms
    joined by &&: always(), X == 'literal'); any other form fails the test."""
    if text is None:
        return all(o == "success" for o in outcomes.values())
    result = True
    for term in (t.strip() for t in text.split("&&")):
        if term == "always()":
            continue
        left, op, right = re.fullmatch(r"(\S+) (==|!=) '([^']*)'", term).groups()
        if left.startswith("steps.") and left.endswith(".outcome"):
            value = outcomes.get(left.split(".")[1], "skipped")
        else:
            value = context[left]
        result = result and ((value == right) == (op == "=="))
    return result


def run_steps(
    workspace: Path, context: dict[str, str], env: dict[str, str], only: set[str] | None = None
) -> dict[str, subprocess.CompletedProcess]:
    """The action's `run:` steps in order, as a runner would: each `if:` evaluated, the
    expressions substituted, `env:` set; `only`: the step ids to run (the others are left
    out, e.g. the install step when imgpolicy is already installed). Returns the result
    of each step run, by id (or name)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    outcomes: dict[str, str] = {}
    results: dict[str, subprocess.CompletedProcess] = {}
    for step in action["runs"]["steps"]:
        name = step.get("id") or step["name"]
        if "run" not in step or (only is not None and name not in only):
            continue
        if not condition(step.get("if"), context, outcomes):
            outcomes[name] = "skipped"
            continue
        assert step["shell"] == "bash"
        step_env = {k: expand(str(v), context) for k, v in step.get("env", {}).items()}
        result = bash(expand(step["run"], context), workspace, {**env, **step_env})
        results[name] = result
        outcomes[name] = "success" if result.returncode == 0 else "failure"
    return results


def run_action(
    tmp_path: Path, example: Path, inputs: dict | None = None
) -> tuple[list[subprocess.CompletedProcess], dict]:
    """Every `run:` step of the action, in order, as a runner would; stops at the first
    failing step (a failing check is the last step run)."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    source = clean_copy(tmp_path / "action")
    workspace = tmp_path / "workspace"
    shutil.copytree(example, workspace / "environment")
    context = action_context(source, inputs)
    env = fresh_env(tmp_path, {"GITHUB_ACTIONS": "true"})
    results = []
    for step in action["runs"]["steps"]:
        if "run" not in step or not condition(step.get("if"), context, {}):
            continue
        assert step["shell"] == "bash"
        step_env = {k: expand(str(v), context) for k, v in step.get("env", {}).items()}
        result = bash(expand(step["run"], context), workspace, {**env, **step_env})
        results.append(result)
        if result.returncode:
            break
    return results, context


@pytest.mark.peers  # builds and installs imgpolicy: pytest -m 'not peers' skips
def test_action_installs_itself_and_writes_sarif(tmp_path):
    results, context = run_action(tmp_path, EXAMPLES / "regional-health")
    assert len(results) == 2, [r.stderr for r in results]
    install, check = results
    assert install.returncode == 0, install.stdout + install.stderr
    assert check.returncode == 0, check.stdout + check.stderr
    assert (tmp_path / "venv" / "bin" / "imgpolicy").is_file()  # installed by the step
    sarif = json.loads((tmp_path / "workspace" / context["inputs.sarif-file"]).read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["tool"]["driver"]["name"] == "imgpolicy"


@pytest.mark.peers
def test_action_annotates_and_fails_on_a_broken_environment(tmp_path):
    results, context = run_action(tmp_path, EXAMPLES / "broken" / "schema003-quoted-port")
    check = results[-1]
    assert check.returncode == 1, check.stdout + check.stderr
    assert check.stdout.startswith("::error file=environment/environment.yaml,line=10,col=15")
    sarif = json.loads((tmp_path / "workspace" / context["inputs.sarif-file"]).read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]]


def test_action_uploads_the_sarif_it_wrote():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    [upload] = [s for s in action["runs"]["steps"] if "uses" in s]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert "always()" in upload["if"]


def gitlab_job() -> tuple[dict, dict]:
    template = yaml.safe_load((ROOT / "ci" / "gitlab" / "imgpolicy.gitlab-ci.yml").read_text())
    return template["variables"], template["imgpolicy"]


def run_gitlab(tmp_path: Path, install_from: str, variables: dict | None = None) -> Path:
    """The template's `script:` lines in order, with its variables (and `variables`, as an
    including project sets them), installing imgpolicy from a vendored copy or from a git
    repository at a commit; the project folder with the reports."""
    defaults, job = gitlab_job()
    source = clean_copy(tmp_path / "imgpolicy")
    overrides = {"IMGPOLICY_PATH": str(source)}
    if install_from == "git repository":
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "vendored"]):
            subprocess.run(
                ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                cwd=source,
                check=True,
                capture_output=True,
            )
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, check=True
        ).stdout.strip()
        overrides = {"IMGPOLICY_REPO": f"file://{source}", "IMGPOLICY_REF": commit}
    project = tmp_path / "project"
    shutil.copytree(EXAMPLES / "regional-health", project / "environment")
    chosen = {**defaults, **(variables or {}), **overrides}
    env = fresh_env(tmp_path, {k: str(v) for k, v in chosen.items()})
    for line in job["script"]:
        result = bash(line, project, env)
        assert result.returncode == 0, line + "\n" + result.stdout + result.stderr
    return project


@pytest.mark.peers
@pytest.mark.parametrize("install_from", ["vendored path", "git repository"])
def test_gitlab_template_runs_and_reports(tmp_path, install_from):
    _, job = gitlab_job()
    project = run_gitlab(tmp_path, install_from)
    reports = job["artifacts"]["reports"]
    assert isinstance(json.loads((project / reports["codequality"]).read_text()), list)
    assert JUnitXml.fromfile(str(project / reports["junit"]))
    assert job["artifacts"]["when"] == "always"


# --- the diff of a pull request / merge request ----------------------------------------

FAKE_GH = '''#!/usr/bin/env python3
"""A stand-in for `gh api`: comments kept in $FAKE_GH_STATE, --jq run by the real jq."""
import json, os, subprocess, sys

path = os.environ["FAKE_GH_STATE"]
state = json.load(open(path))
args, method, jq, fields, endpoint = sys.argv[2:], "GET", None, {}, None
assert sys.argv[1] == "api" and os.environ["GH_TOKEN"] == "ghs_test"
while args:
    arg = args.pop(0)
    if arg == "--method":
        method = args.pop(0)
    elif arg == "--jq":
        jq = args.pop(0)
    elif arg == "-F":
        key, value = args.pop(0).split("=", 1)
        fields[key] = open(value[1:]).read() if value.startswith("@") else value
    elif arg != "--paginate":
        endpoint = arg
state["calls"].append([method, endpoint])
if method == "GET":
    out = json.dumps(state["comments"])
    if jq is not None:
        out = subprocess.run(["jq", "-r", jq], input=out, capture_output=True, text=True, check=True).stdout
    sys.stdout.write(out)
elif method == "POST":
    state["comments"].append({"id": max(c["id"] for c in state["comments"]) + 1, "body": fields["body"]})
elif method == "PATCH":
    [comment] = [c for c in state["comments"] if c["id"] == int(endpoint.rsplit("/", 1)[1])]
    comment["body"] = fields["body"]
json.dump(state, open(path, "w"))
'''


def pr_repository(tmp_path: Path) -> tuple[Path, str]:
    """A config repository with the regional example at `environment/` and a pull request
    on top (a retargeted route); its base commit."""
    workspace = tmp_path / "workspace"
    shutil.copytree(EXAMPLES / "regional-health", workspace / "environment")

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=workspace,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    retarget_route(workspace / "environment")
    git("commit", "-qam", "CT_SPMC_3 stores straight to the PACS")
    return workspace, base


def installed_env(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a step once imgpolicy is installed: this checkout's imgpolicy
    (the install lines themselves run in the `peers` tests above)."""
    bin_dir = Path(sys.executable).parent
    return {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}{os.pathsep}{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def check_body(body: str, base: str) -> None:
    """The comment a reviewer sees: the hidden marker, the summary, the flow consequence
    of the retargeted route, in Markdown that renders with collapsible tables."""
    markdown_it = pytest.importorskip("markdown_it")
    lines = body.splitlines()
    assert lines[0] == MARKER
    assert lines[1] == f"### imgpolicy diff `{base}` → `HEAD`"
    assert lines[3] == "- Entities: 0 added, 0 removed, 1 changed"
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(body)
    assert html.startswith(MARKER)  # an HTML comment: on the page, nothing shows
    assert "<summary>Flows of acquisition AEs (1)</summary>" in html
    assert "<td>CT_SPMC_3</td>" in html and "AI_CT_SPMC (AI)" in html


def test_action_posts_the_diff_as_one_pull_request_comment(tmp_path):
    workspace, base = pr_repository(tmp_path)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "gh").write_text(FAKE_GH)
    (tmp_path / "bin" / "gh").chmod(0o755)
    state = tmp_path / "gh-state.json"
    state.write_text(json.dumps({"comments": [{"id": 41, "body": "LGTM"}], "calls": []}))
    env = installed_env(tmp_path, {"GITHUB_REPOSITORY": "org/config", "FAKE_GH_STATE": str(state)})
    event = {
        "github.event_name": "pull_request",
        "github.event.pull_request.base.sha": base,
        "github.event.pull_request.number": "7",
    }
    context = action_context(ROOT, {"environment": "environment"}, event)
    for push in ("first", "next"):  # the pull request's first push, then the next one
        results = run_steps(workspace, context, env, only={"diff", "comment"})
        assert sorted(results) == ["comment", "diff"]
        assert all(r.returncode == 0 for r in results.values()), [
            r.stderr for r in results.values()
        ]
        if push == "first":  # what the next push must replace
            posted = json.loads(state.read_text())
            posted["comments"][-1]["body"] = MARKER + "\nthe diff of an earlier push"
            state.write_text(json.dumps(posted))
    body = (workspace / "imgpolicy-diff.md").read_text()
    check_body(body, base)
    assert json.loads((workspace / "imgpolicy-diff.json").read_text())["flows"][0]["ae"] == (
        "CT_SPMC_3"
    )
    posted = json.loads(state.read_text())
    assert posted["comments"] == [{"id": 41, "body": "LGTM"}, {"id": 42, "body": body}]
    comments = "repos/org/config/issues/7/comments"
    assert posted["calls"] == [
        ["GET", comments],
        ["POST", comments],
        ["GET", comments],
        ["PATCH", "repos/org/config/issues/comments/42"],
    ]
    # on a push (no pull request) neither step runs
    push = action_context(ROOT, {"environment": "environment"})
    assert run_steps(workspace, push, env, only={"diff", "comment"}) == {}


def diff_job() -> tuple[dict, dict]:
    template = yaml.safe_load((ROOT / "ci" / "gitlab" / "imgpolicy.gitlab-ci.yml").read_text())
    return template["variables"], template["imgpolicy-diff"]


def run_diff_job(tmp_path: Path, api: str = "") -> tuple[Path, str, list]:
    """The note job's `script:` lines in order, as GitLab runs them in a merge-request
    pipeline, except the install line (the same as the check job's, run in the `peers`
    tests); the posting line only when `api` (the notes API's base URL) is given."""
    defaults, job = diff_job()
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert job["script"][0] == gitlab_job()[1]["script"][0]  # the same install
    workspace, base = pr_repository(tmp_path)
    env = installed_env(
        tmp_path,
        {
            **defaults,
            **job["variables"],
            "CI_PIPELINE_SOURCE": "merge_request_event",
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
            "CI_API_V4_URL": api,
            "CI_PROJECT_ID": "12",
            "CI_MERGE_REQUEST_IID": "3",
            "IMGPOLICY_GITLAB_TOKEN": "glpat-test",
        },
    )
    posting = [line for line in job["script"] if "CI_API_V4_URL" in line]
    assert len(posting) == 1
    ran = []
    for line in job["script"][1:]:
        if line in posting and not api:
            continue
        result = bash(line, workspace, env)
        assert result.returncode == 0, line + "\n" + result.stdout + result.stderr
        ran.append(line)
    return workspace, base, ran


def test_gitlab_note_body_is_the_diff_of_the_merge_request(tmp_path):
    workspace, base, _ = run_diff_job(tmp_path)
    check_body((workspace / "imgpolicy-diff.md").read_text(), base)
    assert diff_job()[1]["artifacts"]["paths"] == ["imgpolicy-diff.md", "imgpolicy-diff.json"]


class NotesAPI(BaseHTTPRequestHandler):
    """GitLab's merge-request notes API, enough of it: list (paged as GitLab does: `page`,
    `per_page`, default 20, and `X-Next-Page`), create, update; the token checked on
    every call."""

    notes: list[dict] = []
    calls: list[tuple[str, str]] = []
    PATH = "/api/v4/projects/12/merge_requests/3/notes"

    def _answer(self, status: int, payload: object, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        self.calls.append((self.command, path))
        if self.headers.get("PRIVATE-TOKEN") != "glpat-test":
            return self._answer(401, {"message": "401 Unauthorized"})
        length = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
        if self.command == "GET" and path == self.PATH:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            page, size = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["20"])[0])
            more = len(self.notes) > page * size
            headers = {"X-Next-Page": str(page + 1) if more else ""}
            return self._answer(200, self.notes[(page - 1) * size : page * size], headers)
        if self.command == "POST" and path == self.PATH:
            note = {"id": max(n["id"] for n in self.notes) + 1, "body": form["body"][0]}
            self.notes.append(note)
            return self._answer(201, note)
        if self.command == "PUT" and path.startswith(self.PATH + "/"):
            [note] = [n for n in self.notes if str(n["id"]) == path.rsplit("/", 1)[1]]
            note["body"] = form["body"][0]
            return self._answer(200, note)
        return self._answer(404, {"message": "404 Not found"})

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def notes_api(notes: list[dict]) -> Iterator[str]:
    """`NotesAPI` holding `notes`, served on loopback while the block runs: its base URL."""
    NotesAPI.notes, NotesAPI.calls = notes, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), NotesAPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.peers  # a listener on 127.0.0.1
def test_gitlab_note_is_posted_once_and_updated(tmp_path):
    with notes_api([{"id": 99, "body": "Looks fine to me"}]) as api:
        run_diff_job(tmp_path / "first", api)
        assert NotesAPI.notes[-1]["body"].startswith(MARKER + "\n### imgpolicy diff")
        NotesAPI.notes[-1]["body"] = MARKER + "\nthe diff of an earlier push"
        workspace, base, _ = run_diff_job(tmp_path / "second", api)  # the next push
    body = (workspace / "imgpolicy-diff.md").read_text()
    assert [n["id"] for n in NotesAPI.notes] == [99, 100]
    assert NotesAPI.notes[1]["body"] == body  # the one note, updated to the latest diff
    check_body(NotesAPI.notes[1]["body"], base)
    notes = NotesAPI.PATH
    assert NotesAPI.calls == [
        ("GET", notes),
        ("POST", notes),
        ("GET", notes),
        ("PUT", f"{notes}/100"),
    ]


@pytest.mark.peers  # a listener on 127.0.0.1
def test_gitlab_note_past_the_first_page_is_updated_not_posted_again(tmp_path):
    """A busy merge request: 150 notes of reviewers before the one this job posted on its
    first push. The job reads page after page and updates that note."""
    notes = [{"id": i, "body": f"review comment {i}"} for i in range(1, 151)]
    notes.append({"id": 151, "body": MARKER + "\nthe diff of an earlier push"})
    with notes_api(notes) as api:
        workspace, _, _ = run_diff_job(tmp_path, api)
    assert len(NotesAPI.notes) == 151  # none posted
    assert NotesAPI.notes[-1]["body"] == (workspace / "imgpolicy-diff.md").read_text()
    notes = NotesAPI.PATH
    assert NotesAPI.calls == [("GET", notes), ("GET", notes), ("PUT", f"{notes}/151")]


@pytest.mark.peers  # a listener on 127.0.0.1
def test_gitlab_note_job_with_a_refused_token_fails_with_a_message(tmp_path):
    """A token GitLab refuses: the job fails, saying what to check, without a traceback."""
    (tmp_path / "imgpolicy-diff.md").write_text(MARKER + "\n")
    [posting] = [line for line in diff_job()[1]["script"] if "CI_API_V4_URL" in line]
    with notes_api([]) as api:
        env = {
            "PATH": os.environ["PATH"],
            "CI_API_V4_URL": api,
            "CI_PROJECT_ID": "12",
            "CI_MERGE_REQUEST_IID": "3",
            "IMGPOLICY_GITLAB_TOKEN": "glpat-revoked",
        }
        result = bash(posting, tmp_path, env)
    assert result.returncode != 0
    assert "cannot read the merge request's notes (HTTP Error 401" in result.stderr
    assert "IMGPOLICY_GITLAB_TOKEN" in result.stderr and "Traceback" not in result.stderr
    assert NotesAPI.calls == [("GET", NotesAPI.PATH)]  # nothing posted
