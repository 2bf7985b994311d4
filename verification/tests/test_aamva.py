from datetime import date

from verification.aamva import aamva_encode, aamva_parse

ELEMENTS = {
    "DCA": "C", "DCB": "NONE", "DCD": "NONE", "DBA": "08152030", "DCS": "SAMPLE", "DAC": "JANE",
    "DAD": "Q", "DBD": "08152022", "DBB": "03141988", "DBC": "2", "DAY": "BRO", "DAU": "065 IN",
    "DAG": "123 MAIN ST", "DAI": "ANYTOWN", "DAJ": "CA", "DAK": "900010000", "DAQ": "D1234567",
    "DCF": "00/00/0000NNNAN/ANFD/YY", "DCG": "USA",
}


def test_round_trip_usa_dates_are_mmddccyy():
    data = aamva_parse(aamva_encode(ELEMENTS, iin="636014", subfile_type="DL"))
    assert data.iin == "636014" and data.version == 10 and data.subfile_type == "DL"
    assert (data.surname, data.given_names) == ("SAMPLE", "JANE Q")
    assert data.birth_date == date(1988, 3, 14) and data.expiry_date == date(2030, 8, 15)
    assert data.issue_date == date(2022, 8, 15)
    assert data.sex == "F" and data.document_number == "D1234567"
    assert data.document_type == "drivers_license"


def test_canada_dates_are_ccyymmdd():
    elements = {**ELEMENTS, "DCG": "CAN", "DBB": "19880314", "DBA": "20300815"}
    data = aamva_parse(aamva_encode(elements, iin="636012", subfile_type="ID"))
    assert data.birth_date == date(1988, 3, 14) and data.country == "CAN"
    assert data.document_type == "government_id"


def test_text_before_the_compliance_indicator_is_ignored_and_garbage_is_none():
    assert aamva_parse("noise" + aamva_encode(ELEMENTS)).document_number == "D1234567"
    assert aamva_parse("hello world") is None
    assert aamva_parse("@\n\x1e\rANSI 6360") is None
