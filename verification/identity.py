"""The applicant's Step 2 data against what an authoritative source says about them.

Pure functions, no Django: the PDF417 of a North-American driving licence (read at Step 1) and
the Bulgarian EGN (ЕГН, python-stdnum validates it and decodes its birth date; its ninth digit
is even for men and odd for women). Each answers the names of the fields that disagree, in a
fixed order, so the retry message and the evidence say exactly what to correct.
"""

import unicodedata
from datetime import date

from stdnum.bg import egn as bg_egn
from stdnum.exceptions import ValidationError

EGN_INVALID = "identity_number"  # the EGN itself is not a valid number


def _tokens(name: str) -> list[str]:
    """Upper-case letters-only words, accents removed (AAMVA names are ASCII upper case)."""
    decomposed = unicodedata.normalize("NFKD", name.upper())
    cleaned = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return cleaned.split()


def _number(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def name_matches_document(entered: str, *, surname: str, given_names: str) -> bool:
    """The typed full name carries the document's surname and first given name, in any order.

    Middle names may be left out (AAMVA DAD) and the order of family and given names differs by
    country, so neither is required; a different surname or first name is a mismatch.
    """
    words = set(_tokens(entered))
    surname_words, given_words = _tokens(surname), _tokens(given_names)
    if not surname_words and not given_words:
        return True  # the document carries no name to compare with
    return set(surname_words) <= words and (not given_words or given_words[0] in words)


def aamva_mismatches(aamva: dict, *, name: str, birth_date: date, gender: str = "", number: str = "") -> list[str]:
    """Step 2 fields that differ from the licence's PDF417 (`AamvaData.as_dict()`)."""
    mismatches = []
    if not name_matches_document(name, surname=aamva.get("surname") or "", given_names=aamva.get("given_names") or ""):
        mismatches.append("name")
    if aamva.get("birth_date") and aamva["birth_date"] != birth_date.isoformat():
        mismatches.append("date_of_birth")
    sex = aamva.get("sex") or ""
    if gender and sex in ("M", "F") and gender[0].upper() != sex:
        mismatches.append("gender")
    if number and aamva.get("document_number") and _number(number) != _number(aamva["document_number"]):
        mismatches.append("license_number")
    return mismatches


def egn_sex(egn: str) -> str:
    """'M' or 'F': the ninth digit of an EGN is even for a man, odd for a woman."""
    return "M" if int(bg_egn.compact(egn)[8]) % 2 == 0 else "F"


def egn_mismatches(egn: str, *, birth_date: date, gender: str = "") -> list[str]:
    """What an EGN contradicts: itself (invalid), the birth date, the gender."""
    try:
        number = bg_egn.validate(egn)
    except ValidationError:
        return [EGN_INVALID]
    mismatches = []
    if bg_egn.get_birth_date(number) != birth_date:
        mismatches.append("date_of_birth")
    if gender and gender[0].upper() in ("M", "F") and gender[0].upper() != egn_sex(number):
        mismatches.append("gender")
    return mismatches
