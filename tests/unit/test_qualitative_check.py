"""The identity check of the coordinator's notes: known company names (as keyed hashes), KvK-like numbers."""

from services.reporting.qualitative.domain import identity_problems, name_digests

KEY = b"test-key"


def test_a_known_company_name_is_refused_in_any_case_or_spelling_without_keeping_the_name():
    known = name_digests("Fotonica Twente B.V.", KEY)
    assert known and not any("fotonica" in d for d in known)
    assert identity_problems("Het bedrijf FOTONICA twente koos voor Zuid vanwege netcapaciteit.", known, KEY)
    assert identity_problems("Fotonica Twente BV vertrok.", known, KEY)
    assert not identity_problems("Een fotonicabedrijf uit Twente koos voor Zuid vanwege netcapaciteit.", known, KEY)


def test_kvk_like_numbers_emails_and_phone_numbers_are_refused():
    assert identity_problems("KvK 1234 5678 gaf de doorslag", set(), KEY)
    assert identity_problems("mail cfo@example.nl", set(), KEY)
    assert identity_problems("bel 06-12345678", set(), KEY)
    assert not identity_problems("In 2026 kozen 3 bedrijven voor een campus met cleanroom.", set(), KEY)


def test_a_short_common_word_as_name_is_not_a_reason_to_refuse_every_text():
    assert name_digests("Ace", KEY) == set()
