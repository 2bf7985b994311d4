"""Printed fields from OCR lines: labels, values below or beside them, dates, comparisons."""

from datetime import date

import numpy as np
import pytest

from verification.fields import (
    date_parse,
    dates_agree,
    fields_read,
    label_match,
    names_agree,
    numbers_agree,
    region_flatness,
    value_parse,
)
from verification.ocr import OcrLine


def line(text: str, x: float, y: float, w: float = 180, h: float = 26, score: float = 0.99) -> OcrLine:
    box = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=float)
    return OcrLine(text, box, score)


@pytest.mark.parametrize(("text", "country", "expected"), [
    ("10 OCT 1970", "", date(1970, 10, 10)),
    ("02DEC 1979", "", date(1979, 12, 2)),
    ("O2 DEC 1979", "", date(1979, 12, 2)),
    ("01/13/2031", "USA", date(2031, 1, 13)),
    ("02/03/2031", "USA", date(2031, 2, 3)),
    ("02/03/2031", "MEX", date(2031, 3, 2)),
    ("2031/01/13", "CAN", date(2031, 1, 13)),
    ("1970-10-10", "", date(1970, 10, 10)),
    ("10.10.1970", "POL", date(1970, 10, 10)),
])
def test_date_parse_reads_printed_date_styles(text, country, expected):
    assert date_parse(text, country=country) == expected


@pytest.mark.parametrize("text", ["", "UTOPIA", "87265122290", "31/02/2020", "SEX F"])
def test_date_parse_refuses_what_is_not_a_date(text):
    assert date_parse(text) is None


@pytest.mark.parametrize(("text", "field", "rest"), [
    ("Date of birth / Date de naissance", "birth_date", ""),
    ("Surname/Nom", "surname", ""),
    ("Passport No. / N° du passeport", "document_number", ""),
    ("Personal No.", "personal_number", ""),
    ("DLU4070944", "document_number", "U4070944"),
    ("DL U4070944", "document_number", "U4070944"),
    ("EXP 02/15/2031", "expiry_date", "02/15/2031"),
    ("ISs 02/16/2026", "issue_date", "02/16/2026"),
    ("LN MORENO", "surname", "MORENO"),
    # OCR drops the space after a DL label; no surname starts with LN
    ("LNLINDQVIST", "surname", "LINDQVIST"),
])
def test_label_match_finds_the_field_and_an_inline_value(text, field, rest):
    name, _, remainder = label_match(text)

    assert name == field
    assert remainder == rest


@pytest.mark.parametrize("text", ["DLUGOSZ", "MORENO", "UTOPIA"])
def test_short_labels_do_not_swallow_values(text):
    assert label_match(text) is None


def test_value_parse_types_values():
    assert value_parse("document_number", "UMA709449") == "UMA709449"
    assert value_parse("document_number", "02 DEC 1979") is None
    assert value_parse("surname", "VAN DER BERG") == "VAN DER BERG"
    assert value_parse("surname", "12345") is None


def test_fields_below_their_labels_icao_layout():
    lines = [
        line("Surname / Nom", 355, 108, h=18), line("LINDQVIST", 355, 130),
        line("Given names / Prénoms", 355, 173, h=18), line("YUKI", 355, 195),
        line("Date of birth", 680, 238, h=18), line("02 DEC 1979", 680, 260),
        line("Document No.", 355, 303, h=18), line("UMA709449", 355, 325),
        line("Date of issue", 355, 368, h=18), line("30 NOV 2025", 355, 390),
        line("Date of expiry", 680, 368, h=18), line("29 NOV 2035", 680, 390),
    ]

    fields = fields_read(lines)

    assert fields.as_dict() == {
        "surname": "LINDQVIST", "given_names": "YUKI", "birth_date": "1979-12-02",
        "document_number": "UMA709449", "issue_date": "2025-11-30", "expiry_date": "2035-11-29",
    }
    assert fields.full_name == "YUKI LINDQVIST"


def test_blank_value_under_a_label_is_missing_not_the_next_label():
    lines = [
        line("Date of issue", 355, 368, h=18),
        line("Date of expiry", 680, 368, h=18), line("29 NOV 2035", 680, 390),
        line("Signature", 355, 495, h=18),
    ]

    fields = fields_read(lines)

    assert "issue_date" not in fields.values
    assert fields.get("expiry_date") == date(2035, 11, 29)
    assert "issue_date" in fields.labels


def test_inline_aamva_layout_with_split_and_joined_boxes():
    lines = [
        line("DLU4070944", 335, 108), line("EXP", 335, 156, w=40), line("02/15/2031", 385, 152),
        line("LN MORENO", 335, 202), line("FN YUKI", 335, 240), line("DOB 12/02/1979", 335, 352),
        line("ISS 02/16/2026", 335, 472),
    ]

    fields = fields_read(lines, country="USA")

    assert fields.as_dict() == {
        "document_number": "U4070944", "expiry_date": "2031-02-15", "surname": "MORENO",
        "given_names": "YUKI", "birth_date": "1979-12-02", "issue_date": "2026-02-16",
    }


def test_dates_whose_label_was_not_read_are_placed_by_chronology():
    lines = [
        line("Date of birth", 680, 238, h=18), line("02 DEC 1979", 680, 260),
        line("Date of issue", 355, 368, h=18), line("30 NOV 2025", 355, 390),
        line("29 NOV 2035", 680, 390),  # its label "Date of expiry" was lost in the guilloche
    ]

    fields = fields_read(lines)

    assert fields.get("expiry_date") == date(2035, 11, 29)
    assert fields.values["expiry_date"].label == "(by chronology)"


def test_mrz_lines_are_not_fields():
    lines = [line("Document No.", 355, 303, h=18), line("I<UTOUMA709449387265122290<<<<", 355, 325, w=600)]

    assert "document_number" not in fields_read(lines).values


def test_a_value_repeated_elsewhere_on_the_card_is_read_once_from_under_its_label():
    # the same text printed twice (a name in a header and under its label) must not confuse the reader
    lines = [line("MORENO", 355, 100), line("Surname", 355, 180, h=18), line("MORENO", 355, 202)]

    result = fields_read(lines)

    assert result.values["surname"].value == "MORENO"
    assert result.values["surname"].box is lines[2].box


def test_comparisons_tolerate_ocr_noise_but_not_other_values():
    assert names_agree("LINDQVIST", "LINDQVlST", minimum=0.75)
    assert names_agree("VAN DER BERG", "VANDERBERG", minimum=0.75)
    assert names_agree("WOLFESCHLEGELSTEINHAUSEN", "WOLFESCHLEGEL", minimum=0.75)  # truncated MRZ
    assert not names_agree("LINDQVIST", "MORENO", minimum=0.75)
    assert numbers_agree("UMA709449", "UMA7O9449", max_edits=2)
    assert not numbers_agree("UMA709449", "KTL190533", max_edits=2)
    assert not dates_agree(date(1979, 12, 2), date(1979, 12, 3))  # a forger changes one digit
    assert dates_agree(date(1979, 12, 2), date(1979, 12, 3), max_digits=1)
    assert not dates_agree(date(1979, 12, 2), date(1985, 3, 2))
    assert dates_agree(None, date(1985, 3, 2))


def test_region_flatness_separates_a_flat_patch_from_noisy_paper():
    rng = np.random.default_rng(0)
    paper = np.clip(200 + rng.normal(0, 3, (60, 200, 3)), 0, 255).astype(np.uint8)
    flat = np.full((60, 200, 3), 200, np.uint8)
    for image in (paper, flat):
        image[25:35, 40:160] = 20  # a stroke of text
    box = np.array([[30, 15], [170, 15], [170, 45], [30, 45]], dtype=float)

    assert region_flatness(paper, box) > 1.5
    assert region_flatness(flat, box) < 0.5
