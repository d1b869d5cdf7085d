"""architecture.html in a real browser: headless Chromium (Debian's `chromium`).

- a screenshot of the shipped example's page renders (not blank);
- the SVG diagrams have a size on the page: a wrapper page served from a local HTTP server
  loads the document in an iframe, and its own script (the document has none) writes each
  SVG's bounding box into the DOM, which `--dump-dom` prints; the server's log shows that
  the document requested nothing else;
- a `<script>` in a device description does not run: it shows as text, and the marker it
  would set is absent from the DOM Chromium dumps.

Without Chromium these tests skip, except on CI (CI=true), where they fail.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import EXAMPLES, run

pytestmark = pytest.mark.peers  # real peers: pytest -m 'not peers' skips them

EXAMPLE = EXAMPLES / "regional-health"
TODAY = "2026-11-28"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed (scripts/test.sh installs Debian's chromium)")
    pytest.skip("chromium is not installed")


@pytest.fixture(scope="module")
def chromium():
    return _chromium()


def browse(chromium: str, tmp: Path, url: str, *extra: str, timeout: int = 90) -> str:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    out = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture(scope="module")
def example_docs(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser-docs")
    result = run("docs", str(EXAMPLE), "-o", str(out), "--today", TODAY)
    assert result.exit_code == 0, result.output
    return out


class _Server:
    """A local HTTP server on the docs folder that records every request path."""

    def __init__(self, folder: Path):
        self.requests: list[str] = []
        outer = self

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args):  # quiet, but recorded
                outer.requests.append(self.path)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(folder)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{path}"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


WRAPPER = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<iframe id="doc" src="architecture.html" style="width:1280px;height:2000px;border:0"></iframe>
<pre id="result">pending</pre>
<script>
document.getElementById('doc').addEventListener('load', function () {
  var d = this.contentDocument;
  var boxes = Array.prototype.map.call(d.querySelectorAll('svg'), function (svg) {
    var r = svg.getBoundingClientRect();
    return {cls: svg.getAttribute('class'), width: r.width, height: r.height,
            children: svg.querySelectorAll('*').length};
  });
  document.getElementById('result').textContent = JSON.stringify({
    svgs: boxes, title: d.title, scripts: d.querySelectorAll('script').length,
    pwned: d.documentElement.getAttribute('data-pwned'),
    overflow: d.documentElement.scrollWidth - d.documentElement.clientWidth});
});
</script></body></html>
"""


def measure(chromium: str, folder: Path, tmp: Path) -> tuple[dict, list[str]]:
    (folder / "wrapper.html").write_text(WRAPPER, encoding="utf-8")
    with _Server(folder) as server:
        dom = browse(
            chromium, tmp, server.url("wrapper.html"), "--virtual-time-budget=15000", "--dump-dom"
        )
    match = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    assert match and match.group(1) != "pending", dom[-2000:]
    return json.loads(html.unescape(match.group(1))), server.requests


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_screenshot_of_the_example(chromium, example_docs, tmp_path):
    shot = example_docs / "screenshot.png"
    browse(
        chromium,
        tmp_path,
        (example_docs / "architecture.html").as_uri(),
        f"--screenshot={shot}",
        "--window-size=1280,2000",
    )
    assert png_size(shot) == (1280, 2000)
    # a blank 1280x2000 page compresses to a few kB; the cover, cards and tables do not
    assert shot.stat().st_size > 60_000
    keep = os.environ.get("IMGPOLICY_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)


def test_svg_diagrams_have_a_size_and_nothing_else_is_loaded(chromium, example_docs, tmp_path):
    result, requests = measure(chromium, example_docs, tmp_path)
    classes = [s["cls"] for s in result["svgs"]]
    assert classes == ["diagram topology", "diagram capacity"]
    for svg in result["svgs"]:
        assert svg["width"] > 300 and svg["height"] > 200, svg
        assert svg["children"] > 50, svg
    assert (
        result["title"] == "Sierra Pacific Regional Health: imaging architecture — as of 2026-11-28"
    )
    assert result["scripts"] == 0
    assert result["overflow"] <= 0  # nothing wider than the 1280 px window
    assert sorted(set(requests)) == ["/architecture.html", "/wrapper.html"], requests


PAYLOAD = (
    "<script>document.title='PWNED';document.documentElement.setAttribute('data-pwned',"
    "'script')</script><img src=x onerror=\"document.documentElement.setAttribute("
    "'data-pwned','img')\">"
)


def test_a_script_in_a_description_does_not_run(chromium, tmp_path):
    env = tmp_path / "env"
    shutil.copytree(EXAMPLE, env)
    core = env / "devices" / "core-systems.yaml"
    text = core.read_text(encoding="utf-8")
    marker = "      Active/passive pair behind one virtual IP."
    assert marker in text
    core.write_text(
        text.replace(marker, "      " + PAYLOAD + " Active/passive pair behind one virtual IP.", 1),
        encoding="utf-8",
    )
    routes = env / "routes.yaml"
    route_marker = "    description: Everything the router receives goes to the diagnostic PACS."
    assert route_marker in routes.read_text(encoding="utf-8")
    routes.write_text(
        routes.read_text(encoding="utf-8").replace(
            route_marker,
            '    description: "' + PAYLOAD.replace('"', '\\"') + '"',
            1,
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("docs", str(env), "-o", str(out), "--today", TODAY)
    assert result.exit_code == 0, result.output
    page = (out / "architecture.html").read_text(encoding="utf-8")
    assert page.count("&lt;script&gt;document.title=&#39;PWNED&#39;") == 2

    dom = browse(
        chromium,
        tmp_path,
        (out / "architecture.html").as_uri(),
        "--virtual-time-budget=5000",
        "--dump-dom",
    )
    root = re.search(r"<html[^>]*>", dom).group(0)
    assert "data-pwned" not in root  # the marker the payload would set on <html>
    assert (
        "<title>Sierra Pacific Regional Health: imaging architecture — as of 2026-11-28</title>"
        in dom
    )
    assert "<script" not in dom and "<img" not in dom
    # shown as text: Chromium serialises the text node with < and > escaped
    assert dom.count("&lt;script&gt;document.title='PWNED'") == 2
    assert "&lt;img src=x onerror=" in dom

    measured, requests = measure(chromium, out, tmp_path)
    assert (
        measured["title"]
        == "Sierra Pacific Regional Health: imaging architecture — as of 2026-11-28"
    )
    assert measured["scripts"] == 0 and measured["pwned"] is None
    assert "/x" not in requests
