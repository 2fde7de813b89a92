"""Pseudonyms for the anonymised case review: a stable mapping from the case's subjects to `Persoon A`, `Adres 1`,
`Groep 1`, and `scrub(text)`, which replaces those subjects wherever free text names them and removes whatever
looks like a personal identifier even when it belongs to no subject.

Pure functions and one small class, no I/O: `cases.export` builds one `Pseudonymiser` per export, registers the
subjects, then scrubs every text. What it replaces (README "Privacy: pseudonymised case export"):

- a registered person's full name, and its parts (first name, surname with and without tussenvoegsel; not a
  tussenvoegsel or a common word such as `een` alone) where only one person of the export carries that part (a
  part two persons share, a household's surname, becomes `[naam]`); a group's name (also without a leading
  article) and its area (`[gebied]`); a registered address's postcode, with its house number when it follows;
- matching is whole-word (a hyphen counts as part of a word: `Jan` is not found in `Janssen` nor in
  `Jan-Willem`), case-insensitive and blind to diacritics (`José` also matches `Jose`), longest term first
  (`Jan de Vries` before `Jan`);
- then, for any identifier: e-mail addresses, street + house number, Dutch postcodes, `nummer 12`, dates
  (`3-3-2025`, `2025-03-03`, `3 maart 2025`), Dutch phone numbers (`06-12345678`, `+31 6 …`, `043-1234567`),
  BSN-like numbers (9 digits, also grouped with dots or spaces).

Its limit: a name that belongs to no subject of the case, or a street without a house number, is not recognised.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

PERSON = "Persoon"
ADDRESS = "Adres"
GROUP = "Groep"
AMBIGUOUS_NAME = "[naam]"
DATE = "[datum]"
AREA = "[gebied]"

# Parts of a name that say nothing on their own (tussenvoegsels, articles) are never a search term by themselves.
_PARTICLES = frozenset({
    "de", "den", "der", "van", "von", "het", "ten", "ter", "te", "in", "op", "'t", "la", "le", "du", "da", "di",
    "el", "al", "bin", "ben", "vd", "v.d.",
})
# Common Dutch words that are also found as a name part ("Bewoner Een"): searched for as part of the full name only,
# never alone, or every "een" in every text would become a person.
_COMMON_WORDS = frozenset({
    "een", "en", "met", "voor", "naar", "niet", "maar", "ook", "nog", "wel", "dan", "als", "die", "dat", "wat",
    "zijn", "haar", "hun", "mijn", "bij", "uit", "over", "door", "tot", "aan", "om", "is", "was", "heeft", "had",
    "wordt", "werd", "kan", "zal", "moet", "geen", "meer", "veel", "hier", "daar", "nu", "toen", "wie", "waar",
    "zoon", "dochter", "moeder", "vader", "broer", "zus", "man", "vrouw", "kind", "jong", "oud", "nieuw",
})
_ARTICLES = ("de ", "het ", "the ")
_MIN_PART = 3  # a name part shorter than this is not searched for alone (too many false hits)

# Letters that often lose or gain a diacritic in typed text: a name matches with or without it.
_VARIANTS = {
    "a": "aáàâäãå", "e": "eéèêë", "i": "iíìîï", "o": "oóòôöõ", "u": "uúùûü", "c": "cç", "n": "nñ", "y": "yýÿ",
}

# A word character for whole-word matching: letters, digits, underscore, and the hyphen of compound names.
_BEFORE = r"(?<![\w-])"
_AFTER = r"(?![\w-])"

_MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|"
           "jan|feb|febr|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec")
# Anchored at the start of a run (the lookbehind): a long run without an @ is tried once, not from every character.
_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_STREET = re.compile(
    r"(?<![\w-])[A-Z][\w'-]*(?:straat|weg|laan|plein|singel|gracht|kade|dijk|pad|hof|steeg|dreef|markt|park|"
    r"plantsoen|baan|ring|allee|wal|veld|erf|burg|haven|boulevard)\s+\d+(?:\s?[A-Za-z](?![\w-])|-\d+)?(?![\w-])")
_POSTCODE = re.compile(r"(?<![\w-])[1-9]\d{3}(?: ?[A-Z]{2}|[a-z]{2})(?![\w-])")
_HOUSE_NUMBER = re.compile(r"(?<![\w-])(huisnummer|nummer|nr\.?)(\s*)\d+(?:\s?[A-Za-z](?![\w-])|-\d+)?(?![\w-])",
                           re.IGNORECASE)
_DATES = (
    re.compile(r"(?<![\w-])\d{4}-\d{1,2}-\d{1,2}(?:(?=T\d)|(?![\w-]))"),  # 2025-03-03 (also of 2025-03-03T10:00)
    re.compile(r"(?<![\w-])\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})(?![\w-]|[./]\d)"),  # 3-3-2025, 03/03/25
    re.compile(rf"(?<![\w-])\d{{1,2}}\s+(?:{_MONTHS})\.?(?:\s+\d{{4}})?(?![\w-])", re.IGNORECASE),  # 3 maart 2025
)
_PHONES = (
    # +31 6 12345678, 0031 (0)43-1234567: the country code, then nine digits with separators.
    re.compile(r"(?<![\w+])(?:\+|00)31[\s.-]?(?:\(0\)[\s.-]?)?\d(?:[\s.-]?\d){8}(?!\d)"),
    # 06-12345678, 043-1234567, 010 123 45 67: a 0, then nine digits with separators.
    re.compile(r"(?<![\w+])\(?0\d(?:\)?[\s.-]?\d){8}(?!\d)"),
)
# Nine digits, also grouped with dots or spaces (123.456.789, 1234 56 789): a BSN or looks like one.
_BSN = re.compile(r"(?<![\w.-])\d(?:[. ]?\d){8}(?![\w-]|[.]\d)")


def fold(text: str) -> str:
    """The comparison form of a term: no diacritics, case-folded, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def _term_pattern(term: str) -> str:
    """A regular expression for a folded term: any whitespace between words, each letter with or without its
    diacritics (the match is case-insensitive)."""
    out = []
    for char in term:
        if char == " ":
            out.append(r"\s+")
        elif char in _VARIANTS:
            out.append(f"[{_VARIANTS[char]}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def letters(n: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the person labels."""
    label = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        label = chr(ord("A") + rest) + label
    return label


def _postcode_pattern(postcode: str) -> str:
    compact = postcode.replace(" ", "").upper()
    return re.escape(compact[:4]) + r"\s?" + re.escape(compact[4:])


def _house_number_pattern(house_number: str) -> str:
    # 12A, 12 A, 12a, 12-1, 12 - 1
    parts = re.findall(r"\d+|[A-Za-z]+", house_number)
    return r"\s*-?\s*".join(re.escape(p) for p in parts)


class Pseudonymiser:
    """The stable pseudonyms of one export. Register every subject first (`person`, `address`, `group`), then
    `scrub` texts; a subject registered twice under the same key keeps its pseudonym."""

    def __init__(self) -> None:
        self._persons: dict[str, str] = {}
        self._addresses: dict[str, str] = {}
        self._groups: dict[str, str] = {}
        self._full: dict[str, str] = {}  # folded full name -> its label
        self._parts: dict[str, set[str]] = {}  # folded name part -> the labels carrying it
        self._address_terms: list[tuple[str, str]] = []  # (pattern, label)
        self._compiled: tuple[re.Pattern[str] | None, dict[str, str], re.Pattern[str] | None] | None = None

    # Registration ------------------------------------------------------------------------------------------------

    def person(self, key: str, name: str | None = None) -> str:
        """The label of the person known by `key` (e.g. its BSN hash, or its row id): `Persoon A`, `Persoon B` …"""
        label = self._persons.get(key)
        if label is None:
            label = self._persons[key] = f"{PERSON} {letters(len(self._persons))}"
        if name:
            self._name(name, label, parts=True)
        return label

    def address(self, postcode: str | None, house_number: str | None) -> str:
        key = f"{(postcode or '').replace(' ', '').upper()}|{fold(house_number or '')}"
        label = self._addresses.get(key)
        if label is None:
            label = self._addresses[key] = f"{ADDRESS} {len(self._addresses) + 1}"
            if postcode:
                pattern = _postcode_pattern(postcode)
                if house_number:
                    pattern += r"(?:[\s,]+(?:nr\.?\s*|nummer\s+)?" + _house_number_pattern(house_number) + ")?"
                self._address_terms.append((pattern, label))
                self._compiled = None
        return label

    def group(self, name: str, area: str | None = None) -> str:
        """A group's label; its area (a neighbourhood, where it gathers) is replaced by `[gebied]` in texts."""
        if area and fold(area) and fold(area) not in self._full:
            self._full[fold(area)] = AREA
            self._compiled = None
        key = fold(name)
        label = self._groups.get(key)
        if label is None:
            label = self._groups[key] = f"{GROUP} {len(self._groups) + 1}"
            self._name(name, label, parts=False)
            for article in _ARTICLES:
                if key.startswith(article) and len(key) - len(article) >= _MIN_PART + 1:
                    self._name(key[len(article):], label, parts=False)
        return label

    def _name(self, name: str, label: str, *, parts: bool) -> None:
        full = fold(name)
        if not full:
            return
        self._full.setdefault(full, label)
        self._compiled = None
        if not parts:
            return
        words = full.split()
        if len(words) < 2:
            return
        candidates = {words[0], words[-1], " ".join(words[1:])}
        # The surname without its tussenvoegsels too ("de vries" and "vries" of "jan de vries").
        rest = words[1:]
        while rest and rest[0] in _PARTICLES:
            rest = rest[1:]
        if rest:
            candidates.add(" ".join(rest))
        for part in candidates:
            if len(part) >= _MIN_PART and part not in _PARTICLES and part not in _COMMON_WORDS:
                self._parts.setdefault(part, set()).add(label)

    # Scrubbing ---------------------------------------------------------------------------------------------------

    def _patterns(self) -> tuple[re.Pattern[str] | None, dict[str, str], re.Pattern[str] | None]:
        if self._compiled is None:
            table = dict(self._full)
            for part, labels in self._parts.items():
                if part not in table:
                    table[part] = next(iter(labels)) if len(labels) == 1 else AMBIGUOUS_NAME
            terms = sorted(table, key=lambda t: (-len(t), t))  # longest first: "jan de vries" before "jan"
            names = (re.compile(_BEFORE + "(?:" + "|".join(_term_pattern(t) for t in terms) + ")" + _AFTER,
                                re.IGNORECASE) if terms else None)
            addresses = (re.compile("|".join(f"(?P<a{i}>{_BEFORE}{p}{_AFTER})"
                                             for i, (p, _) in enumerate(self._address_terms)), re.IGNORECASE)
                         if self._address_terms else None)
            self._compiled = (names, table, addresses)
        return self._compiled

    def scrub(self, text: str | None) -> str | None:
        """`text` with every registered subject replaced by its pseudonym and every identifier-like string by a
        placeholder. Order matters: e-mail addresses first (a name inside one must not break it), the subjects'
        addresses before any postcode, dates before phone numbers and BSNs (digits with separators)."""
        if text is None:
            return None
        names, table, addresses = self._patterns()
        out = unicodedata.normalize("NFC", text)
        out = _EMAIL.sub("[e-mail]", out)
        if addresses is not None:
            labels = [label for _, label in self._address_terms]
            out = addresses.sub(lambda m: labels[int((m.lastgroup or "a0")[1:])], out)
        out = _STREET.sub("[adres]", out)
        out = _POSTCODE.sub("[postcode]", out)
        out = _HOUSE_NUMBER.sub(lambda m: f"{m.group(1)}{m.group(2) or ' '}[huisnummer]", out)
        for pattern in _DATES:
            out = pattern.sub(DATE, out)
        for pattern in _PHONES:
            out = pattern.sub("[telefoon]", out)
        out = _BSN.sub("[bsn]", out)
        if names is not None:
            out = names.sub(lambda m: table.get(fold(m.group(0)), AMBIGUOUS_NAME), out)
        return out

    def scrub_data(self, value: Any) -> Any:
        """A JSON value (transition data, case details) with every string in it scrubbed; keys are codes and stay."""
        return _walk(value, self.scrub)


def _walk(value: Any, scrub: Callable[[str], str | None]) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _walk(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, scrub) for v in value]
    return value
