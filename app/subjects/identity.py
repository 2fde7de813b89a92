"""Identity rules for subjects: BSN elfproef and keyed hash, postcode and group-name normalisation.

The BSN is never stored: only HMAC-SHA256(server key, bsn), so two partners' signals about the same
person match without the number being readable from the database.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s*([A-Za-z]{2})$")
_HOUSE_NUMBER = re.compile(r"^[1-9][0-9]{0,4}(?:[ -]?[A-Za-z0-9]{1,4})?$")


def bsn_valid(bsn: str) -> bool:
    """Elfproef: 9 digits, sum(d_i * w_i) with weights 9..2 and -1 for the last, divisible by 11."""
    if not re.fullmatch(r"[0-9]{9}", bsn) or bsn == "000000000":
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    total = sum(int(d) * w for d, w in zip(bsn, weights, strict=True))
    return total % 11 == 0


def bsn_hash(bsn: str, key: str) -> str:
    return hmac.new(key.encode("utf-8"), bsn.encode("ascii"), hashlib.sha256).hexdigest()


def normalise_postcode(value: str) -> str | None:
    """'6211 ab' -> '6211AB'; None when it is not a Dutch postcode."""
    m = _POSTCODE.match(value.strip())
    return f"{m.group(1)}{m.group(2).upper()}" if m else None


def normalise_house_number(value: str) -> str | None:
    v = value.strip()
    return v.upper().replace(" ", "").replace("-", "") if _HOUSE_NUMBER.match(v) else None


def normalise_group_name(value: str) -> str:
    """Case, diacritics, punctuation and spacing do not make a different group: 'De Kéiers ' == 'de keiers'."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", stripped.lower()).split())


def address_key(postcode: str, house_number: str) -> str:
    return f"adres:{postcode}:{house_number}"


def group_key(name: str) -> str:
    return f"groep:{normalise_group_name(name)}"


def person_key(hashed_bsn: str) -> str:
    return f"bsn:{hashed_bsn}"


def match_keys(match_key: str | None, subject_type: str, postcode: str | None,
               house_number: str | None) -> tuple[str, ...]:
    """What a subject is matched on: its own key, and for a person whose address is known that address too (a
    resident matches what partners report on the house)."""
    keys = [match_key] if match_key else []
    if subject_type == "persoon" and postcode and house_number:
        keys.append(address_key(postcode, house_number))
    return tuple(keys)


def address_of(key: str) -> tuple[str, str] | None:
    """The (postcode, house number) of an address key, else None."""
    kind, _, rest = key.partition(":")
    postcode, _, number = rest.partition(":")
    return (postcode, number) if kind == "adres" and postcode and number else None
