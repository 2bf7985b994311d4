from conftest import assert_error


def test_step1_then_step2_goes_pending(api):
    client = api()
    first = client.step1()
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["kycStatus"] == "incomplete" and body["retryCount"] == 0
    second = client.step2(body["submissionId"])
    assert second.status_code == 200, second.text
    assert second.json()["kycStatus"] == "pending"


def test_wrong_key_is_unauthorized(api):
    client = api()
    assert_error(client.step1(key="kyc_deadbeef_nope"), "unauthorized", "Invalid API key. Please check.")
