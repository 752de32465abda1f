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


def test_each_reason_is_said_once_and_never_quotes_the_name():
    known = name_digests("Fotonica Twente", KEY)
    problems = identity_problems("Fotonica Twente (KvK 12345678, info@ft.nl, +31 6 1234 5678)", known, KEY)
    assert problems == ["contains a number shaped like a KvK number (8 digits)", "contains an email address",
                        "contains a phone number", "names a company signalled to the programme (1 match)"]
    twice = identity_problems("fotonica twente", known | name_digests("Twente", KEY), KEY)
    assert twice == ["names a company signalled to the programme (2 matches)"]


def test_numbers_that_are_longer_or_shorter_than_a_kvk_number_or_a_phone_number_pass():
    assert identity_problems("ordernummer 123456789 en 1234567", set(), KEY) == []
    assert identity_problems("bel 06-1234567", set(), KEY) == []  # nine digits after the 0: a phone number has 10
    assert identity_problems("bel 020 123 4567", set(), KEY) == ["contains a phone number"]


def test_a_name_is_compared_by_its_words_without_accents_punctuation_or_legal_form():
    known = name_digests("Société Générale N.V.", KEY)
    assert known == name_digests("societe generale", KEY) == name_digests("SOCIETE, GENERALE!", KEY)
    assert identity_problems("bij societe generale nv", known, KEY)


def test_only_the_first_six_words_of_a_long_name_are_its_digest():
    long = "een twee drie vier vijf zes zeven"
    assert name_digests(long, KEY) == name_digests("een twee drie vier vijf zes", KEY)
    assert identity_problems("een twee drie vier vijf zes", name_digests(long, KEY), KEY)


def test_a_name_of_one_short_word_or_of_legal_forms_only_gives_no_digest_but_two_short_words_do():
    assert name_digests("B.V.", KEY) == set() and name_digests("", KEY) == set() and name_digests("Abc", KEY) == set()
    assert name_digests("Abcd", KEY) and name_digests("Ab Cd", KEY)
    assert name_digests("Acme Labs", KEY) != name_digests("Acme Labs", b"other-key")
