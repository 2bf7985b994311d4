"""verification.identity: the PDF417 and EGN comparisons."""

from datetime import date

import pytest
from stdnum.bg import egn as bg_egn

from verification.identity import aamva_mismatches, egn_mismatches, egn_sex, name_matches_document


def egn_for(born: date, *, female: bool, serial: str = "12") -> str:
    month = born.month + (40 if born.year >= 2000 else 0)
    sex_digit = "1" if female else "2"
    body = f"{born.year % 100:02d}{month:02d}{born.day:02d}{serial}{sex_digit}"
    return body + bg_egn.calc_check_digit(body)


AAMVA = {"surname": "MORENO", "given_names": "LUCAS JAVIER", "birth_date": "1985-03-02", "sex": "M",
         "document_number": "D1234567"}


def test_a_licence_holder_typing_their_own_data_matches():
    assert aamva_mismatches(AAMVA, name="Lucas Moreno", birth_date=date(1985, 3, 2), gender="male",
                            number="d123-4567") == []
    # family name first and the middle name typed too
    assert aamva_mismatches(AAMVA, name="MORENO Lucas Javier", birth_date=date(1985, 3, 2)) == []


def test_each_differing_field_is_named_in_a_fixed_order():
    assert aamva_mismatches(AAMVA, name="Lucas Morales", birth_date=date(1985, 3, 3), gender="female",
                            number="D7654321") == ["name", "date_of_birth", "gender", "license_number"]


def test_a_missing_optional_input_is_not_a_mismatch():
    assert aamva_mismatches(AAMVA, name="Lucas Moreno", birth_date=date(1985, 3, 2), gender="", number="") == []
    assert aamva_mismatches({**AAMVA, "sex": "X"}, name="Lucas Moreno", birth_date=date(1985, 3, 2),
                            gender="female") == []


@pytest.mark.parametrize(("entered", "ok"), [
    ("José Müller", True), ("MULLER JOSE", True), ("Jose Mullers", False), ("Jose Muller-Lopez", True), ("Maria Muller", False),
])
def test_names_compare_without_accents_case_or_order(entered, ok):
    assert name_matches_document(entered, surname="MULLER", given_names="JOSE") is ok


def test_an_egn_agrees_with_the_birth_date_and_sex_it_encodes():
    egn = egn_for(date(1990, 1, 1), female=True)
    assert egn_sex(egn) == "F"
    assert egn_mismatches(egn, birth_date=date(1990, 1, 1), gender="female") == []
    assert egn_mismatches(egn_for(date(2004, 7, 9), female=False), birth_date=date(2004, 7, 9), gender="male") == []


def test_an_egn_that_contradicts_the_applicant_names_what():
    egn = egn_for(date(1990, 1, 1), female=True)
    assert egn_mismatches(egn, birth_date=date(1990, 1, 2), gender="male") == ["date_of_birth", "gender"]


@pytest.mark.parametrize("egn", ["123", "900101123X", "9001011230", "9013011234"])
def test_an_invalid_egn_is_reported_as_such(egn):
    # too short, not digits, wrong check digit, month 13
    assert egn_mismatches(egn, birth_date=date(1990, 1, 1)) == ["identity_number"]
