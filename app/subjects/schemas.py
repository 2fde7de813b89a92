"""Subject input (persoon / adres / groep) with validation, and output filtered by data category."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.code_fields import InlineCode
from app.kit.moments import Day
from app.kit.text_fields import NonBlankText, StrippedText
from app.subjects.identity import bsn_valid, normalise_house_number, normalise_postcode
from app.vocabulary import SubjectType

Name = Annotated[str, NonBlankText(200)]
Area = Annotated[str, StrippedText(200)]


def _past_date(value: date | None) -> date | None:
    if value is not None and (value > date.today() or value.year < 1900):
        raise ValueError("birth_date must be a real date in the past")
    return value


def _bsn_checked(value: str | None) -> str | None:
    if value is not None and not bsn_valid(value.strip()):
        raise ValueError("not a valid BSN (elfproef)")
    return value.strip() if value else None


def _postcode(value: str) -> str:
    normalised = normalise_postcode(value)
    if normalised is None:
        raise ValueError("not a Dutch postcode (1234AB)")
    return normalised


def _house_number(value: str) -> str:
    normalised = normalise_house_number(value)
    if normalised is None:
        raise ValueError("not a house number (12, 12A, 12-1)")
    return normalised


class PersonAddressIn(BaseModel):
    """Where a person lives, as a signal about a resident knows it: the person then also matches what partners
    report on that address (a police signal about a resident and the corporation's signal on the house)."""

    model_config = ConfigDict(extra="forbid")

    postcode: str
    house_number: str

    _pc = field_validator("postcode")(_postcode)
    _nr = field_validator("house_number")(_house_number)


class PersonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal[SubjectType.persoon]
    bsn: str | None = Field(default=None, description="Checked with the elfproef; stored only as a keyed hash")
    name: Name | None = None
    birth_date: Day | None = None
    address: PersonAddressIn | None = None

    _bsn = field_validator("bsn")(_bsn_checked)

    _birth = field_validator("birth_date")(_past_date)


class MemberIn(BaseModel):
    """A member of a group (jeugdgroep namenlijst) or a person of a household: a person subject of its own, so
    that every member is matchable (with a BSN), countable and in its own access log."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    birth_date: Day | None = None
    bsn: str | None = Field(default=None, description="Checked with the elfproef; stored only as a keyed hash")

    _birth = field_validator("birth_date")(_past_date)

    _bsn = field_validator("bsn")(_bsn_checked)


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal[SubjectType.adres]
    postcode: str
    house_number: str
    persons: list[MemberIn] = Field(default_factory=list, max_length=50, description="Household members")

    _pc = field_validator("postcode")(_postcode)
    _nr = field_validator("house_number")(_house_number)


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal[SubjectType.groep]
    name: Name
    area: Area | None = None
    members: list[MemberIn] = Field(default_factory=list, max_length=200)


SubjectIn = Annotated[PersonIn | AddressIn | GroupIn, Field(discriminator="type")]


class SubjectOut(BaseModel):
    """Identifying fields (name, birth date, address) appear only with the `identificatie` category."""

    id: uuid.UUID
    type: Annotated[SubjectType, InlineCode(SubjectType)]
    name: str | None = None
    birth_date: date | None = None
    postcode: str | None = None
    house_number: str | None = None
    area: str | None = None
    member_of: uuid.UUID | None = None
    withheld: bool = Field(default=False, description="True when identifying fields were left out by the convenant")
