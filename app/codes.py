"""Domain codes of DOMAIN.md as enums: the API's vocabulary, kept exactly (Dutch)."""

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
