"""AAMVA DL/ID card design standard: the text of the PDF417 barcode on North American IDs.

`aamva_parse` reads the header and subfile directory and returns the data elements with the
common ones decoded (names, dates, sex, document number); `aamva_encode` writes the same
structure, for the synthetic document generator and the tests.
"""

import re
from dataclasses import dataclass, field
from datetime import date

COMPLIANCE = "@"
DATA_SEPARATOR = "\n"
RECORD_SEPARATOR = "\x1e"
SEGMENT_TERMINATOR = "\r"
HEADER_RE = re.compile(r"@\n\x1e\r(ANSI |AAMVA)(\d{6})(\d{2})(\d{2})?(\d{2})")
SUBFILE_RE = re.compile(r"(DL|ID|[A-Z]{2})(\d{4})(\d{4})")
SEX = {"1": "M", "2": "F", "9": "X", "M": "M", "F": "F"}


@dataclass
class AamvaData:
    iin: str
    version: int
    jurisdiction_version: int
    subfile_type: str  # DL (driving licence) or ID (identification card)
    elements: dict[str, str] = field(default_factory=dict)

    @property
    def country(self) -> str:
        return self.elements.get("DCG", "USA").strip() or "USA"

    def _date(self, element: str) -> date | None:
        raw = self.elements.get(element, "").strip()
        if not re.fullmatch(r"\d{8}", raw):
            return None
        # USA writes MMDDCCYY, Canada CCYYMMDD; try the country's order first.
        orders = ((4, 0, 2), (0, 4, 6)) if self.country == "CAN" else ((0, 4, 6), (4, 0, 2))
        for order in orders:
            try:
                if order == (4, 0, 2):
                    return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
                return date(int(raw[4:8]), int(raw[0:2]), int(raw[2:4]))
            except ValueError:
                continue
        return None

    @property
    def document_number(self) -> str:
        return self.elements.get("DAQ", "").strip()

    @property
    def surname(self) -> str:
        return self.elements.get("DCS", "").strip()

    @property
    def given_names(self) -> str:
        names = [self.elements.get("DAC", "").strip(), self.elements.get("DAD", "").strip()]
        first = self.elements.get("DCT", "").strip()  # version 1-3 combined given names
        return " ".join(n for n in names if n and n.upper() != "NONE") or first.replace(",", " ").strip()

    @property
    def birth_date(self) -> date | None:
        return self._date("DBB")

    @property
    def expiry_date(self) -> date | None:
        return self._date("DBA")

    @property
    def issue_date(self) -> date | None:
        return self._date("DBD")

    @property
    def sex(self) -> str:
        return SEX.get(self.elements.get("DBC", "").strip(), "")

    @property
    def document_type(self) -> str:
        return "drivers_license" if self.subfile_type == "DL" else "government_id"

    def as_dict(self) -> dict:
        return {
            "iin": self.iin,
            "version": self.version,
            "subfile_type": self.subfile_type,
            "country": self.country,
            "state": self.elements.get("DAJ", "").strip(),
            "document_number": self.document_number,
            "surname": self.surname,
            "given_names": self.given_names,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "issue_date": self.issue_date.isoformat() if self.issue_date else None,
            "sex": self.sex,
        }


def _elements(text: str) -> dict[str, str]:
    elements = {}
    for line in re.split(r"[\n\r]", text):
        line = line.strip(RECORD_SEPARATOR + " ")
        if len(line) >= 3 and re.fullmatch(r"[A-Z]{3}", line[:3]):
            elements.setdefault(line[:3], line[3:])
    return elements


def aamva_parse(text: str) -> AamvaData | None:
    """The AAMVA record in a decoded PDF417 text, or None when it is not one."""
    start = text.find("@")
    if start < 0:
        return None
    text = text[start:]
    header = HEADER_RE.match(text)
    if not header:
        return None
    version = int(header.group(3))
    # Version 1 has no jurisdiction version field: the match's groups shift by one.
    if header.group(4) is None:
        jurisdiction_version, entries = 0, int(header.group(5))
    else:
        jurisdiction_version, entries = int(header.group(4)), int(header.group(5))
    directory = text[header.end():]
    subfiles = SUBFILE_RE.findall(directory[: 10 * max(entries, 1)])
    subfile_type = subfiles[0][0] if subfiles else "DL"
    elements = {}
    for kind, offset, length in subfiles[:entries] or [(subfile_type, "0", "0")]:
        offset, length = int(offset), int(length)
        body = text[offset:offset + length] if length else directory
        if body.startswith(kind):
            body = body[2:]
        for key, value in _elements(body).items():
            elements.setdefault(key, value)
    if not elements:
        elements = _elements(directory)
    if not elements:
        return None
    return AamvaData(
        iin=header.group(2),
        version=version,
        jurisdiction_version=jurisdiction_version,
        subfile_type=subfile_type if subfile_type in ("DL", "ID") else "DL",
        elements=elements,
    )


def aamva_encode(elements: dict[str, str], *, iin: str = "636014", version: int = 10,
                 jurisdiction_version: int = 0, subfile_type: str = "DL") -> str:
    """An AAMVA record with one subfile, as a PDF417 barcode carries it."""
    body = subfile_type + "".join(f"{key}{value}{DATA_SEPARATOR}" for key, value in elements.items())
    body = body.rstrip(DATA_SEPARATOR) + SEGMENT_TERMINATOR
    header = f"{COMPLIANCE}{DATA_SEPARATOR}{RECORD_SEPARATOR}{SEGMENT_TERMINATOR}ANSI {iin}{version:02d}" \
             f"{jurisdiction_version:02d}01"
    offset = len(header) + 10
    return f"{header}{subfile_type}{offset:04d}{len(body):04d}{body}"
