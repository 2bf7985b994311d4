"""Two-factor login for the workspace (TOTP, django-otp).

With KYC_REQUIRE_2FA on, the admin site lets in only sessions verified by a confirmed TOTP
device. A user who has none yet signs in with their password once and is sent to enrol one:
the setup page shows the device's QR code and secret, and a correct code confirms the device
and verifies the session. Later logins ask for the password and the current code.
"""

import base64

import segno
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import Actor, audit_record


class KycLoginForm(OTPAdminAuthenticationForm):
    """Password and TOTP code; the code is waived only for a user with no device yet (enrolment)."""

    def clean_otp(self, user):
        if user is not None and not user_has_device(user):
            return  # the session stays unverified: has_permission sends it to the setup page
        super().clean_otp(user)

    def _chosen_device(self, user):
        # Each user has one authenticator: the login form need not ask which.
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            device = devices[0] if len(devices) == 1 else None
        return device


def user_has_device(user) -> bool:
    return any(devices_for_user(user, confirmed=True))


def two_factor_required() -> bool:
    return settings.KYC_REQUIRE_2FA


def two_factor_login_form():
    return KycLoginForm if two_factor_required() else AdminAuthenticationForm


def two_factor_safe_next(request: HttpRequest) -> str | None:
    """The `next` of this request if it stays on this site, else None.

    `next` arrives from a link anyone can craft, so an absolute URL, a scheme-relative `//host`
    or a backslash form browsers read as one (`/\\host`) must not become a redirect after sign-in.
    """
    target = request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                              require_https=request.is_secure())
    return target if target and allowed else None


def two_factor_setup_url(request: HttpRequest) -> str:
    """The enrolment page, carrying this request's `next` only when it is safe."""
    target = two_factor_safe_next(request)
    return reverse("admin:two_factor_setup") + (f"?{urlencode({'next': target})}" if target else "")


def two_factor_needs_enrolment(request: HttpRequest) -> bool:
    user = request.user
    return (two_factor_required() and user.is_authenticated and user.is_active and user.is_staff
            and not user.is_verified() and not user_has_device(user))


@login_required(login_url="admin:login")
def two_factor_setup_view(request: HttpRequest, *, admin_site) -> HttpResponse:
    """Enrol a TOTP device: one unconfirmed device per user until a correct code confirms it."""
    if not request.user.is_staff:
        raise PermissionDenied
    if user_has_device(request.user):
        return HttpResponseRedirect(reverse("admin:index"))
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    error = None
    if request.method == "POST":
        token = (request.POST.get("otp_token") or "").strip().replace(" ", "")
        if token.isdigit() and device.verify_token(token):
            with transaction.atomic():
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                audit_record(actor=Actor.for_user(request.user), action="two_factor_enrolled",
                             after={"device": device.persistent_id})
            otp_login(request, device)
            return HttpResponseRedirect(two_factor_safe_next(request) or reverse("admin:review_queue"))
        error = "That code is not the current one. Check the device's clock and try the newest code."
    qr = segno.make(device.config_url, error="m")
    context = {
        **admin_site.each_context(request),
        "title": "Set up two-factor sign-in",
        "qr_svg": mark_safe(qr.svg_inline(scale=5, dark="#111", light="#fff")),  # our own SVG, no user input
        "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
        "error": error,
    }
    return TemplateResponse(request, "admin/two_factor_setup.html", context)
