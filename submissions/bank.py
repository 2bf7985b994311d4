"""The Korean 1-won account-occupancy check (PreStep2): bank adapters.

The bank deposits 1 won into the applicant's account with a short code in the depositor
text; the applicant reads it in their banking app and sends it back at Step 2, proving
they control the account. A real bank or open-banking provider plugs in as a
`BankAdapter` named by the `KYC_BANK_ADAPTER` setting. `SandboxBank` is the adapter for
development and tests: it writes each deposit to a statement table instead of a bank.
"""

import secrets
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class BankUnavailable(Exception):
    """The bank could not be reached or refused the transfer; nothing was deposited."""


@dataclass(frozen=True)
class BankDeposit:
    reference: str
    account_holder_name: str


class BankAdapter(Protocol):
    def deposit_one_won(self, *, bank_code: str, account_number: str, depositor_text: str,
                        user_name: str) -> BankDeposit:
        """Send 1 won with `depositor_text`; answer the reference and the holder's real name."""


def bank_adapter() -> BankAdapter:
    return import_string(settings.KYC_BANK_ADAPTER)()


def bank_code_generate() -> str:
    # Three digits, as Korean banks show a short depositor text; the code is single-use and
    # expires (KYC_BANK_CODE_TTL), so a thousand values are enough against guessing within the retry limit.
    return f"{secrets.randbelow(1000):03d}"


class SandboxBank:
    """A bank for development and tests: every account exists, and its holder is the name given.

    Account numbers starting with `000` belong to a different holder ("SANDBOX OTHER"), so
    the holder-mismatch path can be exercised; `999` accounts simulate an outage.
    """

    OTHER_HOLDER = "SANDBOX OTHER"

    def deposit_one_won(self, *, bank_code: str, account_number: str, depositor_text: str,
                        user_name: str) -> BankDeposit:
        from .models import SandboxBankTransfer

        if account_number.startswith("999"):
            raise BankUnavailable("sandbox bank: simulated outage for accounts starting with 999")
        reference = "sbx_" + secrets.token_hex(8)
        SandboxBankTransfer.objects.create(
            reference=reference, bank_code=bank_code, account_number=account_number,
            depositor_text=depositor_text,
        )
        holder = self.OTHER_HOLDER if account_number.startswith("000") else user_name
        return BankDeposit(reference=reference, account_holder_name=holder)
