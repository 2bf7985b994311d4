"""Synthetic holders and the machine-readable text of their documents (ICAO MRZ, AAMVA record)."""

import unicodedata
import zlib
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pycountry

from verification.aamva import aamva_encode
from verification.mrz import FILLER, check_digit

KINDS = ("passport", "id_card", "drivers_license")
# The generated world's "today": output must not depend on the clock (byte-identical reruns).
# Genuine passports and ID cards stay valid until at least 2032, driving licences until 2029.
REFERENCE_DATE = date(2026, 6, 1)
DL_COUNTRIES = ("USA", "CAN", "MEX")
DEFAULT_COUNTRY = {"passport": "UTO", "id_card": "UTO", "drivers_license": "USA"}
VALIDITY_YEARS = {"passport": 10, "id_card": 10, "drivers_license": 5}
# ICAO 9303 uses these codes for its examples; pycountry does not know them.
FICTIONAL_COUNTRIES = {"UTO": "UTOPIA", "UTA": "UTOPIA ALPHA"}

# jurisdiction: (name, AAMVA issuer identification number, country); the IINs are illustrative.
JURISDICTIONS = {
    "CA": ("CALIFORNIA", "636014", "USA"),
    "TX": ("TEXAS", "636015", "USA"),
    "NY": ("NEW YORK", "636001", "USA"),
    "WA": ("WASHINGTON", "636045", "USA"),
    "ON": ("ONTARIO", "636012", "CAN"),
    "BC": ("BRITISH COLUMBIA", "636028", "CAN"),
    "CMX": ("CIUDAD DE MEXICO", "636056", "MEX"),
}
DEFAULT_STATE = {"USA": "CA", "CAN": "ON", "MEX": "CMX"}

SURNAMES = (
    "ANDERSEN", "BAKER", "CASTILLO", "DUBOIS", "ERIKSSON", "FERREIRA", "GARCIA", "HOFFMANN", "IVANOVA",
    "JOHANSSON", "KOWALSKI", "LAURENT", "MARTINEZ", "NAKAMURA", "OKAFOR", "PETERSEN", "QUINN", "ROSSI",
    "SCHMIDT", "TANAKA", "URBANSKI", "VAN DER BERG", "WILLIAMS", "XAVIER", "YILMAZ", "ZIMMERMANN",
    "NGUYEN", "O'BRIEN", "SMITH-JONES", "MENSAH", "SILVA", "HASHEMI", "LINDQVIST", "MORENO", "PATEL",
)
GIVEN_NAMES = {
    "F": ("ANNA", "MARIA", "SOFIA", "EMMA", "CHLOE", "AMARA", "YUKI", "LENA", "ISABEL", "NADIA", "PRIYA",
          "HANNA", "ELENA", "GRACE", "ZOE", "INGRID", "CAMILLE", "FATIMA", "MEI", "OLIVIA"),
    "M": ("JOHN", "LUCAS", "MATEO", "KENJI", "OMAR", "DAVID", "PIOTR", "HUGO", "ERIK", "RAVI", "SAMUEL",
          "TOMAS", "ANDRE", "FELIX", "IBRAHIM", "LIAM", "NOAH", "VIKTOR", "KWAME", "JONAS"),
}
CITIES = ("ZENITH", "HARBOUR CITY", "NORTHFIELD", "LAKESIDE", "OLD TOWN", "RIVERTON", "MAPLE HILL", "EASTPORT")
STREETS = ("MAIN ST", "OAK AVE", "HARBOR BLVD", "PINE RD", "ELM ST", "SUNSET DR", "LAKE VIEW RD", "2ND AVE")
EYES = ("BRO", "BLU", "GRN", "HAZ", "GRY")


@dataclass
class Identity:
    """Everything a document prints or encodes about its holder; dates are `date`s."""

    kind: str
    country: str  # issuing state, ISO 3166 alpha-3 (or an ICAO example code)
    surname: str
    given_names: str
    sex: str  # M or F
    nationality: str
    birth_date: date
    issue_date: date
    expiry_date: date
    document_number: str
    personal_number: str = ""
    place_of_birth: str = ""
    authority: str = ""
    state: str = ""  # driving licence jurisdiction (AAMVA DAJ)
    street: str = ""
    city: str = ""
    postal_code: str = ""
    height_cm: int = 170
    eyes: str = "BRO"
    dl_class: str = "C"
    discriminator: str = ""
    extra: dict = field(default_factory=dict)

    def truth(self) -> dict:
        return {
            "kind": self.kind,
            "country": self.country,
            "surname": self.surname,
            "given_names": self.given_names,
            "document_number": self.document_number,
            "personal_number": self.personal_number,
            "birth_date": self.birth_date.isoformat(),
            "issue_date": self.issue_date.isoformat(),
            "expiry_date": self.expiry_date.isoformat(),
            "sex": self.sex,
            "nationality": self.nationality,
            "state": self.state,
        }


def country_name(code: str) -> str:
    if code in FICTIONAL_COUNTRIES:
        return FICTIONAL_COUNTRIES[code]
    country = pycountry.countries.get(alpha_3=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name).upper()


def design_seed(*parts: str) -> int:
    """A stable seed from text (Python's hash() is salted per process)."""
    return zlib.crc32(":".join(parts).encode())


def _random_date(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers(0, (end - start).days + 1)))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _digits(rng: np.random.Generator, count: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, count))


def _letters(rng: np.random.Generator, count: int) -> str:
    return "".join(chr(ord("A") + int(c)) for c in rng.integers(0, 26, count))


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def identity_create(kind: str, country: str, *, rng: np.random.Generator, overrides: dict | None = None) -> Identity:
    """A random holder of a `kind` document issued by `country`; `overrides` replace any field."""
    sex = "F" if rng.random() < 0.5 else "M"
    given = [GIVEN_NAMES[sex][int(i)] for i in rng.choice(len(GIVEN_NAMES[sex]), 2, replace=False)]
    given_names = given[0] if rng.random() < 0.6 else " ".join(given)
    birth = _random_date(rng, date(1952, 1, 1), date(2006, 12, 31))
    if kind == "drivers_license":
        issue = _random_date(rng, REFERENCE_DATE - timedelta(days=2 * 365), REFERENCE_DATE - timedelta(days=30))
    else:
        issue = _random_date(rng, REFERENCE_DATE - timedelta(days=4 * 365), REFERENCE_DATE - timedelta(days=30))
    expiry = add_years(issue, VALIDITY_YEARS[kind]) - timedelta(days=1)
    state = ""
    nationality = country
    if kind == "passport":
        number = _letters(rng, 2) + _digits(rng, 7)
    elif kind == "id_card":
        number = _letters(rng, 3) + _digits(rng, 6)
    else:
        state = DEFAULT_STATE[country]
        number = _letters(rng, 1) + _digits(rng, 7 if country == "USA" else 9)
        nationality = country
    identity = Identity(
        kind=kind,
        country=country,
        surname=SURNAMES[int(rng.integers(len(SURNAMES)))],
        given_names=given_names,
        sex=sex,
        nationality=nationality,
        birth_date=birth,
        issue_date=issue,
        expiry_date=expiry,
        document_number=number,
        personal_number=_digits(rng, 11) if kind != "drivers_license" else "",
        place_of_birth=CITIES[int(rng.integers(len(CITIES)))],
        authority=f"MINISTRY OF INTERIOR {_letters(rng, 1)}{_digits(rng, 2)}" if kind != "drivers_license" else "DMV",
        state=state,
        street=f"{int(rng.integers(1, 9999))} {STREETS[int(rng.integers(len(STREETS)))]}",
        city=CITIES[int(rng.integers(len(CITIES)))],
        postal_code=_digits(rng, 5),
        height_cm=int(rng.integers(152, 196)),
        eyes=EYES[int(rng.integers(len(EYES)))],
        dl_class="C",
        discriminator=_digits(rng, 2) + "/" + _digits(rng, 2) + "/" + _digits(rng, 4) + _letters(rng, 3),
    )
    return identity_override(identity, overrides or {})


def identity_override(identity: Identity, overrides: dict) -> Identity:
    known = {f for f in Identity.__dataclass_fields__ if f not in ("kind", "country", "extra")}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown field override(s): {sorted(unknown)}; known: {sorted(known)}")
    values = {}
    for key, value in overrides.items():
        if key.endswith("_date"):
            value = _as_date(value)
        elif isinstance(value, str):
            value = value.upper()
        values[key] = value
    return replace(identity, **values)


# -- ICAO 9303 ----------------------------------------------------------------------------------------


def mrz_text(text: str) -> str:
    """Printed name or number -> MRZ characters: accents dropped, spaces and hyphens to fillers."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    text = text.replace("'", "").replace("-", " ").replace(",", " ")
    return "".join(ch if ch.isalnum() else FILLER for ch in " ".join(text.split()))


def mrz_name_field(surname: str, given_names: str, width: int) -> str:
    name = mrz_text(surname) + FILLER * 2 + mrz_text(given_names)
    return name[:width].ljust(width, FILLER)


def yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")


def mrz_td3(identity: Identity, *, document_code: str = "P") -> list[str]:
    """The two 44-character lines of a passport (TD3), every check digit computed."""
    line1 = document_code.ljust(2, FILLER) + identity.country + mrz_name_field(
        identity.surname, identity.given_names, 39)
    number = mrz_text(identity.document_number)[:9].ljust(9, FILLER)
    personal = mrz_text(identity.personal_number)[:14].ljust(14, FILLER)
    personal_cd = check_digit(personal) if personal.strip(FILLER) else FILLER
    birth, expiry = yymmdd(identity.birth_date), yymmdd(identity.expiry_date)
    line2 = (number + check_digit(number) + identity.nationality + birth + check_digit(birth) + identity.sex
             + expiry + check_digit(expiry) + personal + personal_cd)
    return [line1, line2 + mrz_composite(line2, "TD3")]


def mrz_td1(identity: Identity, *, document_code: str = "I") -> list[str]:
    """The three 30-character lines of an ID card (TD1); the personal number is the optional data."""
    number = mrz_text(identity.document_number)[:9].ljust(9, FILLER)
    optional1 = mrz_text(identity.personal_number)[:15].ljust(15, FILLER)
    line1 = document_code.ljust(2, FILLER) + identity.country + number + check_digit(number) + optional1
    birth, expiry = yymmdd(identity.birth_date), yymmdd(identity.expiry_date)
    line2 = (birth + check_digit(birth) + identity.sex + expiry + check_digit(expiry) + identity.nationality
             + FILLER * 11)
    line3 = mrz_name_field(identity.surname, identity.given_names, 30)
    return [line1, line2 + mrz_composite(line2, "TD1", line1=line1), line3]


def mrz_composite(line2: str, fmt: str, *, line1: str = "") -> str:
    """The composite check digit over the fields ICAO 9303 lists (`line2` without its last character)."""
    if fmt == "TD3":
        return check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    return check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])


def mrz_with_check_digit(lines: list[str], field_name: str) -> list[str]:
    """`lines` with the check digit of `field_name` (document_number, birth_date) made wrong.

    The composite digit is recomputed, so exactly one check fails and the MRZ stays well-formed.
    """
    lines = list(lines)
    fmt = "TD3" if len(lines) == 2 else "TD1"
    line_index, position = {
        ("TD3", "document_number"): (1, 9), ("TD3", "birth_date"): (1, 19),
        ("TD1", "document_number"): (0, 14), ("TD1", "birth_date"): (1, 6),
    }[(fmt, field_name)]
    line = lines[line_index]
    wrong = str((int(line[position]) + 3) % 10)
    lines[line_index] = line[:position] + wrong + line[position + 1:]
    if fmt == "TD3":
        lines[1] = lines[1][:43] + mrz_composite(lines[1][:43], "TD3")
    else:
        lines[1] = lines[1][:29] + mrz_composite(lines[1][:29], "TD1", line1=lines[0])
    return lines


# -- AAMVA --------------------------------------------------------------------------------------------


def aamva_date(day: date, country: str) -> str:
    """USA (and Mexico, here) write MMDDCCYY, Canada CCYYMMDD."""
    return day.strftime("%Y%m%d") if country == "CAN" else day.strftime("%m%d%Y")


def aamva_elements(identity: Identity) -> dict[str, str]:
    given = identity.given_names.split()
    first, middle = given[0], " ".join(given[1:]) or "NONE"
    feet, inches = divmod(round(identity.height_cm / 2.54), 12)
    return {
        "DCA": identity.dl_class,
        "DCB": "NONE",
        "DCD": "NONE",
        "DBA": aamva_date(identity.expiry_date, identity.country),
        "DCS": identity.surname,
        "DAC": first,
        "DAD": middle,
        "DBD": aamva_date(identity.issue_date, identity.country),
        "DBB": aamva_date(identity.birth_date, identity.country),
        "DBC": "1" if identity.sex == "M" else "2",
        "DAY": identity.eyes,
        "DAU": f"{identity.height_cm:03d} CM" if identity.country != "USA" else f"{feet * 12 + inches:03d} IN",
        "DAG": identity.street,
        "DAI": identity.city,
        "DAJ": identity.state,
        "DAK": identity.postal_code.ljust(9, "0"),
        "DAQ": identity.document_number,
        "DCF": identity.discriminator,
        "DCG": identity.country,
        "DDE": "N",
        "DDF": "N",
        "DDG": "N",
    }


def aamva_text(identity: Identity) -> str:
    iin = JURISDICTIONS.get(identity.state, ("", "636000", ""))[1]
    return aamva_encode(aamva_elements(identity), iin=iin, subfile_type="DL")
