"""Two-factor sign-in: no workspace without a verified TOTP device; enrolment at the first login."""

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils.http import urlencode
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from submissions.tests.admin.helpers import staff_member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_on")]
PASSWORD = "pw-for-tests-only"
QUEUE = "/admin/review/queue/"


@pytest.fixture
def two_factor_on():
    with override_settings(KYC_REQUIRE_2FA=True):
        yield


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def login(client, username, token=""):
    return client.post(reverse("admin:login") + f"?next={QUEUE}",
                       {"username": username, "password": PASSWORD, "otp_token": token, "next": QUEUE})


def test_a_reviewer_without_two_factor_cannot_reach_the_workspace(client, project):
    reviewer = staff_member("rita", project, "reviewer")
    client.force_login(reviewer)  # a password session, never verified by a device
    for url in (QUEUE, "/admin/", "/admin/review/dashboard/", "/admin/submissions/submission/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url


def test_first_login_enrols_a_device_then_the_workspace_opens(client, project):
    staff_member("rita", project, "reviewer")
    response = login(client, "rita")
    assert response.status_code == 302
    assert client.get(QUEUE)["Location"].startswith("/admin/login/")
    setup = client.get(reverse("admin:login") + f"?next={QUEUE}")
    assert setup.status_code == 302 and setup["Location"].startswith(reverse("admin:two_factor_setup"))
    page = client.get(setup["Location"])
    assert "<svg" in page.content.decode() and "Secret:" in page.content.decode()
    device = TOTPDevice.objects.get(user__username="rita", confirmed=False)
    wrong = client.post(reverse("admin:two_factor_setup"), {"otp_token": "000000" if current_code(device) != "000000"
                                                            else "111111"})
    assert "not the current one" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes a wrong code wait 1 s before the next try
    confirmed = client.post(reverse("admin:two_factor_setup"), {"otp_token": current_code(device)})
    assert confirmed.status_code == 302
    assert client.get(QUEUE).status_code == 200
    assert AuditEvent.objects.filter(action="two_factor_enrolled", actor_label="rita").exists()


def test_with_a_device_the_login_asks_for_the_current_code(client, project):
    user = staff_member("rita", project, "reviewer")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    refused = login(client, "rita", token="")
    assert refused.status_code == 200 and client.get(QUEUE).status_code == 302
    client.post(reverse("admin:logout"))
    accepted = login(client, "rita", token=current_code(device))
    assert accepted.status_code == 302
    assert client.get(QUEUE).status_code == 200


def test_brute_forcing_a_login_is_locked_out(client, project):
    staff_member("rita", project, "reviewer")
    for _ in range(5):
        client.post(reverse("admin:login"), {"username": "rita", "password": "wrong-password-guess"})
    locked = client.post(reverse("admin:login"), {"username": "rita", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def enrol_with_next(client, project, target: str):
    """Sign in without a device, follow the login page to the setup page with `next`, confirm a code."""
    staff_member("rita", project, "reviewer")
    login(client, "rita")
    setup = client.get(reverse("admin:login") + "?" + urlencode({"next": target}))
    assert setup.status_code == 302 and setup["Location"].startswith(reverse("admin:two_factor_setup"))
    client.get(setup["Location"])
    device = TOTPDevice.objects.get(user__username="rita", confirmed=False)
    confirm_url = reverse("admin:two_factor_setup") + "?" + urlencode({"next": target})
    return setup, client.post(confirm_url, {"otp_token": current_code(device)})


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example", "/\\evil.example",
                                    "http://testserver.evil.example/", "javascript:alert(1)"])
def test_enrolment_never_redirects_off_site(client, project, target):
    setup, confirmed = enrol_with_next(client, project, target)
    assert setup["Location"] == reverse("admin:two_factor_setup")  # the unsafe next is not carried on
    assert confirmed.status_code == 302 and confirmed["Location"] == reverse("admin:review_queue")


def test_enrolment_keeps_a_local_next(client, project):
    target = "/admin/review/dashboard/?period=7d"
    setup, confirmed = enrol_with_next(client, project, target)
    assert setup["Location"] == reverse("admin:two_factor_setup") + "?" + urlencode({"next": target})
    assert confirmed.status_code == 302 and confirmed["Location"] == target
