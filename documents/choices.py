from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentSide(models.TextChoices):
    FRONT = "front", _("Front")
    BACK = "back", _("Back")


class InvalidationMatch(models.TextChoices):
    EXACT = "exact", _("Exact document number")
    PREFIX = "prefix", _("Number series (prefix)")
