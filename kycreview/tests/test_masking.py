"""The masking policy (issue 14, item 2): a value is masked by what it is, at any depth."""

import json

from kycreview.masking import MASK_WITHHELD, mask_number, mask_personal
from verification.aamva import aamva_encode, aamva_parse
from verification.mrz import mrz_parse

TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
AAMVA = {"DCA": "C", "DCS": "SAMPLE", "DAC": "JANE", "DBB": "03141988", "DBA": "08152030", "DBC": "2",
         "DAJ": "CA", "DAQ": "D1234567", "DCG": "USA"}


def test_a_number_keeps_its_last_two_characters():
    assert mask_number("AB1234567") == "•••••••67"
    assert mask_number("123") == "•••"


def test_an_mrz_block_keeps_no_number_and_no_line():
    mrz = mrz_parse(TD3).as_dict()
    assert mrz["document_number"] == "L898902C3" and mrz["optional_data"] == "ZE184226B"
    masked = mask_personal({"document_number": "L898902C3", "surname": "ERIKSSON", "mrz": mrz})
    text = json.dumps(masked, ensure_ascii=False)
    for secret in ("L898902C3", "ZE184226B", "ERIKSSON<<ANNA", "7408122F1204159"):
        assert secret not in text
    assert masked["document_number"] == "•••••••C3" and masked["mrz"]["optional_data"] == "•••••••6B"
    assert masked["mrz"]["lines"] == [MASK_WITHHELD, MASK_WITHHELD]
    # what is not personal stays, and check-digit results keyed by field name stay booleans
    assert masked["surname"] == "ERIKSSON" and masked["mrz"]["format"] == "TD3"
    assert masked["mrz"]["checks"]["document_number"] is True


def test_a_barcode_block_and_ocr_reads_are_masked_inside_evidence():
    aamva = aamva_parse(aamva_encode(AAMVA)).as_dict()
    evidence = {"aamva": aamva, "raw": TD3, "reconciled": {"from": "L898902O3", "to": "L898902C3"},
                "lines": [{"text": TD3[1], "box": [1, 2, 3, 4], "score": 0.9}],
                "read": {"document_number": {"text": "Nr D1234567", "value": "D1234567", "label": "Nr"},
                         "name": {"text": "JANE SAMPLE", "value": "JANE SAMPLE", "label": "Name"}}}
    text = json.dumps(mask_personal(evidence), ensure_ascii=False)
    for secret in ("D1234567", "L898902", "ZE184226B", "UTOERIKSSON"):
        assert secret not in text
    assert mask_personal(evidence)["aamva"]["iin"] == aamva["iin"]


def test_the_value_is_left_as_it_was():
    data = {"mrz": {"document_number": "L898902C3", "lines": list(TD3)}}
    mask_personal(data)
    assert data == {"mrz": {"document_number": "L898902C3", "lines": list(TD3)}}
