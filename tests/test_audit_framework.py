"""The audit skeleton every audit shares: the window, identity masking, source dispatch."""

from __future__ import annotations

from datetime import date

import click
import pytest

from imgpolicy.audit.observed import SourceFailed, Window
from imgpolicy.audit.phi import Identity, mask
from imgpolicy.audit.sources import Settings, open_source
from imgpolicy.cli import _audit_window
from imgpolicy.fsutil import read_bounded


@pytest.mark.parametrize(
    ("value", "shown"),
    [("MRN0012345", "********45"), ("ABCD", "****"), ("", ""), ("  X1  ", "**")],
)
def test_mask_keeps_at_most_the_last_two_characters_of_a_long_value(value, shown):
    assert mask(value) == shown


def test_identity_shows_nothing_identifying_unless_asked():
    hidden, shown = Identity(), Identity(show=True)
    assert hidden.name("DOE^JANE") == "(name, 8 characters)"
    assert "DOE" not in hidden.name("DOE^JANE")
    assert hidden.patient_id("MRN0012345") == "********45"
    assert hidden.study("1.2.826.0.1.3680043.8.498.123456789") == "…456789"
    assert "3680043" not in hidden.study("1.2.826.0.1.3680043.8.498.123456789")
    assert shown.name("DOE^JANE") == "DOE^JANE"
    assert shown.accession("ACC1") == "ACC1"


def test_since_as_a_period_counts_back_from_today():
    window = _audit_window("30d", None, date(2026, 11, 29))
    assert window == Window(date(2026, 10, 30), None)
    assert _audit_window("2w", "2026-11-29", date(2026, 11, 29)).since == date(2026, 11, 15)
    assert _audit_window(None, None, date(2026, 11, 29)) == Window()


@pytest.mark.parametrize(
    ("since", "until", "hint"),
    [
        ("yesterday", None, "--since"),
        (None, "29/11/2026", "--until"),
        ("2026-11-02", "2026-11-01", "--until"),
    ],
)
def test_a_window_that_is_no_window_is_a_usage_error(since, until, hint):
    with pytest.raises(click.BadParameter) as caught:
        _audit_window(since, until, date(2026, 11, 29))
    assert caught.value.param_hint == hint


def test_window_holds_its_ends_and_unknown_days():
    window = Window(date(2026, 11, 1), date(2026, 11, 29))
    assert window.holds(date(2026, 11, 1)) and window.holds(date(2026, 11, 29))
    assert not window.holds(date(2026, 10, 31)) and not window.holds(date(2026, 11, 30))
    assert window.holds(None)


def test_a_bare_http_url_says_which_server_to_name_without_its_credentials():
    with pytest.raises(SourceFailed) as caught:
        open_source("http://admin:hunter2@pacs:8042", Settings())
    message = str(caught.value)
    assert "orthanc+http://" in message and "dicomweb+http://" in message
    assert "hunter2" not in message


def test_a_missing_source_file_is_named(tmp_path):
    with pytest.raises(SourceFailed, match="no such file or folder"):
        open_source(str(tmp_path / "storescp.log"), Settings())


def test_head_reads_the_start_of_a_file_larger_than_the_limit(tmp_path):
    big = tmp_path / "big.log"
    big.write_bytes(b"x" * 10_000)
    assert read_bounded(str(big), 100, head=True) == b"x" * 100
    with pytest.raises(OSError, match="larger than"):
        read_bounded(str(big), 100)
