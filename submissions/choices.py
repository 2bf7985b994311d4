from django.db import models
from django.utils.translation import gettext_lazy as _


class SubmissionStatus(models.TextChoices):
    INCOMPLETE = "incomplete", _("Incomplete")
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class IdType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    GOVERNMENT_ID = "government_id", _("Government ID card")
    DRIVERS_LICENSE = "drivers_license", _("Driver's license")


# What Step 1 accepts in `idType`: a document type, or `universal` to have it detected.
ID_TYPE_UNIVERSAL = "universal"


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class AddressCollection(models.TextChoices):
    OFF = "off", _("Off")
    ADDRESS = "address", _("Address data")
    IMAGE = "image", _("Proof-of-address image")
    BOTH = "both", _("Address data and proof-of-address image")


class FileKind(models.TextChoices):
    ID_FRONT = "id_front", _("ID front")
    ID_BACK = "id_back", _("ID back")
    SELFIE = "selfie", _("Selfie")
    ADDRESS = "address", _("Proof of address")


class Step(models.TextChoices):
    STEP1 = "step1", _("Step 1: ID document")
    PRESTEP2 = "prestep2", _("PreStep2: bank account")
    STEP2 = "step2", _("Step 2: selfie and identity")


class CheckOutcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    RETRY = "retry", _("Retry")
    ERROR = "error", _("Error")
    SUPPRESSED = "suppressed", _("Finding suppressed by project option")
    FAULT = "fault", _("Check failed to run")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")
