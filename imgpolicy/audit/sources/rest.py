"""What the two HTTP sources (Orthanc's REST API, DICOMweb) share: one client that reads
through `imgpolicy.net` (a deadline for the whole audit, a timeout per request, bounded
answers, credentials never shown), turns every failure into a `SourceFailed` that says
what to do, and keeps headers to what an audit reads (no pixel data, no bulk data, no
private attributes).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Mapping
from typing import Any

from ...net import BadURL, Deadline, FetchFailed, http_request, parse_http_url
from ..observed import SourceFailed, Window
from . import Settings

MAX_ANSWER = 256 * 2**20
"""The largest answer read (a page of a study list, a study's metadata, one dose SR)."""

BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
"""Bulk data: never part of the headers an audit reads."""


class Rest:
    """An HTTP server a source reads from: `url` without credentials (what reports show),
    Basic auth from the URL's user info or --user/--password."""

    def __init__(self, spec: str, settings: Settings, kind: str) -> None:
        self.kind = kind
        try:
            parsed = parse_http_url(spec, f"the {kind} address")
        except BadURL as err:
            raise SourceFailed(str(err)) from None
        self.url = parsed.url
        self.settings = settings
        user = parsed.user or settings.user
        password = parsed.password if parsed.password is not None else settings.password
        self.headers: dict[str, str] = {}
        if user:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        self._deadline: Deadline | None = None

    @property
    def deadline(self) -> Deadline:
        """The budget for all reading from this server, counted from the first request."""
        if self._deadline is None:
            self._deadline = Deadline(self.settings.budget)
        return self._deadline

    def get(self, path: str, params: Mapping[str, Any] | None = None, accept: str = "") -> bytes:
        """The body of GET `path` (relative to the server's URL)."""
        return self._request("GET", path, params, accept=accept)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` as JSON (an empty answer, DICOMweb's 204 No Content, is [])."""
        return self._json(self.get(path, params, accept="application/json"), path)

    def post_json(self, path: str, payload: Any) -> Any:
        """POST a JSON query (Orthanc's /tools/find: a query, it changes nothing)."""
        body = self._request("POST", path, None, data=json.dumps(payload).encode())
        return self._json(body, path)

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        *,
        accept: str = "",
        data: bytes | None = None,
    ) -> bytes:
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params, safe=",-")
        headers = dict(self.headers)
        if accept:
            headers["Accept"] = accept
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            return http_request(
                method,
                url,
                deadline=self.deadline,
                limit=self.settings.timeout,
                max_bytes=MAX_ANSWER,
                headers=headers,
                data=data,
            )
        except FetchFailed as err:
            raise SourceFailed(f"{self.kind} {err}; {self._advice(err)}") from None

    def _advice(self, err: FetchFailed) -> str:
        """What the user can do about a failed request."""
        if err.status in (401, 403):
            return (
                "give a user allowed to read it with --user and IMGPOLICY_SOURCE_PASSWORD "
                "(or --password)"
            )
        if err.status == 404:
            return f"check that {self.url} is the {self.kind} address (its root, not a page)"
        if err.status is not None:
            return f"the {self.kind} server refused the request; its log says why"
        if err.timed_out or "timed out" in str(err):
            return (
                f"the server is stalled or slow: check it, raise --timeout (now "
                f"{self.settings.timeout:g} s) or audit a shorter period (--since)"
            )
        return f"check that {self.kind} runs at {self.url} and this machine may reach it"

    def _json(self, body: bytes, path: str) -> Any:
        if not body.strip():
            return []
        try:
            return json.loads(body)
        except ValueError:
            raise SourceFailed(
                f"{self.kind} {self.url}{path}: the answer is not JSON; is {self.url} "
                f"the {self.kind} address?"
            ) from None


def keep_element(tag: int, vr: str) -> bool:
    """Whether an attribute belongs in the headers an audit reads: public, not pixel or
    other bulk data (the same rule for every source, so they give the same headers)."""
    group = tag >> 16
    return not (group % 2 or group == 0x7FE0 or vr in BINARY_VRS)


def study_date_query(window: Window) -> dict[str, str]:
    """The window as a DICOM date range on Study Date (none when the window is open)."""
    if window.since is None and window.until is None:
        return {}
    since = window.since.strftime("%Y%m%d") if window.since else ""
    until = window.until.strftime("%Y%m%d") if window.until else ""
    return {"StudyDate": f"{since}-{until}"}
