"""Notifications' domain details the other tests left open (found by mutation testing): Dutch wording of sentences
only partly known, unknown amounts, reply tokens of every shape, the directory's error, partial talent demand."""

from __future__ import annotations

import json
import uuid

import pytest

from services.notifications.domain import blocking
from services.notifications.domain.directory import load_directory
from services.notifications.domain.ranges import demand_lines
from services.notifications.domain.replies import BadToken, sign, verify

SECRET = b"test-reply-secret"


@pytest.mark.parametrize("line, code, dutch", [
    # a known subject, a shortfall no pattern knows: the sentence stays whole, under the constraint's Dutch name
    ("grid: 3 of 4 sites are too far from a substation", "grid_capacity",
     "onvoldoende netcapaciteit (grid: 3 of 4 sites are too far from a substation)"),
    # an unknown subject with a shortfall that is known
    ("parking: 1 of 2 sites are not available by 2027-01-01", "",
     "belemmering (parking: 1 of 2 sites are not available by 2027-01-01)"),
    # no constraint code at all: a neutral Dutch word, never an empty name
    ("a sentence nobody wrote before", "", "belemmering (a sentence nobody wrote before)"),
])
def test_a_sentence_only_partly_known_keeps_its_english_detail(line, code, dutch):
    assert blocking.dutch(line, code) == dutch


def test_an_unknown_amount_reads_onbekend_in_dutch():
    assert blocking.dutch("grid: 3 of 4 sites cannot deliver nan MW by 2027-06-01 (most there nan MW)") == \
        "netcapaciteit: 3 van 4 locaties kunnen geen onbekend MW leveren per 1 juni 2027 (het meeste daar: onbekend MW)"


def test_a_cleanroom_size_gets_dutch_thousands_and_decimal_separators():
    assert blocking.dutch("cleanroom: 2 of 3 sites lack an ISO 5 cleanroom of 1,200.5 m²") == \
        "cleanroom: 2 van 3 locaties hebben geen cleanroom ISO 5 van 1.200,5 m²"


def test_every_signed_reply_link_verifies_whatever_its_length_and_last_characters():
    # Case ids and recipient codes of several lengths: base64 text of every length modulo 4 and ending in any
    # character (an "X" or "=" at the end must survive the padding being stripped and restored).
    recipients = ["GM0014", "PV2", "GM00141", "coordinator"]
    for i in range(300):
        case, recipient = uuid.UUID(int=i * 7919), recipients[i % len(recipients)]
        grant = verify(SECRET, sign(SECRET, case, recipient, valid_seconds=60, now=1_000.0), now=1_030.0)
        assert (grant.case_id, grant.recipient, grant.expires_at) == (case, recipient, 1_060)


@pytest.mark.parametrize("token, reason", [
    ("no-dot-here", "malformed reply token"),
    ("a.b.c", "malformed reply token"),
])
def test_a_malformed_reply_link_says_so(token, reason):
    with pytest.raises(BadToken) as refused:
        verify(SECRET, token)
    assert str(refused.value) == reason


def test_a_forged_expired_or_garbled_reply_link_says_which():
    token = sign(SECRET, uuid.uuid4(), "GM0014", valid_seconds=60, now=1_000.0)
    with pytest.raises(BadToken) as forged:
        verify(b"another-secret", token, now=1_000.0)
    assert str(forged.value) == "reply token signature does not match"
    with pytest.raises(BadToken) as expired:
        verify(SECRET, token, now=1_061.0)
    assert str(expired.value) == "reply link expired: ask the coordinator for a new one"
    # Signed with the right secret, but its case is no case id: refused as malformed, not a crash.
    with pytest.raises(BadToken) as malformed:
        verify(SECRET, sign(SECRET, "not-a-uuid", "GM0014", valid_seconds=60, now=1_000.0), now=1_000.0)
    assert str(malformed.value) == "malformed reply token"


def test_a_bad_directory_entry_is_named_by_file_index_and_code(tmp_path):
    path = tmp_path / "recipients.json"
    good = {"code": "GM0014", "kind": "municipality", "name": "Gemeente Groningen", "language": "nl",
            "email": "economie@groningen.gemeente.example", "province": "PV20"}
    path.write_text(json.dumps({"recipients": [good, good | {"code": "GM0034", "email": "not an address"}]}))
    with pytest.raises(ValueError) as refused:
        load_directory(path)
    assert str(refused.value).startswith(f"{path}: recipients[1] ('GM0034'): ")


@pytest.mark.parametrize("talent", [{"fte_hbo": 9}, {"fte_mbo": 9}, {"fte_wo": 9}])
def test_talent_counts_only_the_levels_given(talent):
    # 9 FTE at one level: below the 10-FTE edge (a missing level counted as one would make it 10-25).
    lines = demand_lines({"talent": talent | {"needed_by": "2027-02-01"}}, "nl")
    assert lines[0]["size"] == "tot 10 FTE"
