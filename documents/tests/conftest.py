import pytest
from django.contrib.auth import get_user_model

from audit.services import Actor


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_superuser("operator", "operator@example.com", "pw")


@pytest.fixture
def actor(operator) -> Actor:
    return Actor.for_user(operator)
