"""Signed, expiring URLs of stored images, for the API and for the workspace.

A token names one file (its pk and the start of its sha256, so a token never fits another file)
and expires after KYC_IMAGE_URL_TTL_SECONDS. The API's URL is a capability on its own (no key);
the workspace's URL still needs a session whose role shows personal data (`file_view`): a copied
URL is useless to anyone else, and useless to anyone once it has expired.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import StoredFile

API_SALT = "kycreview.submission-image"
ADMIN_SALT = "kycreview.admin-image"


def _token(stored: StoredFile, salt: str) -> str:
    return signing.dumps({"f": stored.pk, "s": stored.sha256[:16]}, salt=salt)


def stored_file_token_load(token: str, *, salt: str) -> dict | None:
    """The signed {"f": pk, "s": sha prefix}; None when altered or expired."""
    try:
        return signing.loads(token, salt=salt, max_age=settings.KYC_IMAGE_URL_TTL_SECONDS)
    except signing.BadSignature:  # an expired signature is a BadSignature too
        return None


def stored_file_api_url(request, stored: StoredFile) -> str:
    return request.build_absolute_uri(reverse("submissions:image", args=[_token(stored, API_SALT)]))


def stored_file_admin_url(stored: StoredFile) -> str:
    path = reverse("admin:submissions_submission_file", args=[stored.submission_id, stored.pk])
    return f"{path}?sig={_token(stored, ADMIN_SALT)}"


def stored_file_admin_signature_valid(token: str, stored: StoredFile) -> bool:
    signed = stored_file_token_load(token, salt=ADMIN_SALT)
    return signed is not None and signed.get("f") == stored.pk and stored.sha256.startswith(signed.get("s", "-"))
