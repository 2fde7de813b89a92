"""The domain codes of DOMAIN.md as StrEnums: the API's vocabulary, kept exactly (Dutch).

Every closed set of codes is written here once; frozensets, `Literal`s and column types derive from these.
Imports nothing from app/."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    procesregisseur = "procesregisseur"
    casusregisseur = "casusregisseur"
    medewerker = "medewerker"
    melder = "melder"
    bestuurder = "bestuurder"
    beheerder = "beheerder"
    auditor = "auditor"


class OrganisationKind(StrEnum):
    zvh = "zvh"
    gemeente = "gemeente"
    politie = "politie"
    om = "om"
    reclassering = "reclassering"
    ggz = "ggz"
    jeugdzorg = "jeugdzorg"
    veilig_thuis = "veilig_thuis"
    rvdk = "rvdk"
    woningcorporatie = "woningcorporatie"
    onderwijs = "onderwijs"
    halt = "halt"
    welzijn = "welzijn"
    dji = "dji"
    overig = "overig"


class DataCategory(StrEnum):
    identificatie = "identificatie"
    wonen = "wonen"
    sociaal_domein = "sociaal_domein"
    onderwijs = "onderwijs"
    zorg = "zorg"
    politie = "politie"
    justitie = "justitie"
    veiligheid = "veiligheid"


class CaseType(StrEnum):
    jeugdgroep = "jeugdgroep"
    woonoverlast = "woonoverlast"
    ex_gedetineerde = "ex_gedetineerde"
    radicalisering = "radicalisering"
    ijam = "ijam"


class SubjectType(StrEnum):
    persoon = "persoon"
    adres = "adres"
    groep = "groep"


class ConvenantStatus(StrEnum):
    concept = "concept"
    actief = "actief"
    beeindigd = "beeindigd"
    # An active version replaced by a newer activated version.
    vervangen = "vervangen"


class PartyRole(StrEnum):
    kernpartner = "kernpartner"
    casuspartner = "casuspartner"


class SignalStatus(StrEnum):
    ontvangen = "ontvangen"
    gekoppeld = "gekoppeld"
    afgewezen = "afgewezen"


class TriageDecision(StrEnum):
    nieuwe_casus = "nieuwe_casus"
    koppelen = "koppelen"
    afwijzen = "afwijzen"


class RejectionReason(StrEnum):
    """Why triage rejected a signal (`afwijzen`), as the melder's organisation is told it: a code, since the
    free-text `reason` is the triaging side's own note and may speak of other partners' information."""

    buiten_doelgroep = "buiten_doelgroep"  # not for the joint approach of the care and safety house
    onvoldoende_informatie = "onvoldoende_informatie"
    al_bekend = "al_bekend"  # already known through another signal or case
    regulier_opgepakt = "regulier_opgepakt"  # taken up in regular care or by one partner alone
    geen_grondslag = "geen_grondslag"  # no legal basis for sharing or a joint approach
    anders = "anders"


class MelderStatus(StrEnum):
    """Where a signal stands as its melder's organisation sees it, derived from the stored signal status, the
    triage decision and the case's progress (README "Signals in the case and feedback"); never the case's state."""

    ontvangen = "ontvangen"
    in_behandeling = "in_behandeling"
    opgepakt = "opgepakt"
    gekoppeld = "gekoppeld"
    afgewezen = "afgewezen"


class MatchKind(StrEnum):
    signaal = "signaal"
    casus = "casus"


class ParticipantBasis(StrEnum):
    """Why an organisation takes part in a case: it opened it, holds regie, or was invited."""

    opener = "opener"
    regie = "regie"
    deelnemer = "deelnemer"


class PlanStatus(StrEnum):
    concept = "concept"
    vastgesteld = "vastgesteld"


class ActionStatus(StrEnum):
    """Status of one action of a plan van aanpak. The owning partner moves it between the first four
    (PATCH …/plan/actions/{id}); `vervallen` is the plan author's, dropping an action in a new plan version."""

    open = "open"
    in_uitvoering = "in_uitvoering"
    gereed = "gereed"
    niet_gelukt = "niet_gelukt"
    vervallen = "vervallen"


# Still to be done: an action in one of these is overdue once its due date has passed (work lists, counts).
UNFINISHED_ACTION_STATUSES = frozenset({ActionStatus.open, ActionStatus.in_uitvoering})
# What a partner may set on its own action; `vervallen` only comes with a new plan version.
SETTABLE_ACTION_STATUSES = (ActionStatus.open, ActionStatus.in_uitvoering, ActionStatus.gereed,
                            ActionStatus.niet_gelukt)


class WorkReason(StrEnum):
    """Why a case is on an organisation's work list (GET /v1/work/cases)."""

    # The organisation holds regie on the case.
    regie = "regie"
    # The organisation's kind owns the case's current rung (DOMAIN.md "Regie and level owners"): a decision there
    # is its to take, whoever holds regie.
    niveau = "niveau"


# English codes, as issue 16 spells them; the docstrings of these two are published in the contract.
class Direction(StrEnum):
    """Which way a transition moves a case: up or down the ladder, sideways, closing it or reopening it."""

    up = "up"
    down = "down"
    # Same rung, or a process step that neither escalates nor de-escalates (a self transition too).
    lateral = "lateral"
    close = "close"
    reopen = "reopen"


class Uitstroomreden(StrEnum):
    """Why a case was closed (its outflow reason)."""

    doel_bereikt = "doel_bereikt"
    overgedragen_regulier = "overgedragen_regulier"
    verhuisd = "verhuisd"
    detentie = "detentie"
    overleden = "overleden"
    geen_medewerking = "geen_medewerking"
    geen_grondslag = "geen_grondslag"
    strafrechtelijk_afgedaan = "strafrechtelijk_afgedaan"
    anders = "anders"


class BestuurlijkeMaatregel(StrEnum):
    """A bestuurlijke maatregel the burgemeester takes at AVE bestuurlijk niveau (woonoverlast)."""

    gedragsaanwijzing = "gedragsaanwijzing"  # art. 151d Gemeentewet
    woningsluiting = "woningsluiting"  # art. 174a Gemeentewet
    bestuurlijke_waarschuwing = "bestuurlijke_waarschuwing"
    anders = "anders"


class MaatregelStatus(StrEnum):
    """Where a bestuurlijke maatregel stands; each registration records one status, the list keeps them all."""

    voorgenomen = "voorgenomen"
    opgelegd = "opgelegd"
    ingetrokken = "ingetrokken"
    uitgevoerd = "uitgevoerd"


class MeetingType(StrEnum):
    """The meetings in which decisions on cases are taken (DOMAIN.md "Meetings")."""

    casusoverleg = "casusoverleg"
    weegtafel = "weegtafel"
    driehoek = "driehoek"
    netwerkoverleg = "netwerkoverleg"
    knooppunt_school = "knooppunt_school"
    jonge_aanwas = "jonge_aanwas"
    ave_overleg = "ave_overleg"


class MeetingStatus(StrEnum):
    """gepland -> gehouden -> vastgesteld (the besluitenlijst adopted: from then on only corrections)."""

    gepland = "gepland"
    gehouden = "gehouden"
    vastgesteld = "vastgesteld"


class MonitorIndicator(StrEnum):
    """The monitor report's indicators (DOMAIN.md "Monitor indicators", GET /v1/reports/monitor), in report order."""

    jeugdgroepen_in_beeld = "jeugdgroepen_in_beeld"
    unieke_subjecten_in_beeld = "unieke_subjecten_in_beeld"
    plannen_van_aanpak_jeugdgroepen = "plannen_van_aanpak_jeugdgroepen"
    jeugd_opgeschaald_pga = "jeugd_opgeschaald_pga"
    woonoverlast_aangepakt = "woonoverlast_aangepakt"
    ave_escalaties = "ave_escalaties"
    signalen_radicalisering = "signalen_radicalisering"
    beheersmaatregelen_ex_gedetineerden = "beheersmaatregelen_ex_gedetineerden"
    signalen_per_bron = "signalen_per_bron"
    doorlooptijd_mediaan_dagen = "doorlooptijd_mediaan_dagen"
    doorlooptijd_p90_dagen = "doorlooptijd_p90_dagen"
    escalaties = "escalaties"
    uitstroom = "uitstroom"
    stagnaties = "stagnaties"
    acties_over_termijn = "acties_over_termijn"


class ReportUnit(StrEnum):
    aantal = "aantal"
    dagen = "dagen"


class ReportGrouping(StrEnum):
    """How a report splits its period: by calendar month (UTC)."""

    month = "month"


class StagnationKind(StrEnum):
    flag = "flag"
    escalate = "escalate"


class AuditOutcome(StrEnum):
    allowed = "allowed"
    denied = "denied"


class Action(StrEnum):
    """What a role may do (`resource:verb`): policies/roles.yaml declares exactly these (checked at start-up)."""

    organisation_create = "organisation:create"
    organisation_read = "organisation:read"
    audit_read = "audit:read"
    audit_verify = "audit:verify"
    convenant_create = "convenant:create"
    convenant_read = "convenant:read"
    convenant_update = "convenant:update"
    convenant_activate = "convenant:activate"
    convenant_terminate = "convenant:terminate"
    policy_read = "policy:read"
    processing_register_read = "processing_register:read"
    workflow_read = "workflow:read"
    case_create = "case:create"
    case_read = "case:read"
    case_list = "case:list"
    case_update = "case:update"
    case_transition = "case:transition"
    case_export = "case:export"
    participant_read = "participant:read"
    participant_create = "participant:create"
    participant_delete = "participant:delete"
    note_read = "note:read"
    note_create = "note:create"
    plan_read = "plan:read"
    plan_write = "plan:write"
    # A partner sets the status of its own plan action (no new plan version).
    plan_action_update = "plan_action:update"
    history_read = "history:read"
    signal_create = "signal:create"
    signal_read = "signal:read"
    signal_read_own = "signal:read_own"
    signal_triage = "signal:triage"
    signal_feedback = "signal:feedback"
    report_read = "report:read"
    subscription_manage = "subscription:manage"
    subject_access_log = "subject:access_log"
    subject_export = "subject:export"
    meeting_create = "meeting:create"
    meeting_read = "meeting:read"
    meeting_update = "meeting:update"
    meeting_decide = "meeting:decide"
    # Postpone a case's destruction (app/retention): the procesregisseur taking part, at most twice per case.
    case_retention_extend = "case:retention_extend"


class AuditAction(StrEnum):
    """Audit entry actions that are no permission of their own: reads allowed by an `Action`, recorded under
    a name of their own so that the log says what was read (a list, the versions, the triggers on offer).

    An audit entry's action is an `Action` or one of these."""

    workflow_list = "workflow:list"
    organisation_list = "organisation:list"
    convenant_list = "convenant:list"
    convenant_versions = "convenant:versions"
    case_transitions = "case:transitions"
    participant_list = "participant:list"
    note_list = "note:list"
    plan_versions = "plan:versions"
    # The work lists (GET /v1/work/actions, /v1/work/cases): reads allowed by plan:read and case:list.
    work_actions = "work:actions"
    work_cases = "work:cases"
    signal_list = "signal:list"
    # The signals behind a case, read by a participant (allowed by case:read).
    case_signals = "case:signals"
    meeting_list = "meeting:list"
    meeting_besluitenlijst = "meeting:besluitenlijst"
    # Finding a person for a data-subject request (POST /v1/subjects/search): allowed by subject:access_log.
    subject_search = "subject:search"
    # The worker flagged a case overdue (its ladder's stagnation rule: flag), actor `systeem`.
    case_overdue = "case:overdue"
    # The worker destroyed a case's personal data after its retention term (app/retention), actor `systeem`:
    # the entry is the verklaring van vernietiging (ids, tables and fields, counts, the retention basis).
    case_destroy = "case:destroy"


AuditedAction = Action | AuditAction
