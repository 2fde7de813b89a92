"""Response models of GET /v1/workflows (issue 13 item 5: no untyped bodies): the ladders as published data."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.kit.code_fields import OneOf
from app.vocabulary import CaseType, DataCategory, Direction, OrganisationKind, Role, SubjectType, Uitstroomreden
from app.workflows.codes import STATES, STEPS, TRIGGERS


class WorkflowSummary(BaseModel):
    case_type: CaseType
    label: str
    subject_type: SubjectType


class WorkflowState(BaseModel):
    code: Annotated[str, OneOf(STATES)]
    label: str
    tier: int | None = None
    step: Annotated[str, OneOf(STEPS)] | None = None
    max_dagen: int | None = Field(None, description="Days a case may stay in this state before it is overdue")
    owner_kind: OrganisationKind | None = Field(
        None, description="The level owner: the kind of organisation that holds regie or decides on this rung; "
                          "escalating into the state brings the one convenant party of that kind in. Null: no "
                          "fixed kind (see owner_named_by), or nobody (afgesloten)")
    owner_required: bool = Field(
        False, description="Escalating into this state is refused (422) when no organisation of owner_kind is "
                           "party to an active convenant covering the case type (AVE bestuurlijk_niveau)")
    owner_named_by: str | None = Field(
        None, description="The transition data key that names the owning organisation per case, where the owner "
                          "is no fixed kind (AVE casusniveau and monitoring: regie_organisation at oppakken)")
    category: DataCategory | None = Field(
        None, description="Being in this state reveals a decision of this data category: a participant without it "
                          "sees the neutral phase `In behandeling` (`state_withheld`) in cases, lists and history")
    due_before: str | None = Field(
        None, description="The case details date this state's deadline follows instead of max_dagen: due the "
                          "deployment's preparation lead (default 90 days) before it (ex_gedetineerde in_detentie: "
                          "verwachte_invrijheidstelling)")


class OrgKindRole(BaseModel):
    """A role that may fire the trigger only as staff of an organisation of this kind."""

    role: Role
    organisation_kind: OrganisationKind


class WorkflowTransition(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    trigger: Annotated[str, OneOf(TRIGGERS)]
    label: str = Field(description="The trigger's Dutch label")
    direction: Direction = Field(description="up or down the ladder (by tier where both states have one), lateral "
                                             "(a process step or a self transition), close (into afgesloten), "
                                             "reopen (out of afgesloten)")
    uitstroomreden: Uitstroomreden | None = Field(
        description="The outflow reason this closing trigger records; null for afsluiten (its data names the "
                    "reason) and for every transition that does not close")
    from_: Annotated[str, OneOf(STATES)] = Field(alias="from", serialization_alias="from")
    to: Annotated[str, OneOf(STATES)]
    roles: list[Role]
    org_kind_roles: list[OrgKindRole]
    required_data: dict[str, Any] = Field(
        description="The JSON Schema of the transition's `data` (empty: the trigger takes no data)")
    data_category: DataCategory | None = None
    guards: list[str]


class StagnationFlag(BaseModel):
    """Past `due_at` the case is flagged overdue, in every state."""

    kind: Literal["flag"]


class StagnationEscalate(BaseModel):
    """Past `due_at` in one of `from_states` the worker fires `trigger` with `data`; elsewhere the case is
    flagged."""

    kind: Literal["escalate"]
    from_states: list[Annotated[str, OneOf(STATES)]]
    trigger: str
    data: dict[str, str]
    elsewhere: Literal["flag"]


class Workflow(BaseModel):
    case_type: CaseType
    label: str
    subject_type: SubjectType
    initial_states: list[str]
    states: list[WorkflowState]
    transitions: list[WorkflowTransition]
    stagnation: StagnationFlag | StagnationEscalate = Field(discriminator="kind")
    melder_joins: bool = Field(description="Whether the organisation that reported a signal becomes a participant "
                                           "when the signal is triaged into a case of this type; if false it sees "
                                           "its signal's status only")
    regie_category: DataCategory | None = Field(
        None, description="The data category the regie holder of this ladder's cases should be granted "
                          "(ex_gedetineerde: veiligheid, for 18b meldingen); a convenant version that does not grant "
                          "it to a party of a level-owner kind carries a warning")
    vocabularies: dict[str, dict[str, str]] = Field(
        description="Dutch labels of the ladder's codes, per vocabulary: code -> label. Every ladder has `trigger`, "
                    "`direction` and `uitstroomreden`; besides, the data and details keys with a closed set of codes "
                    "(e.g. `escalatiereden`, `ave_fase`, `criteria`, `delictcategorie`). State labels are in "
                    "`states`")
    mermaid: str = Field(description="The ladder as a Mermaid state diagram")
