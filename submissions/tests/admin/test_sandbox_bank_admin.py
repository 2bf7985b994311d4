import pytest
from django.urls import reverse

from submissions.models import SandboxBankTransfer

pytestmark = pytest.mark.django_db


def test_statement_is_readable_and_read_only(admin_client):
    transfer = SandboxBankTransfer.objects.create(
        reference="sbx-1", bank_code="004", account_number="12345678901", depositor_text="KYC123"
    )
    listing = admin_client.get(reverse("admin:submissions_sandboxbanktransfer_changelist"))
    assert listing.status_code == 200 and "KYC123" in listing.content.decode()
    detail = admin_client.get(reverse("admin:submissions_sandboxbanktransfer_change", args=[transfer.pk]))
    assert detail.status_code == 200 and 'name="depositor_text"' not in detail.content.decode()
    assert admin_client.get(reverse("admin:submissions_sandboxbanktransfer_add")).status_code == 403
