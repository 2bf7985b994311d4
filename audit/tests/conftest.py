"""Helpers for the audit chain tests: events written through `audit_record`, as the services do."""

import pytest

from audit.models import AuditEvent
from audit.services import Actor, audit_record


@pytest.fixture
def record(system_actor):
    """record(project=..., submission=..., action=..., before=..., after=..., actor=...) -> AuditEvent."""

    def make(*, action: str = "noted", actor: Actor | None = None, **kwargs) -> AuditEvent:
        return audit_record(actor=actor or system_actor, action=action, **kwargs)

    return make


def tamper(event: AuditEvent, **fields) -> None:
    """Change a row behind the services' back, as someone with database access would."""
    AuditEvent.objects.filter(pk=event.pk).update(**fields)
