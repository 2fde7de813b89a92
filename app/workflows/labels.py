"""Dutch labels of the closed vocabularies that more than one ladder uses (issue 16 item 4), published with every
workflow (`vocabularies`) so that a portal needs no copy of DOMAIN.md. Wording from DOMAIN.md where it gives it.

A ladder's own vocabularies (basisvoorwaarden, weegtafel besluit, ...) are labelled in its module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from app.vocabulary import Direction, Uitstroomreden
from app.workflows.fields import Delictcategorie, Escalatiereden

DIRECTION: Mapping[Direction, str] = {
    Direction.up: "Opschalen",
    Direction.down: "Afschalen",
    Direction.lateral: "Zelfde niveau",
    Direction.close: "Afsluiten",
    Direction.reopen: "Heropenen",
}

UITSTROOMREDEN: Mapping[Uitstroomreden, str] = {
    Uitstroomreden.doel_bereikt: "Doel bereikt",
    Uitstroomreden.overgedragen_regulier: "Overgedragen aan de reguliere zorg",
    Uitstroomreden.verhuisd: "Verhuisd",
    Uitstroomreden.detentie: "Detentie",
    Uitstroomreden.overleden: "Overleden",
    Uitstroomreden.geen_medewerking: "Geen medewerking",
    Uitstroomreden.geen_grondslag: "Geen grond meer voor een gezamenlijke aanpak",
    Uitstroomreden.strafrechtelijk_afgedaan: "Strafrechtelijk afgedaan",
    Uitstroomreden.anders: "Anders (zie de toelichting)",
}

ESCALATIEREDEN: Mapping[Escalatiereden, str] = {
    Escalatiereden.stagnatie_samenwerking: "Stagnatie in de samenwerking",
    Escalatiereden.oneenigheid: "Onenigheid tussen partners",
    Escalatiereden.veiligheid_in_geding: "Veiligheid in het geding",
    Escalatiereden.complexiteit_toegenomen: "Complexiteit toegenomen",
}

DELICTCATEGORIE: Mapping[Delictcategorie, str] = {
    Delictcategorie.geweld: "Geweldsdelict",
    Delictcategorie.zeden: "Zedendelict",
    Delictcategorie.overig: "Overig delict",
}

# The AVE phases (DOMAIN.md "woonoverlast"), keyed as JSON object keys: the value itself is an integer.
AVE_FASE: Mapping[str, str] = {
    "1": "Geen problemen of vermoedens",
    "2": "Een vraag of probleem",
    "3": "Complexe problematiek op meerdere leefgebieden",
    "4": "Totale escalatie",
}

# The national intake criteria of the Zorg- en Veiligheidshuizen, met when (a and b and c) or d: AVE's intake
# (`oppakken`) and IJAM's step up to the persoonsgerichte aanpak.
CRITERIA: Mapping[str, str] = {
    "a": "Meervoudige problematiek op meer dan één leefgebied, die leidt of dreigt te leiden tot crimineel of "
         "overlastgevend gedrag of verder afglijden",
    "b": "Samenwerking tussen ketens is nodig: binnen één keten is een effectieve aanpak niet mogelijk",
    "c": "De problematiek raakt het (gezins)systeem of de directe leefomgeving, of wordt daardoor beïnvloed",
    "d": "Ernstige lokale of gebiedsgebonden veiligheidsproblematiek die een ketenoverstijgende aanpak vraagt",
}


K = TypeVar("K", bound=str)


def vocabulary(labels: Mapping[K, str]) -> dict[str, str]:
    """code -> label with the codes as plain strings (a StrEnum member is one already)."""
    return {str(code): label for code, label in labels.items()}
