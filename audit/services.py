from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from .models import ActorType, AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, an API key, or the system (rules, scheduled jobs)."""

    type: str
    label: str
    user: AbstractBaseUser | None = None
    api_key: Any = None

    @classmethod
    def for_user(cls, user: AbstractBaseUser) -> "Actor":
        return cls(type=ActorType.USER, label=user.get_username(), user=user)

    @classmethod
    def for_api_key(cls, api_key: Any, *, label: str = "") -> "Actor":
        return cls(type=ActorType.API_KEY, label=label or f"api:{api_key.prefix}", api_key=api_key)

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(type=ActorType.SYSTEM, label=label)


def audit_record(
    *,
    actor: Actor,
    action: str,
    submission: Any = None,
    project: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Write one audit row. The caller holds the transaction of the change it records."""
    return AuditEvent.objects.create(
        actor_type=actor.type,
        actor_user=actor.user,
        actor_api_key=actor.api_key,
        actor_label=actor.label[:150],
        action=action,
        project=project if project is not None else getattr(submission, "project", None),
        submission=submission,
        before=before or {},
        after=after or {},
    )
