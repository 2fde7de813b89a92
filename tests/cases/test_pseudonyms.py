"""The pseudonymiser on its own: stable labels, whole-word, case- and diacritic-blind name matching (longest
first), ambiguous name parts, and the identifier patterns that apply to text about no subject at all."""

from __future__ import annotations

import pytest

from app.cases.pseudonyms import Pseudonymiser, fold, letters


def _world() -> Pseudonymiser:
    p = Pseudonymiser()
    assert p.person("bsn:1", "Jan de Vries") == "Persoon A"
    assert p.person("name:jan", "Jan") == "Persoon B"
    assert p.person("bsn:2", "José Álvarez") == "Persoon C"
    assert p.person("bsn:3", "Marie de Vries") == "Persoon D"
    assert p.address("6211AB", "12A") == "Adres 1"
    assert p.group("De Hangplek", "Malberg") == "Groep 1"
    return p


def test_labels_are_stable_and_counted_per_kind() -> None:
    p = _world()
    assert p.person("bsn:1", "Jan de Vries") == "Persoon A"  # the same key keeps its label
    assert p.person("bsn:1") == "Persoon A"
    assert p.address("6211 ab", "12a") == "Adres 1"  # the same address, written otherwise
    assert p.address("6211AB", "14") == "Adres 2"
    assert p.group("de hangplek") == "Groep 1"
    assert p.group("Andere Groep") == "Groep 2"
    assert [letters(i) for i in (0, 1, 25, 26, 27, 701, 702)] == ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]


@pytest.mark.parametrize(("text", "expected"), [
    # longest first: the full name before the shorter one it contains
    ("Jan de Vries belde Jan.", "Persoon A belde Persoon B."),
    # case-insensitive, and whitespace inside a name may vary
    ("JAN DE VRIES en jan  de\nvries", "Persoon A en Persoon A"),
    # whole words only: no part of Janssen, januari or Jan-Willem is replaced
    ("Janssen, januari, Jan-Willem en Jantje", "Janssen, januari, Jan-Willem en Jantje"),
    # with or without diacritics, in either direction
    ("Jose Alvarez, josé álvarez, JOSÉ", "Persoon C, Persoon C, Persoon C"),
    ("Álvarez kwam", "Persoon C kwam"),
    # a part only one person carries stands for that person; one two persons share names neither
    ("Marie zag De Vries en Vries", "Persoon D zag [naam] en [naam]"),
    # the group, also without its article, and its area
    ("de hangplek bij Hangplek in Malberg", "Groep 1 bij Groep 1 in [gebied]"),
    # the registered address: postcode with or without space, with the house number when it follows
    ("6211 AB 12A, 6211ab 12 a, 6211AB nr. 12A en 6211 AB", "Adres 1, Adres 1, Adres 1 en Adres 1"),
    # a name inside an e-mail address does not break it: the address goes whole
    ("mail jan.devries@example.nl of Jan", "mail [e-mail] of Persoon B"),
])
def test_subjects_are_replaced_in_text(text: str, expected: str) -> None:
    assert _world().scrub(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("postcode 1234 CD en 5678ef", "postcode [postcode] en [postcode]"),
    ("Kerkstraat 15b en Stationsweg 3-2", "[adres] en [adres]"),
    ("huisnummer 7 of nummer 12a", "huisnummer [huisnummer] of nummer [huisnummer]"),
    ("op 03-03-2025, 3/3/25, 2025-03-03T10:00 en 3 maart 2025", "op [datum], [datum], [datum]T10:00 en [datum]"),
    ("sinds 12 mrt. en 1 januari", "sinds [datum] en [datum]"),
    ("bel 06-12345678, 0612345678, +31 6 12345678, +31 (0)6-1234 5678", "bel [telefoon], [telefoon], [telefoon], "
                                                                        "[telefoon]"),
    ("of 043-1234567, 010 123 45 67, 0031 43 123 4567", "of [telefoon], [telefoon], [telefoon]"),
    ("BSN 123456782, 123.456.782 of 1234 56 782", "BSN [bsn], [bsn] of [bsn]"),
    ("info@zvh-limburg.nl", "[e-mail]"),
])
def test_identifiers_are_scrubbed_without_a_subject(text: str, expected: str) -> None:
    assert Pseudonymiser().scrub(text) == expected


@pytest.mark.parametrize("text", [
    "In 2025 en 2026 twaalf meldingen; versie 3, 15:30 uur, 12 keer, 50 procent.",
    "Artikel 174a Gemeentewet, niveau 2 van 4.",
    "Kosten 1.250 euro; 12345678 is te kort voor een BSN, 1234567890 te lang.",
])
def test_ordinary_text_stays(text: str) -> None:
    assert Pseudonymiser().scrub(text) == text


def test_a_common_word_in_a_name_is_no_name_on_its_own() -> None:
    p = Pseudonymiser()
    p.person("x", "Bewoner Een")
    assert p.scrub("Bewoner Een krijgt een brief; Bewoner belt.") == "Persoon A krijgt een brief; Persoon A belt."


def test_nothing_and_structures() -> None:
    p = _world()
    assert p.scrub(None) is None
    assert p.scrub_data({"reden": "Jan de Vries", "n": 3, "lijst": ["06-12345678", True], "datum": "2025-01-02"}) == {
        "reden": "Persoon A", "n": 3, "lijst": ["[telefoon]", True], "datum": "[datum]"}


def test_fold() -> None:
    assert fold("  Ümit  YILMAZ ") == "umit yilmaz"
    assert fold("José") == fold("jose")
