"""The chaos run's mail count: mails are told apart by their case, not by the case's short code name."""

from __future__ import annotations

from tests.chaos.__main__ import Inbox, by_case


def _inbox(*mails: tuple[str, str, str]) -> Inbox:
    """(Message-ID, code name, address) of each mail that arrived."""
    inbox = Inbox()
    for message_id, code_name, address in mails:
        inbox.by_id[message_id] += 1
        inbox.ids_of[(code_name, address)].add(message_id)
        inbox.address_of[message_id] = address
    return inbox


def test_two_cases_that_share_a_code_name_are_two_mails_not_one_sent_twice() -> None:
    inbox = _inbox(("<a@x>", "Amber Falcon 0001", "gm@enschede.nl"), ("<b@x>", "Amber Falcon 0001", "gm@enschede.nl"))
    ids_of = by_case(inbox, {"<a@x>": "case-1", "<b@x>": "case-2"})
    assert sum(len(ids) - 1 for ids in inbox.ids_of.values()) == 1  # what the code-name key made of it
    assert sum(len(ids) - 1 for ids in ids_of.values()) == 0
    assert set(ids_of) == {("case-1", "gm@enschede.nl"), ("case-2", "gm@enschede.nl")}


def test_one_case_mailed_twice_under_two_message_ids_is_still_a_duplicate() -> None:
    inbox = _inbox(("<a@x>", "Amber Falcon 0001", "gm@enschede.nl"), ("<b@x>", "Amber Falcon 0001", "gm@enschede.nl"))
    ids_of = by_case(inbox, {"<a@x>": "case-1", "<b@x>": "case-1"})
    assert sum(len(ids) - 1 for ids in ids_of.values()) == 1


def test_a_message_id_notifications_never_recorded_stays_visible_as_its_own_key() -> None:
    ids_of = by_case(_inbox(("<z@x>", "Amber Falcon 0001", "gm@enschede.nl")), {})
    assert set(ids_of) == {("unknown <z@x>", "gm@enschede.nl")}
