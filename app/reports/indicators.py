"""The monitor indicators: code, the Dutch wording the Uitvoeringsplan Veiligheid and the council report use,
unit, and whether it is a figure of a period or of now (DOMAIN.md "Monitor indicators"). Report order is the
order of `MonitorIndicator`."""

from __future__ import annotations

from dataclasses import dataclass

from app.vocabulary import MonitorIndicator, ReportUnit

M = MonitorIndicator


@dataclass(frozen=True)
class Indicator:
    code: MonitorIndicator
    label: str
    unit: ReportUnit = ReportUnit.aantal
    # A figure of the moment the report is made (cases over their term now), not of the period.
    now: bool = False


INDICATORS: tuple[Indicator, ...] = (
    Indicator(M.jeugdgroepen_in_beeld, "Aantal jeugdgroepen in beeld conform 7-stappenmodel"),
    Indicator(M.unieke_subjecten_in_beeld, "Aantal unieke subjecten in beeld conform 7-stappenmodel"),
    Indicator(M.plannen_van_aanpak_jeugdgroepen, "Aantal vastgestelde plannen van aanpak jeugdgroepen"),
    Indicator(M.jeugd_opgeschaald_pga,
              "Aantal jeugd overlastcasus opgeschaald voor een persoonsgerichte aanpak"),
    Indicator(M.woonoverlast_aangepakt, "Aantal casus woonoverlast aangepakt"),
    Indicator(M.ave_escalaties, "Aantal escalaties woonoverlast (AVE) per niveau en reden"),
    Indicator(M.signalen_radicalisering, "Aantal signalen radicalisering"),
    Indicator(M.beheersmaatregelen_ex_gedetineerden,
              "Aantal casus van personen met een veiligheidsrisico waarvoor beheersmaatregelen zijn getroffen"),
    Indicator(M.signalen_per_bron, "Aantal signalen per bron"),
    Indicator(M.doorlooptijd_mediaan_dagen, "Doorlooptijd per fase in dagen, mediaan", ReportUnit.dagen),
    Indicator(M.doorlooptijd_p90_dagen, "Doorlooptijd per fase in dagen, 90e percentiel", ReportUnit.dagen),
    Indicator(M.escalaties, "Aantal op- en afschalingen per niveau en reden"),
    Indicator(M.uitstroom, "Aantal afgesloten casussen per uitstroomreden"),
    Indicator(M.stagnaties, "Aantal casussen over de termijn van hun fase (stagnaties)", now=True),
    Indicator(M.acties_over_termijn, "Aantal acties uit plannen van aanpak over de termijn, per organisatie",
              now=True),
)
