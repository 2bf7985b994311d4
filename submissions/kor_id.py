"""Korean ID authentication (Step 2): adapters to the government's verification service.

A Korean resident registration card or driving licence is authenticated against the issuing
authority with the holder's name, resident registration number and the card's issue date. A real
provider plugs in as a `KorIdService` named by the `KYC_KOR_ID_SERVICE` setting and raises
`KorIdUnavailable` when the service cannot answer (the applicant is told `verify_kor_error`).
`SandboxKorIdService` is the service for development and tests.
"""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class KorIdUnavailable(Exception):
    """The authentication service could not be reached or did not answer."""


@dataclass(frozen=True)
class KorIdAnswer:
    authenticated: bool
    reason: str = ""  # why not, for the evidence (never shown to the applicant)
    reference: str = ""


class KorIdService(Protocol):
    def authenticate(self, *, name: str, identity_number: str, birth_date: date,
                     issue_date: date | None) -> KorIdAnswer:
        """Whether the authority knows this card and holder."""


def kor_id_service() -> KorIdService:
    return import_string(settings.KYC_KOR_ID_SERVICE)()


# Seventh digit of a resident registration number: century and sex (5-8: registered foreigners).
RRN_CENTURY = {"9": 1800, "0": 1800, "1": 1900, "2": 1900, "5": 1900, "6": 1900,
               "3": 2000, "4": 2000, "7": 2000, "8": 2000}


def rrn_birth_date(identity_number: str) -> date | None:
    """The birth date a resident registration number (YYMMDD-SNNNNNN) encodes, or None if malformed.

    The check digit is not verified: numbers issued since October 2020 no longer carry one.
    """
    digits = "".join(ch for ch in identity_number if ch.isdigit())
    if len(digits) != 13 or len(identity_number.replace("-", "").strip()) != 13:
        return None
    century = RRN_CENTURY.get(digits[6])
    if century is None:
        return None
    try:
        return date(century + int(digits[:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError:
        return None


class SandboxKorIdService:
    """An authority for development and tests: a well-formed number whose birth date is the one given
    is authenticated, except two reserved serial ranges.

    Numbers whose last six digits are `000000` belong to nobody (not authenticated); `999999`
    simulates an outage of the service.
    """

    def authenticate(self, *, name: str, identity_number: str, birth_date: date,
                     issue_date: date | None) -> KorIdAnswer:
        digits = "".join(ch for ch in identity_number if ch.isdigit())
        if digits.endswith("999999"):
            raise KorIdUnavailable("sandbox: simulated outage for numbers ending in 999999")
        encoded = rrn_birth_date(identity_number)
        if encoded is None:
            return KorIdAnswer(False, "the resident registration number is malformed")
        if digits.endswith("000000"):
            return KorIdAnswer(False, "no such resident (sandbox)")
        if encoded != birth_date:
            return KorIdAnswer(False, "the number's birth date differs from the date of birth")
        if not name.strip():
            return KorIdAnswer(False, "no name")
        return KorIdAnswer(True, reference="sbx-kor-" + digits[:6])
