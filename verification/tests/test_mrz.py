"""ICAO 9303 specimens (Doc 9303 parts 4-6) and OCR damage."""

from datetime import date

import pytest

from verification.mrz import check_digit, mrz_clean_line, mrz_date, mrz_parse

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]
MRVA = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L8988901C4XXX4009078F96121096ZE184226B<<<<<<"]


@pytest.mark.parametrize(("data", "digit"), [("L898902C3", "6"), ("740812", "2"), ("120415", "9"),
                                             ("ZE184226B<<<<<", "1"), ("D23145890", "7"), ("<<<", "0")])
def test_check_digit_731(data, digit):
    assert check_digit(data) == digit


def test_td3_specimen_parses_and_validates():
    mrz = mrz_parse(TD3)
    assert mrz.format == "TD3" and mrz.check_digits_valid, mrz.checks
    assert (mrz.surname, mrz.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert mrz.document_number == "L898902C3"
    assert mrz.birth_date == date(1974, 8, 12) and mrz.sex == "F"
    assert mrz.expiry_date == date(2012, 4, 15)
    assert mrz.document_type == "passport" and mrz.nationality == "UTO"


def test_td1_and_td2_specimens():
    td1, td2 = mrz_parse(TD1), mrz_parse(TD2)
    assert td1.format == "TD1" and td1.check_digits_valid, td1.checks
    assert td2.format == "TD2" and td2.check_digits_valid, td2.checks
    assert td1.document_number == td2.document_number == "D23145890"
    assert td1.document_type == "government_id"


def test_visa_has_no_composite_check():
    mrz = mrz_parse(MRVA)
    assert mrz.format == "MRVA" and "composite" not in mrz.checks
    assert mrz.check_digits_valid and mrz.document_type is None


def test_a_changed_birth_date_fails_its_check_digit_and_the_composite():
    forged = [TD3[0], TD3[1].replace("740812", "840812")]
    mrz = mrz_parse(forged)
    assert set(mrz.failed_checks) == {"birth_date", "composite"}


def test_ocr_lookalikes_are_repaired_by_position_only():
    # O for 0 in a date, spaces, a lost trailing filler: repaired. The document number is
    # alphanumeric, so an O there is kept and its check digit fails.
    damaged = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<", "L898902C36UTO74O8122F12O4159ZE184226B<<<<<1O"]
    mrz = mrz_parse(damaged)
    assert mrz is not None and mrz.check_digits_valid, mrz.checks
    assert mrz.birth_date == date(1974, 8, 12)


def test_full_width_and_guillemet_fillers_are_cleaned():
    assert mrz_clean_line("P＜UTO ERIKSSON«ANNA") == "P<UTOERIKSSON<<ANNA"


def test_incomplete_mrz_is_none():
    assert mrz_parse([TD3[0]]) is None
    assert mrz_parse([TD3[0], TD3[1][:30]]) is None


def test_date_centuries():
    today = date(2026, 11, 29)
    assert mrz_date("991231", kind="birth", today=today) == date(1999, 12, 31)
    assert mrz_date("100101", kind="birth", today=today) == date(2010, 1, 1)
    assert mrz_date("300101", kind="expiry", today=today) == date(2030, 1, 1)
    assert mrz_date("991301", kind="birth", today=today) is None
