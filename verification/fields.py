"""Printed visual-zone fields read from OCR lines: labels, their values, and dates.

Two layouts cover ID-1 cards and passport data pages:
- a label above its value ("Date of birth" / "02 DEC 1979"), ICAO style, often bilingual
  ("Surname / Nom");
- a label before its value on the same row ("DOB 12/02/1979", "DL U4070944"), AAMVA style; OCR may
  return the two as one line ("DLU4070944") or as two boxes.

A label whose value is blank (erased, or never printed) yields no value: the caller compares the
fields read with the fields the document's profile carries. Geometry uses the rectified document
crop's coordinates when OCR read one (upright, fronto-parallel), else the analysis image's.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .ocr import OcrLine, mrz_line_like

MONTHS = {name: index + 1 for index, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"))}
# Other spellings of month abbreviations printed on documents (FR/ES/DE/IT/PT/NL/PL).
MONTHS.update({"JANV": 1, "FEV": 2, "FEB": 2, "MARS": 3, "AVR": 4, "ABR": 4, "MAI": 5, "MAG": 5, "MEI": 5,
               "JUIN": 6, "GIU": 6, "JUIL": 7, "LUG": 7, "AOUT": 8, "AGO": 8, "AGU": 8, "SEPT": 9, "SET": 9,
               "OKT": 10, "OTT": 10, "OUT": 10, "DIC": 12, "DEZ": 12, "ENE": 1, "GEN": 1})
DIGIT_LOOKALIKES = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "I": "1", "l": "1", "L": "1", "|": "1",
                                  "Z": "2", "S": "5", "B": "8", "G": "6"})

# Field -> label forms (normalised: upper case, no accents, punctuation as spaces). Longest first
# when matching, so "DATE OF BIRTH" wins over "DOB"-like prefixes of other labels.
LABELS: dict[str, tuple[str, ...]] = {
    "surname": ("SURNAME", "LAST NAME", "FAMILY NAME", "NOM", "NAZWISKO", "APELLIDOS", "COGNOME", "NACHNAME",
                "ACHTERNAAM", "LN"),
    "given_names": ("GIVEN NAMES", "GIVEN NAME", "FIRST NAME", "FORENAMES", "PRENOMS", "IMIONA", "NOMBRE",
                    "NOME", "VORNAMEN", "VOORNAMEN", "FN"),
    "name": ("FULL NAME", "NAME"),
    "document_number": ("PASSPORT NO", "PASSPORT NUMBER", "DOCUMENT NO", "DOCUMENT NUMBER", "CARD NO",
                        "CARD NUMBER", "LICENSE NO", "LICENCE NO", "LIC NO", "NO DU PASSEPORT", "DL NO", "DLN",
                        "DL"),
    "personal_number": ("PERSONAL NO", "PERSONAL NUMBER", "PERSONAL ID", "IDENTITY NO", "IDENTITY NUMBER",
                        "NATIONAL ID NO", "NATIONAL NO", "ID NO", "PESEL", "N PERSONNEL"),
    "birth_date": ("DATE OF BIRTH", "BIRTH DATE", "BIRTHDATE", "DATE DE NAISSANCE", "FECHA DE NACIMIENTO",
                   "GEBURTSDATUM", "DATA URODZENIA", "DOB"),
    "issue_date": ("DATE OF ISSUE", "ISSUE DATE", "ISSUED", "DATE DE DELIVRANCE", "DATE D EMISSION",
                   "FECHA DE EXPEDICION", "AUSSTELLUNGSDATUM", "ISS"),
    "expiry_date": ("DATE OF EXPIRY", "EXPIRY DATE", "EXPIRATION DATE", "EXPIRES", "EXPIRY", "VALID UNTIL",
                    "DATE D EXPIRATION", "FECHA DE CADUCIDAD", "GULTIG BIS", "DATA WAZNOSCI", "EXP"),
}
DATE_FIELDS = ("birth_date", "issue_date", "expiry_date")
# Labels of fields this module does not read; they end a value search like any label.
OTHER_LABELS = ("SEX", "SEXE", "NATIONALITY", "NATIONALITE", "PLACE OF BIRTH", "LIEU", "AUTHORITY", "AUTORITE",
                "SIGNATURE", "HOLDER S SIGNATURE", "TYPE", "CODE", "ADDRESS", "ADRESSE", "HEIGHT", "HGT", "EYES",
                "CLASS", "RSTR", "RESTRICTIONS", "DD", "SEX F", "SEX M")
# Short labels (AAMVA style) are only labels at the start of a line and before a value on the same row.
INLINE_ONLY = {"LN", "FN", "DL", "DLN", "ISS", "EXP", "DOB", "NOM"}


def normalise(text: str) -> str:
    """Upper case, accents removed, anything not a letter or digit as one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).upper()
    return re.sub(r"[^A-Z0-9]+", " ", text).strip()


@dataclass
class FieldValue:
    name: str
    text: str  # the value as printed (OCR text, cleaned)
    value: str | date  # parsed: a date for date fields, else the normalised text
    box: np.ndarray  # the value's OCR box (analysis-image pixels)
    label: str  # the label text it was found under (or beside)
    score: float


@dataclass
class PrintedFields:
    values: dict[str, FieldValue] = field(default_factory=dict)
    labels: dict[str, np.ndarray] = field(default_factory=dict)  # field -> label box seen (analysis pixels)

    def get(self, name: str):
        found = self.values.get(name)
        return found.value if found is not None else None

    @property
    def surname(self) -> str | None:
        return self.get("surname")

    @property
    def given_names(self) -> str | None:
        return self.get("given_names")

    @property
    def full_name(self) -> str | None:
        if "name" in self.values:
            return str(self.get("name"))
        parts = [p for p in (self.given_names, self.surname) if p]
        return " ".join(parts) or None

    def has(self, profile_field: str) -> bool:
        """Whether a profile field (`name` covers surname/given names) was read."""
        if profile_field == "name":
            return any(n in self.values for n in ("surname", "given_names", "name"))
        return profile_field in self.values

    def as_dict(self) -> dict:
        return {name: (v.value.isoformat() if isinstance(v.value, date) else v.value)
                for name, v in self.values.items()}


# -- dates ---------------------------------------------------------------------------------------

def _year(text: str) -> int | None:
    digits = text.translate(DIGIT_LOOKALIKES)
    if not digits.isdigit():
        return None
    if len(digits) == 4:
        return int(digits)
    return None


def date_parse(text: str, *, country: str = "") -> date | None:
    """A printed date (see `_date_parse`) within the years a document can show (1900-2100)."""
    value = _date_parse(text, country=country)
    if value is None or not 1900 <= value.year <= 2100:
        return None
    return value


def _date_parse(text: str, *, country: str = "") -> date | None:
    """A printed date: '10 OCT 1970', '10.10.1970', '01/13/2031' (USA month first), '2031/01/13',
    '1970-10-10', '10 10 1970'. None when it is not a date."""
    cleaned = unicodedata.normalize("NFKD", text).upper()
    cleaned = "".join(ch for ch in cleaned if not unicodedata.combining(ch))
    # '02 DEC 1979', '02DEC1979', '2 DEC 79' (bilingual forms like 'DEC/DEC' take the first month)
    match = re.search(r"([0-9OIlDSBZ]{1,2})\s*[ ./-]?\s*([A-Z]{3,5})[A-Z/ .]*?\s*[ ./-]?\s*([0-9OIlDSBZ]{4})\b", cleaned)
    if match and match.group(2)[:4] in MONTHS or match and match.group(2)[:3] in MONTHS:
        month = MONTHS.get(match.group(2)[:4]) or MONTHS.get(match.group(2)[:3])
        day = match.group(1).translate(DIGIT_LOOKALIKES)
        year = _year(match.group(3))
        if day.isdigit() and year:
            try:
                return date(year, month, int(day))
            except ValueError:
                return None
    numeric = cleaned.translate(DIGIT_LOOKALIKES)
    match = re.search(r"(\d{4})\s*[./ -]\s*(\d{1,2})\s*[./ -]\s*(\d{1,2})", numeric)
    if match:
        year, month, day = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            return None
    match = re.search(r"(\d{1,2})\s*[./ -]\s*(\d{1,2})\s*[./ -]\s*(\d{4})", numeric)
    if match:
        first, second, year = (int(g) for g in match.groups())
        orders = ((first, second), (second, first)) if country == "USA" else ((second, first), (first, second))
        for month, day in orders:
            try:
                return date(year, month, day)
            except ValueError:
                continue
        return None
    match = re.search(r"\b(\d{2})(\d{2})(\d{4})\b", numeric)  # 01132031 (AAMVA style printed)
    if match and country == "USA":
        try:
            return date(int(match.group(3)), int(match.group(1)), int(match.group(2)))
        except ValueError:
            return None
    return None


# -- labels --------------------------------------------------------------------------------------

_ALL_LABELS = sorted(((form, name) for name, forms in LABELS.items() for form in forms),
                     key=lambda item: len(item[0]), reverse=True)


def label_match(text: str) -> tuple[str, str, str] | None:
    """(field, label form, remainder) when the line starts with a known label, else None.

    A bilingual label ('Surname / Nom') matches on its first language and leaves no remainder.
    """
    norm = normalise(text)
    if not norm:
        return None
    for form, name in _ALL_LABELS:
        if form in INLINE_ONLY:
            continue
        if norm == form or norm.startswith(form + " "):
            rest = norm[len(form):].strip()
            if "/" in text:  # bilingual label: 'Date of birth / Date de naissance'
                rest = ""
            return name, form, rest
    for form, name in _ALL_LABELS:
        if form not in INLINE_ONLY:
            continue
        if norm == form:
            return name, form, ""
        if norm.startswith(form):
            rest = norm[len(form):].strip()
            # 'DLU4070944', 'LN MORENO', 'ISS 02/16/2026' but not 'DLUGOSZ' (a surname); 'LNERIKSSON'
            # (no name starts with LN or FN)
            joined_name = form in ("LN", "FN") and len(rest) >= 3
            if rest and (norm[len(form)] == " " or any(ch.isdigit() for ch in rest[:3]) or joined_name):
                return name, form, _raw_rest(text, form)
    return None


def _raw_rest(text: str, form: str) -> str:
    """The original text after a short inline label (keeps '/' and '-' of dates)."""
    stripped = text.strip()
    index = 0
    for _ in form:
        while index < len(stripped) and not stripped[index].isalnum():
            index += 1
        index += 1
    return stripped[index:].strip(" :.")


def is_other_label(text: str) -> bool:
    norm = normalise(text)
    return any(norm == form or norm.startswith(form + " ") and "/" in text for form in OTHER_LABELS)


# -- values --------------------------------------------------------------------------------------

def value_parse(name: str, text: str, *, country: str = "") -> str | date | None:
    """The typed value of a field from its printed text, or None when the text cannot be one."""
    text = text.strip(" :.")
    if not text:
        return None
    if name in DATE_FIELDS:
        return date_parse(text, country=country)
    norm = normalise(text)
    if name in ("surname", "given_names", "name"):
        letters = sum(ch.isalpha() for ch in norm)
        if letters < 2 or letters < 0.8 * len(norm.replace(" ", "")):
            return None
        return norm
    if name in ("document_number", "personal_number"):
        compact = norm.replace(" ", "")
        if not 5 <= len(compact) <= 20 or not any(ch.isdigit() for ch in compact):
            return None
        if date_parse(text, country=country) is not None:
            return None
        return compact
    return norm


def _geometry(line: OcrLine) -> np.ndarray:
    return line.doc_box if line.doc_box is not None else line.box


def _bounds(line: OcrLine) -> tuple[float, float, float, float]:
    box = _geometry(line)
    x0, y0 = box.min(axis=0)
    x1, y1 = box.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


def _value_below(label: OcrLine, lines: list[OcrLine], used: set[int]) -> OcrLine | None:
    """The line printed just below a label, starting near the label's left edge."""
    lx0, ly0, lx1, ly1 = _bounds(label)
    height = ly1 - ly0
    best, best_distance = None, None
    for index, line in enumerate(lines):
        if index in used or line is label:
            continue
        x0, y0, x1, y1 = _bounds(line)
        gap = y0 - ly1
        if not -0.4 * height <= gap <= 1.6 * height:
            continue
        if abs(x0 - lx0) > 2.5 * height:
            continue
        distance = gap + abs(x0 - lx0) * 0.5
        if best_distance is None or distance < best_distance:
            best, best_distance = line, distance
    return best


def _value_beside(label: OcrLine, lines: list[OcrLine], used: set[int]) -> OcrLine | None:
    """The line printed right of a short label on the same row ('EXP' '02/15/2031')."""
    lx0, ly0, lx1, ly1 = _bounds(label)
    height = ly1 - ly0
    cy = (ly0 + ly1) / 2
    best, best_gap = None, None
    for index, line in enumerate(lines):
        if index in used or line is label:
            continue
        x0, y0, x1, y1 = _bounds(line)
        if not (y0 - 0.6 * height <= cy <= y1 + 0.6 * height):
            continue
        gap = x0 - lx1
        if not -0.5 * height <= gap <= 4 * height:
            continue
        if best_gap is None or gap < best_gap:
            best, best_gap = line, gap
    return best


def fields_read(lines: list[OcrLine], *, country: str = "") -> PrintedFields:
    """Every labelled field found among one side's OCR lines (MRZ lines are ignored)."""
    lines = [line for line in lines if not mrz_line_like(line.text)]
    result = PrintedFields()
    labels = {index: label_match(line.text) for index, line in enumerate(lines)}
    label_indexes = {index for index, match in labels.items() if match is not None}
    label_indexes |= {index for index, line in enumerate(lines) if is_other_label(line.text)}
    used = set(label_indexes)
    for index, match in labels.items():
        if match is None:
            continue
        name, form, rest = match
        label = lines[index]
        result.labels.setdefault(name, label.box)
        if name in result.values:
            continue
        candidates = []
        if rest:
            candidates.append((rest, label))
        if form in INLINE_ONLY:
            beside = _value_beside(label, lines, used)
            if beside is not None:
                candidates.append((beside.text, beside))
        else:
            below = _value_below(label, lines, used)
            if below is not None:
                candidates.append((below.text, below))
        for text, line in candidates:
            value = value_parse(name, text, country=country)
            if value is None:
                continue
            result.values[name] = FieldValue(name=name, text=text, value=value, box=line.box,
                                             label=label.text, score=line.score)
            if line is not label:
                used.add(lines.index(line))
            break
    _unlabelled_dates(result, lines, used, country=country)
    _unlabelled_numbers(result, lines, used)
    return result


def _unlabelled_numbers(result: PrintedFields, lines: list[OcrLine], used: set[int]) -> None:
    """Numbers whose label OCR missed: all digits (6-16) is a personal number, letters and digits
    (6-12, both present) a document number. Only lines no label claimed, one each at most."""
    for index, line in enumerate(lines):
        if index in used or " " in line.text.strip():
            continue
        compact = _compact(line.text)
        if date_parse(line.text) is not None:
            continue
        if "personal_number" not in result.values and compact.isdigit() and 6 <= len(compact) <= 16:
            name = "personal_number"
        elif ("document_number" not in result.values and 6 <= len(compact) <= 12
              and any(ch.isdigit() for ch in compact) and any(ch.isalpha() for ch in compact)):
            name = "document_number"
        else:
            continue
        result.values[name] = FieldValue(name=name, text=line.text, value=compact, box=line.box,
                                         label="(by pattern)", score=line.score)
        used.add(index)


def _unlabelled_dates(result: PrintedFields, lines: list[OcrLine], used: set[int], *, country: str) -> None:
    """Dates whose label OCR missed (a label on a busy guilloche): placed by chronology.

    Only a date no label claimed is used, so a field whose value is blank stays missing. Birth comes
    at least 10 years before issue and expiry; expiry after issue (and after birth + 16 years).
    """
    dates = []
    for index, line in enumerate(lines):
        if index in used:
            continue
        value = date_parse(line.text, country=country)
        if value is not None:
            dates.append((value, index, line))
    if not dates:
        return
    dates.sort(key=lambda item: item[0])

    def take(name: str, item) -> None:
        value, index, line = item
        result.values[name] = FieldValue(name=name, text=line.text, value=value, box=line.box,
                                         label="(by chronology)", score=line.score)
        used.add(index)
        dates.remove(item)

    birth, issue = result.get("birth_date"), result.get("issue_date")
    if "expiry_date" not in result.values:
        floor = issue or (birth.replace(year=birth.year + 16) if birth else None)
        later = [item for item in dates if floor is not None and item[0] > floor]
        if later:
            take("expiry_date", later[-1])
    expiry = result.get("expiry_date")
    if "birth_date" not in result.values:
        ceiling = min((d for d in (issue, expiry) if d), default=None)
        earlier = [item for item in dates if ceiling is not None and item[0].year <= ceiling.year - 10]
        if earlier:
            take("birth_date", earlier[0])
    birth = result.get("birth_date")
    if "issue_date" not in result.values and birth and expiry:
        between = [item for item in dates if birth.year + 10 <= item[0].year and item[0] < expiry]
        if between:
            take("issue_date", between[-1])


# -- comparing printed and machine-readable values ---------------------------------------------------

def _compact(text: str) -> str:
    return normalise(text).replace(" ", "")


def text_similarity(a: str, b: str) -> float:
    """0..1 similarity of two OCR'd strings (difflib ratio on letters and digits)."""
    from difflib import SequenceMatcher

    a, b = _compact(a), _compact(b)
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b).ratio()


def names_agree(printed: str, machine: str, *, minimum: float) -> bool:
    """A printed name agrees with an MRZ/AAMVA one: equal up to OCR noise, or the machine form
    truncated (TD1 names are cut at 30 characters), or transliterated by fillers."""
    printed, machine = _compact(printed), _compact(machine)
    if not printed or not machine:
        return True  # nothing to compare
    if printed.startswith(machine) or machine.startswith(printed):
        return min(len(printed), len(machine)) >= 2
    return text_similarity(printed, machine) >= minimum


def numbers_agree(printed: str, machine: str, *, max_edits: int) -> bool:
    """A printed document number agrees with the MRZ/AAMVA one within `max_edits` OCR confusions."""
    from difflib import SequenceMatcher

    a, b = _compact(printed), _compact(machine)
    if not a or not b:
        return True
    # Compare through the OCR look-alike map so '0'/'O', '1'/'I', '8'/'B' never count.
    a, b = a.translate(DIGIT_LOOKALIKES), b.translate(DIGIT_LOOKALIKES)
    edits = sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b).get_opcodes()
                if tag != "equal")
    return edits <= max_edits


def dates_agree(printed: date | None, machine: date | None, *, max_digits: int = 0) -> bool:
    """Two dates agree unless both are known and differ in more than `max_digits` digits (YYYYMMDD).

    Printed dates are read in clear sans-serif figures and a forger typically changes one digit of
    the year, so the default tolerates none."""
    if printed is None or machine is None:
        return True
    a, b = printed.strftime("%Y%m%d"), machine.strftime("%Y%m%d")
    return sum(x != y for x, y in zip(a, b, strict=True)) <= max_digits


def region_flatness(rgb: np.ndarray, box: np.ndarray, *, margin: int = 4) -> float | None:
    """Fine-grain noise (grey levels, robust std of a high-pass) of the paper around a text box.

    A printed field sits on the card's security background and carries the camera's noise; a value
    re-typed on a flat patch in an image editor does not. The box is widened by `margin` px (a
    forger's patch overlaps the text's surroundings) and text strokes with their halo (dark pixels,
    dilated) are masked out, so the measure is of the background only. None when too little is left.
    """
    import cv2

    h, w = rgb.shape[:2]
    x0, y0 = np.floor(box.min(axis=0)).astype(int) - margin
    x1, y1 = np.ceil(box.max(axis=0)).astype(int) + margin
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 8 or y1 - y0 < 6:
        return None
    gray = cv2.cvtColor(rgb[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY).astype(np.float32)
    high = gray - cv2.GaussianBlur(gray, (0, 0), 1.0)
    ink = gray < np.median(gray) - 25
    paper = cv2.dilate(ink.astype(np.uint8), np.ones((7, 7), np.uint8)) == 0
    values = high[paper]
    if values.size < 30:
        return None
    return float(1.4826 * np.median(np.abs(values - np.median(values))))
