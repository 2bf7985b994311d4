"""What a document of a given issuing country and type carries: MRZ, barcode, printed fields.

A data table, not code: the checks ask `document_profile(country, id_type)` whether an MRZ or
a PDF417 is expected (and where), and which printed fields must be readable.

- passport: a TD3 MRZ on the data page (the front), everywhere (ICAO 9303 part 4).
- government_id: a TD1 MRZ on the back for the countries in `TD1_ID_CARD_COUNTRIES` (EU/EEA and
  Swiss cards under Regulation (EU) 2019/1157 and ICAO 9303 part 5, the ICAO specimen country
  UTO, and the other issuers listed there); no MRZ elsewhere (e.g. KOR, USA, JPN, CHN, IND).
- drivers_license: a PDF417 (AAMVA DL/ID standard) on the back for USA, CAN and MEX; nothing
  machine-readable elsewhere (EU licences carry no MRZ or PDF417).

Extend the lists here when a new issuer is supported; nothing else needs to change.
"""

from dataclasses import dataclass, field, replace

PASSPORT, GOVERNMENT_ID, DRIVERS_LICENSE, UNIVERSAL = "passport", "government_id", "drivers_license", "universal"
ID_TYPES = (PASSPORT, GOVERNMENT_ID, DRIVERS_LICENSE)

EU_EEA = frozenset({
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL", "ITA",
    "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE",  # EU
    "ISL", "LIE", "NOR",  # EEA
})
# ID cards with a TD1 MRZ on the back: EU/EEA, Switzerland, the ICAO specimen state, and other
# issuers whose national ID card follows ICAO 9303 part 5.
TD1_ID_CARD_COUNTRIES = EU_EEA | frozenset({
    "CHE", "UTO", "ALB", "MKD", "MNE", "MDA", "UKR", "TUR", "GEO", "ARM", "SRB", "BIH",
})
AAMVA_COUNTRIES = frozenset({"USA", "CAN", "MEX"})

# Printed visual-zone fields each type carries (the `missing_*` codes are answered for these).
# A licence prints no personal (identity) number; passports and ID cards do where the issuer
# assigns one, so `personal_number` is listed per country below.
PRINTED_FIELDS = {
    PASSPORT: frozenset({"name", "document_number", "birth_date", "expiry_date", "issue_date"}),
    GOVERNMENT_ID: frozenset({"name", "document_number", "birth_date", "expiry_date", "issue_date"}),
    DRIVERS_LICENSE: frozenset({"name", "document_number", "birth_date", "expiry_date", "issue_date"}),
}
# Issuers that print a personal (national identity) number on passports and ID cards.
PERSONAL_NUMBER_COUNTRIES = frozenset({
    "UTO", "BEL", "BGR", "HRV", "CZE", "EST", "FIN", "ITA", "LVA", "LTU", "NLD", "POL", "PRT", "ROU",
    "SVK", "SVN", "ESP", "SWE", "NOR", "ISL", "TUR", "UKR", "KOR",
})

# Words that identify each layout when printed (title lines in English and in the issuer's language).
KEYWORDS = {
    PASSPORT: ("PASSPORT", "PASSEPORT", "PASAPORTE", "PASSAPORTO", "REISEPASS", "PASZPORT", "PASPOORT"),
    GOVERNMENT_ID: ("IDENTITY CARD", "CARTE D'IDENTITE", "CARTE D'IDENTITÉ", "IDENTITY", "PERSONALAUSWEIS",
                    "DOWOD OSOBISTY", "DOCUMENTO NACIONAL", "CARTA D'IDENTITA", "IDENTITEITSKAART",
                    "NATIONAL ID", "ID CARD", "RESIDENCE PERMIT"),
    DRIVERS_LICENSE: ("DRIVER LICENSE", "DRIVER'S LICENSE", "DRIVER'S LICENCE", "DRIVERS LICENSE",
                      "DRIVING LICENCE", "DRIVER LICENCE", "LICENCIA DE CONDUCIR", "PERMIS DE CONDUIRE",
                      "FUHRERSCHEIN", "PRAWO JAZDY"),
}


@dataclass(frozen=True)
class DocumentProfile:
    country: str
    id_type: str  # passport | government_id | drivers_license | universal (nothing known yet)
    mrz_formats: tuple[str, ...] = ()  # TD3 / TD1 / TD2 expected; () = no MRZ expected
    mrz_side: str | None = None  # "front" | "back"
    barcode: bool = False  # a PDF417 is expected
    barcode_side: str | None = None
    fields: frozenset[str] = field(default_factory=frozenset)  # printed fields that must be readable
    keywords: tuple[str, ...] = ()

    @property
    def machine_readable(self) -> bool:
        return bool(self.mrz_formats) or self.barcode

    @property
    def known(self) -> bool:
        """A listed layout: a type we have a profile for (not universal)."""
        return self.id_type in ID_TYPES


def document_profile(country: str, id_type: str) -> DocumentProfile:
    """The profile of a document of `id_type` issued by `country` (ISO alpha-3)."""
    country = (country or "").upper()
    if id_type not in ID_TYPES:
        return DocumentProfile(country=country, id_type=UNIVERSAL)
    fields = set(PRINTED_FIELDS[id_type])
    if id_type != DRIVERS_LICENSE and country in PERSONAL_NUMBER_COUNTRIES:
        fields.add("personal_number")
    profile = DocumentProfile(country=country, id_type=id_type, fields=frozenset(fields),
                              keywords=KEYWORDS[id_type])
    if id_type == PASSPORT:
        return replace(profile, mrz_formats=("TD3",), mrz_side="front")
    if id_type == GOVERNMENT_ID and country in TD1_ID_CARD_COUNTRIES:
        return replace(profile, mrz_formats=("TD1",), mrz_side="back")
    if id_type == DRIVERS_LICENSE and country in AAMVA_COUNTRIES:
        return replace(profile, barcode=True, barcode_side="back")
    return profile
