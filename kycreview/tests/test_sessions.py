"""Idle expiry: a signed-in session is renewed at most once a minute, and lapses when idle."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session

pytestmark = pytest.mark.django_db


def test_a_session_is_renewed_by_use_and_not_on_every_request(client, settings):
    user = get_user_model().objects.create_user("rita", password="a-long-test-password", is_staff=True)
    client.force_login(user)
    client.get("/admin/")
    first_expiry = Session.objects.get().expire_date
    client.get("/admin/")
    assert Session.objects.get().expire_date == first_expiry  # touched less than a minute ago
    session = client.session
    session["kyc_touched"] = int(time.time()) - 120
    session.save()
    client.get("/admin/")
    assert Session.objects.get().expire_date > first_expiry
    assert settings.SESSION_COOKIE_AGE == 30 * 60 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
