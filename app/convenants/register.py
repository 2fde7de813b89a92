"""The AVG art. 30 processing register, generated from the active convenants and the policies.

One record per convenant version that is `actief` and valid today: the joint controllers (the
parties), purposes, categories of data subjects (from the case types), data categories per
recipient with their AVG class, legal basis, retention and the security measures: those of `policies/`, and
two stated from what the running system does (`measures_of`): the audit log's guarantee as the ledger leaves it
(tamper-evident up to the newest signed checkpoint outside the database, when checkpoints leave it), and
destruction after the retention term only while the retention job is enabled (app/retention).
JSON for machines; Markdown (`render_markdown`) for the DPIA file.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import access
from app.audit import record as audit
from app.auth.principal import Principal
from app.config import Settings
from app.convenants.grants import active_versions
from app.convenants.models import Convenant, ConvenantVersion
from app.convenants.schemas import (
    CategoryGrantOut,
    ControllerOut,
    DataSubjectCategoryOut,
    ProcessingRecordOut,
    ProcessingRegisterOut,
    RecipientOut,
)
from app.kit import clock
from app.organisations.models import Organisation
from app.vocabulary import Action, CaseType, DataCategory, OrganisationKind, PartyRole

# Categories of data subjects (AVG art. 30(1)(c)) per case type.
DATA_SUBJECTS: dict[CaseType, str] = {
    CaseType.jeugdgroep: "jongeren in een problematische jeugdgroep en hun netwerk",
    CaseType.woonoverlast: "bewoners van een adres met (woon)overlast, hun huisgenoten en betrokken omwonenden",
    CaseType.ex_gedetineerde: "(ex-)gedetineerden die terugkeren in de gemeente en hun netwerk",
    CaseType.radicalisering: "personen over wie signalen van radicalisering of extremisme bestaan en hun netwerk",
    CaseType.ijam: "jongeren met risicogedrag of overlast (Integrale Jeugdaanpak) en hun ouders of verzorgers",
}



def _every(seconds: float) -> str:
    if seconds % 86_400 == 0:
        days = int(seconds // 86_400)
        return "dagelijks" if days == 1 else f"elke {days} dagen"
    if seconds % 3600 == 0:
        return f"elke {int(seconds // 3600)} uur"
    return f"elke {seconds:g} seconden"


def audit_measure(settings: Settings) -> str:
    """The audit log's guarantee as configured (README "The guarantee, exactly"): tamper-evident, not more."""
    log = "Hash-geketend, alleen-toevoegen auditlog van elke lees- en schrijfactie (NEN 7513)"
    places = [p for p, on in (("een alleen-toevoegen map", settings.effective_checkpoint_dir is not None),
                              ("een externe getuige", bool(settings.audit_witness_url))) if on]
    if places and settings.effective_signing_key is not None:
        return (f"{log}; manipulatie aantoonbaar (niet onweerlegbaar) tot aan het nieuwste Ed25519-ondertekende "
                f"checkpoint buiten de database ({' en '.join(places)}, {_every(settings.audit_checkpoint_interval)}"
                "); regels daarna alleen beschermd door de databaserechten en de keten")
    return (f"{log}; er verlaten geen ondertekende checkpoints de database: wie de database kan herschrijven, kan "
            "de keten herberekenen (manipulatie alleen aantoonbaar tegenover wie dat niet kan)")


def retention_measure(settings: Settings) -> str:
    """Destruction is claimed only while the retention job runs (app/retention, CASUSREGIE_RETENTION_ENABLED)."""
    if settings.retention_enabled:
        return ("Bewaartermijn per convenant (de langste toepasselijke termijn na afsluiting van de casus, plus ten "
                "hoogste twee verlengingen met reden); daarna vernietigt de worker "
                f"{_every(settings.retention_interval)} de persoonsgegevens en vrije tekst van de casus, met een "
                "verklaring van vernietiging in het auditlog")
    return ("Bewaartermijn per convenant vastgelegd; geautomatiseerde vernietiging staat in deze installatie uit "
            "(CASUSREGIE_RETENTION_ENABLED=false): na de termijn blijven de gegevens bestaan")


def measures_of(settings: Settings) -> list[str]:
    return [*access.policies().security_measures, audit_measure(settings), retention_measure(settings)]


async def build(session: AsyncSession, principal: Principal, settings: Settings) -> ProcessingRegisterOut:
    decision = access.require_role(session, principal, Action.processing_register_read,
                                   object_type="processing_register")
    pol = access.policies()
    today = clock.today()
    stmt = (active_versions(today).join(Convenant, Convenant.id == ConvenantVersion.convenant_id)
            .add_columns(Convenant).order_by(Convenant.code))
    rows = (await session.execute(stmt)).all()
    codes = {p.organisation for v, _ in rows for p in v.parties}
    orgs = {o.code: o for o in (await session.execute(
        select(Organisation).where(Organisation.code.in_(codes)))).scalars()} if codes else {}
    records: list[ProcessingRecordOut] = []
    measures = measures_of(settings)
    for v, convenant in rows:
        parties = sorted(v.parties, key=lambda p: p.organisation)
        case_types = sorted((CaseType(c.case_type) for c in v.case_types), key=list(CaseType).index)
        records.append(ProcessingRecordOut(
            convenant_id=convenant.id, code=convenant.code, version=v.version, title=v.title,
            controllers=[ControllerOut(organisation=p.organisation, name=orgs[p.organisation].name,
                                       kind=OrganisationKind(orgs[p.organisation].kind), role=PartyRole(p.role))
                         for p in parties],
            purposes=list(v.purposes),
            data_subject_categories=[DataSubjectCategoryOut(case_type=c, description=DATA_SUBJECTS[c])
                                     for c in case_types],
            recipients=[
                RecipientOut(
                    organisation=p.organisation, name=orgs[p.organisation].name, role=PartyRole(p.role),
                    data_categories=[
                        CategoryGrantOut(code=c, label=pol.categories[c].label,
                                         avg_class=pol.categories[c].avg_class)
                        for c in sorted((DataCategory(x.category) for x in p.categories),
                                        key=list(DataCategory).index)
                    ],
                )
                for p in parties
            ],
            legal_basis=v.legal_basis, retention_months=v.retention_months,
            valid_from=v.valid_from, valid_until=v.valid_until,
            security_measures=measures,
        ))
    audit.record(session, principal, Action.processing_register_read, object_type="processing_register",
                 role=decision.role,
                 detail={"convenants": [{"id": str(r.convenant_id), "version": r.version} for r in records]})
    return ProcessingRegisterOut(generated_at=clock.now(), records=records)


def _cell(value: object) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _line(value: object) -> str:
    return " ".join(str(value).split())


def render_markdown(register: ProcessingRegisterOut) -> str:
    out: list[str] = [
        "# Verwerkingsregister (AVG art. 30)",
        "",
        f"Gegenereerd op {register.generated_at.isoformat()} uit de actieve convenanten en de policies van "
        "Casusregie.",
        "",
    ]
    if not register.records:
        out += ["Er zijn op dit moment geen actieve, geldige convenanten.", ""]
    for r in register.records:
        out += [
            f"## {_line(r.title)}",
            "",
            f"- Convenant: `{r.code}`, versie {r.version} (id `{r.convenant_id}`)",
            f"- Geldig: {r.valid_from.isoformat()} tot en met {r.valid_until.isoformat()}",
            f"- Rechtsgrond: {_line(r.legal_basis)}",
            f"- Bewaartermijn: {r.retention_months} maanden na afsluiting van de casus",
            "",
            "### Verwerkingsverantwoordelijken (convenantpartijen)",
            "",
            "| Organisatie | Code | Soort | Rol |",
            "|---|---|---|---|",
            *(f"| {_cell(c.name)} | {_cell(c.organisation)} | {_cell(c.kind.value)} | {c.role.value} |"
              for c in r.controllers),
            "",
            "### Doeleinden",
            "",
            *(f"- {_line(p)}" for p in r.purposes),
            "",
            "### Categorieën betrokkenen",
            "",
            *(f"- {d.description} (`{d.case_type.value}`)" for d in r.data_subject_categories),
            "",
            "### Gegevenscategorieën per ontvanger",
            "",
            "| Ontvanger | Categorie | Omschrijving | AVG-klasse |",
            "|---|---|---|---|",
            *(f"| {_cell(rec.name)} ({_cell(rec.organisation)}) | {c.code.value} | {_cell(c.label)} | {c.avg_class} |"
              for rec in r.recipients for c in rec.data_categories),
            "",
            "### Beveiligingsmaatregelen",
            "",
            *(f"- {_line(m)}" for m in r.security_measures),
            "",
        ]
    return "\n".join(out)
