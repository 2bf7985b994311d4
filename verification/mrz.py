"""ICAO 9303 machine-readable zones: check digits, parsing and repair of OCR'd lines.

Pure functions on text; no image or OCR dependency. Supports TD1 (3×30, ID cards and
residence permits), TD2 (2×36), TD3 (2×44, passports) and the visa formats MRV-A (2×44)
and MRV-B (2×36).

Repair is by field position only: a character is mapped to its look-alike digit in a
numeric field (dates, check digits) and to its look-alike letter in an alphabetic field
(states, names). Nothing is ever changed to make a check digit pass: a wrong check digit
is a finding (`check_digit_failed`), not an OCR error to hide.
"""

from dataclasses import dataclass, field
from datetime import date

WEIGHTS = (7, 3, 1)
FILLER = "<"
# Look-alikes OCR engines produce on OCR-B, per field kind.
TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "T": "1", "Z": "2",
                          "S": "5", "B": "8", "G": "6", "A": "4"})
TO_ALPHA = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G", "4": "A"})
# Filler look-alikes, in any field: OCR may read '<' as these, or give a full-width form.
FILLER_LOOKALIKES = str.maketrans({"«": "<<", "‹": "<", "＜": "<", "(": "<", "[": "<", "{": "<", "≤": "<"})

FORMATS = {  # name: (lines, length)
    "TD1": (3, 30),
    "TD2": (2, 36),
    "TD3": (2, 44),
}


def char_value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == FILLER:
        return 0
    raise ValueError(f"not an MRZ character: {ch!r}")


def check_digit(data: str) -> str:
    """The ICAO 9303 check digit of `data` (weights 7-3-1, letters 10-35, filler 0)."""
    return str(sum(char_value(ch) * WEIGHTS[i % 3] for i, ch in enumerate(data)) % 10)


def check_digit_matches(data: str, digit: str) -> bool:
    try:
        return digit == check_digit(data)
    except ValueError:
        return False


def mrz_clean_line(line: str) -> str:
    """Upper-case, filler look-alikes to '<', spaces and other noise removed."""
    line = line.translate(FILLER_LOOKALIKES).upper()
    return "".join(ch for ch in line if ch.isdigit() or "A" <= ch <= "Z" or ch == FILLER)


def _digits(text: str) -> str:
    return text.translate(TO_DIGIT)


def _alpha(text: str) -> str:
    return text.translate(TO_ALPHA)


def mrz_date(text: str, *, kind: str, today: date | None = None) -> date | None:
    """YYMMDD to a date: birth dates are never in the future, expiry dates within 50 years ahead."""
    if len(text) != 6 or not text.isdigit():
        return None
    today = today or date.today()
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    century = 2000 if kind == "expiry" and yy <= (today.year + 50) % 100 else 1900
    if kind == "birth":
        century = 2000 if 2000 + yy <= today.year else 1900
    try:
        return date(century + yy, mm, dd)
    except ValueError:
        return None


def mrz_names(field_text: str) -> tuple[str, str]:
    """'SMITH<<ANNA<MARIA<<<' -> ('SMITH', 'ANNA MARIA')."""
    field_text = _alpha(field_text).rstrip(FILLER)
    surname, _, given = field_text.partition("<<")
    return surname.replace(FILLER, " ").strip(), given.replace(FILLER, " ").strip()


@dataclass
class MrzData:
    format: str
    lines: list[str]
    document_code: str
    issuing_state: str
    document_number: str
    nationality: str
    birth_date_raw: str
    birth_date: date | None
    sex: str
    expiry_date_raw: str
    expiry_date: date | None
    surname: str
    given_names: str
    optional_data: str = ""
    # name -> passed; a check digit absent from a format is not listed.
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def failed_checks(self) -> list[str]:
        return [name for name, passed in self.checks.items() if not passed]

    @property
    def check_digits_valid(self) -> bool:
        return not self.failed_checks

    @property
    def document_type(self) -> str | None:
        """The kycreview id type the document code stands for, or None (a visa, unknown)."""
        first = self.document_code[:1]
        if first == "P":
            return "passport"
        if first in ("I", "A", "C"):
            return "government_id"
        return None

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}".strip()

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "document_code": self.document_code,
            "issuing_state": self.issuing_state,
            "document_number": self.document_number,
            "nationality": self.nationality,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "sex": self.sex,
            "surname": self.surname,
            "given_names": self.given_names,
            "optional_data": self.optional_data,
            "checks": dict(self.checks),
            "lines": list(self.lines),
        }


def _sex(ch: str) -> str:
    ch = {"P": "F", "H": "M", "N": "M"}.get(ch, ch)  # OCR-B look-alikes of F and M
    return ch if ch in ("M", "F", FILLER, "X") else ch


def _parse_two_line(lines: list[str], fmt: str) -> MrzData:
    """TD2/TD3 and the visas MRV-B/MRV-A: the same line-2 layout up to the optional data."""
    l1, l2 = lines
    length = len(l1)
    is_visa = l1[0] == "V"
    number, number_cd = l2[0:9], _digits(l2[9])
    nationality = _alpha(l2[10:13])
    birth, birth_cd = _digits(l2[13:19]), _digits(l2[19])
    sex = _sex(l2[20])
    expiry, expiry_cd = _digits(l2[21:27]), _digits(l2[27])
    checks = {
        "document_number": check_digit_matches(number, number_cd),
        "birth_date": check_digit_matches(birth, birth_cd),
        "expiry_date": check_digit_matches(expiry, expiry_cd),
    }
    optional = l2[28:length - (0 if is_visa else 1)]
    if fmt == "TD3" and not is_visa:
        personal, personal_cd = l2[28:42], _digits(l2[42])
        optional = personal
        # An unused personal number may carry '<' or '0' as its check digit.
        checks["personal_number"] = (
            personal_cd in ("<", "0") if personal.strip(FILLER) == "" else check_digit_matches(personal, personal_cd)
        )
    if not is_visa:
        checks["composite"] = check_digit_matches(
            l2[0:9] + number_cd + birth + birth_cd + expiry + expiry_cd + l2[28:length - 1], _digits(l2[length - 1])
        )
    surname, given = mrz_names(l1[5:])
    name = "MRVA" if is_visa and fmt == "TD3" else "MRVB" if is_visa else fmt
    return MrzData(
        format=name,
        lines=lines,
        document_code=_alpha(l1[0:2]),
        issuing_state=_alpha(l1[2:5]),
        document_number=number.rstrip(FILLER),
        nationality=nationality,
        birth_date_raw=birth,
        birth_date=mrz_date(birth, kind="birth"),
        sex=sex,
        expiry_date_raw=expiry,
        expiry_date=mrz_date(expiry, kind="expiry"),
        surname=surname,
        given_names=given,
        optional_data=optional.strip(FILLER),
        checks=checks,
    )


def _parse_td1(lines: list[str]) -> MrzData:
    l1, l2, l3 = lines
    number, number_cd = l1[5:14], l1[14]
    optional1 = l1[15:30]
    if number_cd == FILLER and optional1.strip(FILLER):
        # Long document numbers continue in the optional data, their check digit after them.
        rest = optional1.split(FILLER, 1)[0]
        number, number_cd = number + rest[:-1], _digits(rest[-1:])
    else:
        number_cd = _digits(number_cd)
    birth, birth_cd = _digits(l2[0:6]), _digits(l2[6])
    expiry, expiry_cd = _digits(l2[8:14]), _digits(l2[14])
    checks = {
        "document_number": check_digit_matches(number, number_cd),
        "birth_date": check_digit_matches(birth, birth_cd),
        "expiry_date": check_digit_matches(expiry, expiry_cd),
        "composite": check_digit_matches(
            l1[5:30] + birth + birth_cd + expiry + expiry_cd + l2[18:29], _digits(l2[29])
        ),
    }
    surname, given = mrz_names(l3)
    return MrzData(
        format="TD1",
        lines=lines,
        document_code=_alpha(l1[0:2]),
        issuing_state=_alpha(l1[2:5]),
        document_number=number.rstrip(FILLER),
        nationality=_alpha(l2[15:18]),
        birth_date_raw=birth,
        birth_date=mrz_date(birth, kind="birth"),
        sex=_sex(l2[7]),
        expiry_date_raw=expiry,
        expiry_date=mrz_date(expiry, kind="expiry"),
        surname=surname,
        given_names=given,
        optional_data=(optional1 + l2[18:29]).strip(FILLER),
        checks=checks,
    )


def mrz_detect_format(lines: list[str]) -> str | None:
    for name, (count, length) in FORMATS.items():
        if len(lines) == count and all(len(line) == length for line in lines):
            return name
    return None


def mrz_parse(raw_lines: list[str]) -> MrzData | None:
    """Parse OCR'd MRZ lines; None when they do not form a full MRZ of a known format.

    Lines are cleaned first; a line one or two characters short at its end (a lost trailing
    filler) is padded with fillers, which cannot change any check digit's field.
    """
    lines = [mrz_clean_line(line) for line in raw_lines]
    lines = [line for line in lines if len(line) >= 20]
    for name, (count, length) in FORMATS.items():
        if len(lines) != count:
            continue
        fixed = []
        for line in lines:
            if length - 2 <= len(line) < length and line.endswith(FILLER):
                line = line.ljust(length, FILLER)
            fixed.append(line)
        if all(len(line) == length for line in fixed):
            return _parse_td1(fixed) if name == "TD1" else _parse_two_line(fixed, name)
    return None
