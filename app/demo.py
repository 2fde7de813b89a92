"""Fictional demo data for `casusregie demo`: organisations (and, as they are built, convenants and cases).

Everything is made up; no real person or address. Data goes in through the services, so the demo's
audit log is a real chain from the first entry.
"""

from __future__ import annotations

import asyncio

from app.auth import issue_dev_token
from app.config import Settings
from app.db import Database
from app.migrations_state import upgrade_to_head
from app.organisations import service as organisations
from app.organisations.schemas import OrganisationCreate
from app.principal import Principal

DEMO_ORGANISATIONS = [
    ("zvh-mh", "Zorg- en Veiligheidshuis Maastricht-Heuvelland", "zvh"),
    ("gemeente-maastricht", "Gemeente Maastricht (OOV)", "gemeente"),
    ("politie-limburg", "Politie Limburg, basisteam Maastricht", "politie"),
    ("om-limburg", "Openbaar Ministerie Limburg", "om"),
    ("reclassering-zuid", "Reclassering Zuid", "reclassering"),
    ("ggz-zuid", "GGZ Zuid (fictief)", "ggz"),
    ("jeugdzorg-zuid", "Jeugdzorg Zuid (fictief)", "jeugdzorg"),
    ("veilig-thuis-zl", "Veilig Thuis Zuid-Limburg", "veilig_thuis"),
    ("woonpunt", "Woonpunt (woningcorporatie)", "woningcorporatie"),
    ("school-noord", "Scholengemeenschap Noord (fictief)", "onderwijs"),
]

DEMO_USERS = [
    ("procesregisseur @ zvh-mh", "zvh-mh", ["procesregisseur"], "demo-procesregisseur"),
    ("casusregisseur @ gemeente-maastricht", "gemeente-maastricht", ["casusregisseur"], "demo-casusregisseur"),
    ("medewerker @ politie-limburg", "politie-limburg", ["medewerker"], "demo-politie"),
    ("medewerker @ woonpunt", "woonpunt", ["medewerker"], "demo-woonpunt"),
    ("melder @ woonpunt", "woonpunt", ["melder"], "demo-melder"),
    ("bestuurder @ gemeente-maastricht", "gemeente-maastricht", ["bestuurder"], "demo-bestuurder"),
    ("beheerder @ zvh-mh", "zvh-mh", ["beheerder"], "demo-beheerder"),
    ("auditor @ zvh-mh", "zvh-mh", ["auditor"], "demo-auditor"),
]


async def seed(settings: Settings) -> None:
    from app import access

    access.configure(access.load_policies(settings.policies_dir))
    db = Database(settings)
    beheerder = Principal(sub="demo-seed", org="zvh-mh", roles=("beheerder",))
    try:
        async with db.unit_of_work() as session:
            for code, name, kind in DEMO_ORGANISATIONS:
                await organisations.create(session, beheerder, OrganisationCreate(code=code, name=name, kind=kind))
    finally:
        await db.dispose()


def prepare_demo(settings: Settings) -> list[tuple[str, str]]:
    upgrade_to_head(settings)
    asyncio.run(seed(settings))
    return [(label, issue_dev_token(settings, org=org, roles=roles, sub=sub)) for label, org, roles, sub in DEMO_USERS]
